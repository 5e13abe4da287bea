"""Plain-Python twin of :func:`accelsim.kernels.nand.gemv` for equivalence tests, written as an explicit
discrete-event model: the channel's work is listed first (read-compute tiles, ordinary pages), then a bus
server repeatedly takes the highest-priority transfer that is ready (a die's partial sums, then the next
input broadcast, then a slice of the oldest ordinary page) and the planes and cores follow their read /
compute recurrences. Same inputs, same seconds and counts (up to floating-point rounding)."""

from __future__ import annotations

import math

__all__ = ["gemv_ref"]


def _is_rc(k: int, n: int, n_rc: int) -> bool:
    return (k + 1) * n_rc // n > k * n_rc // n


def gemv_ref(n_out: int, n_in: int, m: int, w_bits: int, tile_h: int, tile_w: int, n_rc: int,
             params: list[float]) -> tuple[float, dict[str, float]]:
    ch, dpc, planes, page = int(params[0]), int(params[1]), int(params[2]), int(params[3])
    t_r, bw, slice_b, psum_b = params[4], params[5], params[6], params[7]
    core, ecc, buf, f_npu = params[8], params[9], params[10], params[11]
    ar, ac, lanes = int(params[12]), int(params[13]), params[14]
    w_ch, r_die = tile_w // ch, tile_h // dpc
    tr, tc = -(-n_out // tile_h), -(-n_in // tile_w)
    n_tiles = tr * tc
    n_rc = min(n_rc, n_tiles)
    split_planes = n_rc > 0 and planes > 1
    rd_planes, rd_first = (planes - 1, 1) if split_planes else (planes, 0)
    slots = max(1, min(64, int(buf // (w_ch * m)))) if w_ch * m > 0 else 1
    cnt = dict.fromkeys(("rc_pages", "rd_pages", "in_bytes", "psum_bytes", "w_bytes", "core_macs", "npu_macs",
                         "bus_busy"), 0.0)
    arrivals: list[tuple[float, float]] = []
    t_end = 0.0
    for c in range(ch):
        # the channel's work, in tile order
        rc_tiles, rd_pages = [], []
        for k in range(n_tiles):
            i, j = divmod(k, tc)
            cols_j, rows_i = min(tile_w, n_in - j * tile_w), min(tile_h, n_out - i * tile_h)
            if c * w_ch >= cols_j:
                continue
            cols_c = min(w_ch, cols_j - c * w_ch)
            dies = [min(r_die, rows_i - d * r_die) for d in range(-(-rows_i // r_die))]
            if _is_rc(k, n_tiles, n_rc):
                rc_tiles.append((cols_c, dies))
            else:
                rd_pages += [(d, rows, cols_c) for d, rows in enumerate(dies)]
        read_end = [0.0] * dpc  # compute plane
        comp_start = [0.0] * dpc
        comp_end = [0.0] * dpc
        plane_read = [[0.0] * planes for _ in range(dpc)]
        plane_x1 = [[0.0] * planes for _ in range(dpc)]  # end of the last transfer from the plane
        plane_x2 = [[0.0] * planes for _ in range(dpc)]  # end of the one before
        uses = [0] * dpc
        hist = [0.0] * slots
        outs: list[tuple[float, float]] = []
        T, nxt_rc, nxt_rd = 0.0, 0, 0
        page_now = None  # [die, plane, rows, cols, ready, left, started]
        while True:
            if page_now is None and nxt_rd < len(rd_pages):
                d, rows, cols = rd_pages[nxt_rd]
                nxt_rd += 1
                p = rd_first + uses[d] % rd_planes
                uses[d] += 1
                start = max(plane_read[d][p], plane_x2[d][p])
                if not split_planes and n_rc > 0:
                    start = max(start, read_end[d])
                plane_read[d][p] = start + t_r
                page_now = [d, p, rows, cols, start + t_r, float(rows * cols * w_bits // 8), False]
            in_ready = hist[nxt_rc % slots] if nxt_rc < len(rc_tiles) else math.inf
            o = min(range(len(outs)), key=lambda q: outs[q][0]) if outs else -1
            o_t = outs[o][0] if o >= 0 else math.inf
            rd_t = page_now[4] if page_now is not None else math.inf
            if math.isinf(in_ready) and o < 0 and math.isinf(rd_t):
                break
            if o_t <= T and o_t <= in_ready:  # partial sums first
                T += outs[o][1] / bw
                cnt["bus_busy"] += outs[o][1] / bw
                outs[o] = outs[-1]
                outs.pop()
                t_end = max(t_end, T)
            elif in_ready <= T:  # then the next input broadcast
                cols_c, dies = rc_tiles[nxt_rc]
                T += cols_c * m / bw
                cnt["bus_busy"] += cols_c * m / bw
                cnt["in_bytes"] += cols_c * m
                latest = 0.0
                for d, rows in enumerate(dies):
                    read_end[d] = max(read_end[d], comp_start[d]) + t_r
                    comp_start[d] = max(read_end[d], T, comp_end[d])
                    comp_end[d] = comp_start[d] + ecc + rows * cols_c * m / core
                    outs.append((comp_end[d], rows * m * psum_b))
                    cnt["rc_pages"] += 1
                    cnt["core_macs"] += rows * cols_c * m
                    cnt["psum_bytes"] += rows * m * psum_b
                    latest = max(latest, comp_end[d])
                hist[nxt_rc % slots] = latest
                nxt_rc += 1
            elif rd_t <= T:  # then a slice of the oldest ordinary page
                d, p, rows, cols, _ready, left, started = page_now
                if not started:
                    plane_x2[d][p] = plane_x1[d][p]
                    page_now[6] = True
                s = min(slice_b, left)
                T += s / bw
                cnt["bus_busy"] += s / bw
                page_now[5] = left - s
                if page_now[5] <= 0.0:
                    plane_x1[d][p] = T
                    arrivals.append((T, -(-m // ar) * -(-rows // ac) * cols / f_npu))
                    cnt["rd_pages"] += 1
                    cnt["w_bytes"] += rows * cols * w_bits // 8
                    cnt["npu_macs"] += rows * cols * m
                    page_now = None
                    t_end = max(t_end, T)
            else:
                T = min(o_t, in_ready, rd_t)
    npu = 0.0
    if arrivals:
        for a, work in sorted(arrivals, key=lambda x: x[0]):
            npu = max(npu, a) + work
        npu += (ar + ac - 2) / f_npu
    tail = min(tile_h, n_out) * m * min(ch, -(-n_in // w_ch)) / lanes / f_npu if n_rc > 0 else 0.0
    return max(t_end + tail, npu), cnt
