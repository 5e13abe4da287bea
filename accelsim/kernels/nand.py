"""NAND flash with in-flash compute, and the NPU beside it: durations of a flash device's instructions (Numba).

A weight GEMV ``y[M, N] = x[M, K] W[K, N]`` (M = 1 in decode) on a Cambricon-LLM-style device is cut into
tiles of ``H`` outputs x ``W`` inputs. A tile is spread over every channel (``W / channels`` inputs each) and,
within a channel, over every die (``H / dies`` outputs each), so each die holds one page of it. A tile runs
either as a **read-compute** request or as **ordinary reads**:

* read-compute: the channel bus broadcasts the tile's input slice to the channel's dies (the core's input
  buffer holds ``buffer // slice`` slices, so inputs run that many tiles ahead); each die reads its page on
  its compute plane (tR; cache read: the next page is read while the core works on the previous one), the
  on-die ECC decodes it, the core multiplies it with the slice (``M x page elements / (MACs x clock)``), and
  the die returns its partial sums over the bus; the NPU adds the channels' partial sums.
* ordinary reads: each die reads the page on one of its other planes and the page crosses the bus to the
  NPU in slices that fill the gaps read-compute traffic leaves (read-compute transfers go first and wait at
  most one slice); the NPU multiplies the pages as they arrive (its systolic array streams one output
  column per array column and cycle: ``ceil(M / rows) x ceil(outputs / cols) x inputs`` cycles per page).

The bus of each channel is simulated transfer by transfer (a transfer is a slice, an input broadcast or a
die's partial sums, never a byte), the planes and cores by their read/compute recurrences, the NPU as one
server taking pages in arrival order. Which tiles run in flash is the compiler's choice (``n_rc`` of the
tiles, spread evenly through the GEMV); :func:`balanced_split` finds the split that finishes first.

Other NPU instructions: vector work (``elements x passes / lanes`` cycles), decode attention (KV bytes from
the NPU's DRAM at its bandwidth, overlapped with the array's MACs), prefill GEMMs on the array, and
embedding rows read from flash (one page read and the row's transfer).

Parameters travel as one float64 array (:data:`PARAM_NAMES`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["PARAM_NAMES", "F_GEMV", "F_VECTOR", "F_ATTN", "F_EMBED", "F_ARRAY", "N_COUNTS", "COUNT_NAMES",
           "gemv", "flash_durations_ps", "balanced_split", "split_bounds", "plan_gemv"]

#: instruction classes of a flash device (the trace's ``func`` column)
F_GEMV, F_VECTOR, F_ATTN, F_EMBED, F_ARRAY = 0, 1, 2, 3, 4

PARAM_NAMES = ("channels", "dies_per_channel", "planes", "page_bytes", "t_read_s", "bus_bytes_per_s", "slice_bytes",
               "partial_sum_bytes", "core_macs_per_s", "ecc_s", "core_buffer_bytes", "npu_clock_hz", "npu_rows",
               "npu_cols", "npu_lanes", "npu_op_latency_s", "dram_bytes_per_s")

#: counts per instruction (columns of the counts array)
COUNT_NAMES = ("rc_page_reads", "rd_page_reads", "bus_input_bytes", "bus_psum_bytes", "bus_weight_bytes",
               "core_macs", "npu_macs", "rc_tiles", "tiles", "bus_busy_s", "dram_bytes")
N_COUNTS = len(COUNT_NAMES)
_INF = 1e300


@njit(cache=True)
def _cdiv(a: np.int64, b: np.int64) -> np.int64:
    return (a + b - 1) // b


@njit(cache=True)
def _is_rc(k: np.int64, n_tiles: np.int64, n_rc: np.int64) -> bool:
    """Tile k of n runs as read-compute: n_rc of them, spread evenly (Bresenham)."""
    return (k + 1) * n_rc // n_tiles > k * n_rc // n_tiles


@njit(cache=True)
def _npu_page_cycles(m: np.int64, rows: np.int64, cols: np.int64, ar: np.int64, ac: np.int64) -> float:
    return float(_cdiv(m, ar) * _cdiv(rows, ac) * cols)


@njit(cache=True)
def gemv(n_out: np.int64, n_in: np.int64, m: np.int64, w_bits: np.int64, tile_h: np.int64, tile_w: np.int64,
         n_rc: np.int64, params: np.ndarray, counts: np.ndarray) -> float:
    """Seconds of one hybrid GEMV (see the module docstring); adds its action counts to ``counts``."""
    ch = np.int64(params[0])
    dpc = np.int64(params[1])
    planes = np.int64(params[2])
    page = np.int64(params[3])
    t_r = params[4]
    bw = params[5]
    slice_b = params[6]
    psum_b = params[7]
    core_rate = params[8]
    ecc = params[9]
    buf = params[10]
    f_npu = params[11]
    ar, ac = np.int64(params[12]), np.int64(params[13])
    lanes = params[14]
    elems = page * 8 // w_bits  # weights per page
    w_ch = tile_w // ch  # inputs of a tile per channel
    r_die = tile_h // dpc  # outputs of a tile per die
    tr = _cdiv(n_out, tile_h)
    tc = _cdiv(n_in, tile_w)
    n_tiles = tr * tc
    if n_rc > n_tiles:
        n_rc = n_tiles
    rd_planes = planes - 1 if (n_rc > 0 and planes > 1) else planes
    rd_plane0 = 1 if (n_rc > 0 and planes > 1) else 0
    in_bytes = float(w_ch * m)  # one byte per INT8 activation
    slots = np.int64(buf // in_bytes) if in_bytes > 0 else 1
    if slots < 1:
        slots = 1
    if slots > 64:
        slots = 64
    # NPU pages in arrival order (all channels), for its single-server recurrence
    n_rd_tiles = n_tiles - n_rc
    arrivals = np.empty(max(np.int64(1), n_rd_tiles * ch * dpc), dtype=np.float64)
    work = np.empty_like(arrivals)
    n_arr = 0
    t_end = 0.0
    bus_busy = 0.0
    # per-channel state, reused
    rc_read_end = np.zeros(dpc)
    rc_comp_start = np.zeros(dpc)
    rc_comp_end = np.zeros(dpc)
    plane_read_end = np.zeros((dpc, planes))
    plane_xfer_end = np.zeros((dpc, planes))
    plane_xfer_end2 = np.zeros((dpc, planes))
    plane_rr = np.zeros(dpc, dtype=np.int64)
    out_ready = np.empty(4 * dpc * (slots + 1))
    out_bytes = np.empty_like(out_ready)
    comp_hist = np.zeros(slots)
    for c in range(ch):
        rc_read_end[:] = 0.0
        rc_comp_start[:] = 0.0
        rc_comp_end[:] = 0.0
        plane_read_end[:, :] = 0.0
        plane_xfer_end[:, :] = 0.0
        plane_xfer_end2[:, :] = 0.0
        plane_rr[:] = 0
        comp_hist[:] = 0.0
        n_out_pending = 0
        T = 0.0
        k_rc = np.int64(0)  # global tile index of the next read-compute tile to scan from
        k_rd = np.int64(0)
        rc_done = 0
        rd_die = 0  # die of the current ordinary page within its tile
        cur_left = -1.0  # bytes of the current ordinary page still to transfer (-1: none chosen)
        cur_ready = 0.0
        cur_d = 0
        cur_p = 0
        cur_started = False
        cur_rows = np.int64(0)
        cur_cols = np.int64(0)
        # the channel's share of a tile column j: its input columns
        while True:
            # next read-compute tile that has data on this channel
            while k_rc < n_tiles:
                j = k_rc % tc
                cols_j = min(tile_w, n_in - j * tile_w)
                if _is_rc(k_rc, n_tiles, n_rc) and c * w_ch < cols_j:
                    break
                k_rc += 1
            in_ready = _INF
            if k_rc < n_tiles:
                in_ready = comp_hist[rc_done % slots]
            # the earliest pending partial-sum transfer
            o_best = -1
            o_t = _INF
            for q in range(n_out_pending):
                if out_ready[q] < o_t:
                    o_t = out_ready[q]
                    o_best = q
            # next ordinary page on this channel
            if cur_left < 0.0:
                while k_rd < n_tiles:
                    j = k_rd % tc
                    i = k_rd // tc
                    cols_j = min(tile_w, n_in - j * tile_w)
                    rows_i = min(tile_h, n_out - i * tile_h)
                    if (not _is_rc(k_rd, n_tiles, n_rc)) and c * w_ch < cols_j and rd_die * r_die < rows_i:
                        cur_cols = min(w_ch, cols_j - c * w_ch)
                        cur_rows = min(r_die, rows_i - rd_die * r_die)
                        cur_d = rd_die
                        cur_p = rd_plane0 + plane_rr[cur_d] % rd_planes
                        plane_rr[cur_d] += 1
                        start = max(plane_read_end[cur_d, cur_p], plane_xfer_end2[cur_d, cur_p])
                        if rd_plane0 == 0 and n_rc > 0:  # one plane shared with read-compute
                            start = max(start, rc_read_end[cur_d])
                        cur_ready = start + t_r
                        plane_read_end[cur_d, cur_p] = cur_ready
                        cur_left = float(cur_rows * cur_cols * w_bits // 8)
                        cur_started = False
                        rd_die += 1
                        break
                    rd_die = 0
                    k_rd += 1
                if cur_left < 0.0 and k_rd >= n_tiles:
                    cur_left = -2.0  # no more ordinary pages
            rd_t = cur_ready if cur_left >= 0.0 else _INF
            if in_ready == _INF and o_best < 0 and rd_t == _INF:
                break
            if o_t <= T and o_t <= in_ready:
                dt = out_bytes[o_best] / bw
                T += dt
                bus_busy += dt
                n_out_pending -= 1
                out_ready[o_best] = out_ready[n_out_pending]
                out_bytes[o_best] = out_bytes[n_out_pending]
                if T > t_end:
                    t_end = T
                continue
            if in_ready <= T:
                j = k_rc % tc
                i = k_rc // tc
                cols_j = min(tile_w, n_in - j * tile_w)
                rows_i = min(tile_h, n_out - i * tile_h)
                cols_c = min(w_ch, cols_j - c * w_ch)
                dt = float(cols_c * m) / bw
                T += dt
                bus_busy += dt
                counts[2] += cols_c * m
                latest = 0.0
                n_dies = _cdiv(rows_i, r_die)
                for d in range(n_dies):
                    rows_d = min(r_die, rows_i - d * r_die)
                    rs = max(rc_read_end[d], rc_comp_start[d])
                    rc_read_end[d] = rs + t_r
                    cs = max(rc_read_end[d], T, rc_comp_end[d])
                    rc_comp_start[d] = cs
                    macs = rows_d * cols_c * m
                    rc_comp_end[d] = cs + ecc + macs / core_rate
                    counts[0] += 1
                    counts[5] += macs
                    out_ready[n_out_pending] = rc_comp_end[d]
                    out_bytes[n_out_pending] = rows_d * m * psum_b
                    counts[3] += rows_d * m * psum_b
                    n_out_pending += 1
                    if rc_comp_end[d] > latest:
                        latest = rc_comp_end[d]
                comp_hist[rc_done % slots] = latest  # the slot frees when its tile's compute ends
                rc_done += 1
                k_rc += 1
                if c == 0:
                    counts[7] += 1
                continue
            if rd_t <= T:
                if not cur_started:
                    cur_started = True
                    plane_xfer_end2[cur_d, cur_p] = plane_xfer_end[cur_d, cur_p]
                s = slice_b if cur_left > slice_b else cur_left
                dt = s / bw
                T += dt
                bus_busy += dt
                cur_left -= s
                if cur_left <= 0.0:
                    plane_xfer_end[cur_d, cur_p] = T
                    arrivals[n_arr] = T
                    work[n_arr] = _npu_page_cycles(m, cur_rows, cur_cols, ar, ac) / f_npu
                    n_arr += 1
                    counts[1] += 1
                    counts[4] += cur_rows * cur_cols * w_bits // 8
                    counts[6] += cur_rows * cur_cols * m
                    cur_left = -1.0
                    if T > t_end:
                        t_end = T
                continue
            # nothing ready: the bus idles until the next event
            nxt = o_t
            if in_ready < nxt:
                nxt = in_ready
            if rd_t < nxt:
                nxt = rd_t
            T = nxt
    # the NPU multiplies ordinary pages as they arrive
    npu_t = 0.0
    if n_arr > 0:
        order = np.argsort(arrivals[:n_arr])
        for q in range(n_arr):
            a = arrivals[order[q]]
            if a > npu_t:
                npu_t = a
            npu_t += work[order[q]]
        npu_t += (ar + ac - 2) / f_npu  # the array's fill and drain, once per GEMV
    # the NPU adds the channels' partial sums of the last read-compute tile (the others overlap)
    tail = 0.0
    if n_rc > 0:
        tail = float(min(tile_h, n_out) * m * min(ch, _cdiv(n_in, w_ch))) / lanes / f_npu
    counts[8] += n_tiles
    counts[9] += bus_busy
    return max(t_end + tail, npu_t)


def split_bounds(n_out: int, n_in: int, m: int, w_bits: int, tile_h: int, tile_w: int, params: np.ndarray) -> float:
    """The fraction of tiles to run in flash that balances the resources' steady-state busy times.

    Per channel and full tile: read-compute keeps every die busy ``A = max(tR, ECC + page MACs / core rate)``
    and the bus ``B`` (input slice + partial sums); an ordinary tile needs ``C`` of bus (its pages), ``E =
    tR / ordinary planes`` of each die's planes, and ``F`` of the NPU (all channels' pages). A split ``f``
    takes ``max(f A, f B + (1 - f) C, (1 - f) E, (1 - f) F)`` per tile; the minimum lies where two terms
    cross (the generalisation of Cambricon-LLM's alpha = t_r / (t_r + t_rc), Section V-B)."""
    ch, dpc, planes, page = int(params[0]), int(params[1]), int(params[2]), int(params[3])
    t_r, bw, psum, core = params[4], params[5], params[7], params[8]
    ecc, f_npu, ar, ac = params[9], params[11], int(params[12]), int(params[13])
    elems = page * 8 // w_bits
    w_ch, r_die = tile_w // ch, tile_h // dpc
    a = max(t_r, ecc + elems * m / core)
    b = (w_ch * m + dpc * r_die * m * psum) / bw
    c = dpc * page / bw
    e = t_r / max(1, planes - 1)
    npu = ch * dpc * float(-(-m // ar) * -(-r_die // ac) * w_ch) / f_npu
    # busy time per tile as lines slope * f + intercept; their maximum is convex, so its minimum on [0, 1]
    # is at an end or where two lines cross
    lines = ((a, 0.0), (b - c, c), (-e, e), (-npu, npu))
    cands = [0.0, 1.0]
    for i, (si, bi) in enumerate(lines):
        for sj, bj in lines[i + 1:]:
            if si != sj:
                x = (bj - bi) / (si - sj)
                if 0.0 < x < 1.0:
                    cands.append(x)
    best_f, best_t = 0.0, _INF
    for fr in sorted(cands):
        t = max(s * fr + b0 for s, b0 in lines)
        if t < best_t - 1e-18:
            best_f, best_t = fr, t
    return best_f


def balanced_split(n_out: int, n_in: int, m: int, w_bits: int, tile_h: int, tile_w: int,
                   params: np.ndarray) -> tuple[int, float]:
    """(read-compute tiles, seconds) of the split that finishes first: the steady-state balance of
    :func:`split_bounds`, then a local search on the simulated GEMV around it (edges, fill and drain)."""
    n_tiles = -(-n_out // tile_h) * -(-n_in // tile_w)
    scratch = np.zeros(N_COUNTS)
    cache: dict[int, float] = {}

    def t_of(k: int) -> float:
        if k not in cache:
            scratch[:] = 0.0
            cache[k] = gemv(n_out, n_in, m, w_bits, tile_h, tile_w, k, params, scratch)
        return cache[k]

    k0 = int(round(split_bounds(n_out, n_in, m, w_bits, tile_h, tile_w, params) * n_tiles))
    best = k0
    for direction in (-1, 1):
        step = 1
        k = k0
        while True:
            cand = min(n_tiles, max(0, k + direction * step))
            if cand == k or t_of(cand) >= t_of(best):
                break
            best, k = cand, cand
            step *= 2
    return best, t_of(best)


def plan_gemv(n_out: int, n_in: int, m: int, w_bits: int, tiles: list[tuple[int, int]], split: int,
              params: np.ndarray) -> tuple[int, int, int, float]:
    """(tile H, tile W, read-compute tiles, seconds) of the fastest candidate tile under a split rule
    (-1 balanced, -2 every tile in flash, -3 every tile on the NPU). A tile whose input slice of M rows does
    not fit a core's buffer (``params`` core_buffer_bytes) runs on the NPU."""
    ch, buf = int(params[0]), params[10]
    best: tuple[int, int, int, float] | None = None
    scratch = np.zeros(N_COUNTS)
    for th, tw in tiles:
        n_tiles = -(-n_out // th) * -(-n_in // tw)
        if split == -3 or (tw // ch) * m > buf:
            n_rc = 0
        elif split == -2:
            n_rc = n_tiles
        else:
            n_rc = -1
        if n_rc < 0:
            n_rc, sec = balanced_split(n_out, n_in, m, w_bits, th, tw, params)
        else:
            scratch[:] = 0.0
            sec = gemv(n_out, n_in, m, w_bits, th, tw, n_rc, params, scratch)
        if best is None or sec < best[3]:
            best = (th, tw, n_rc, sec)
    assert best is not None
    return best


@njit(cache=True)
def flash_durations_ps(opcode: np.ndarray, func: np.ndarray, rows: np.ndarray, cols: np.ndarray, red: np.ndarray,
                       passes: np.ndarray, nbytes: np.ndarray, tile_h: np.ndarray, tile_w: np.ndarray,
                       path: np.ndarray, macs: np.ndarray, params: np.ndarray,
                       counts: np.ndarray) -> np.ndarray:
    """Duration in ps of every instruction (``opcode`` 5: a flash-device instruction, ``func`` its class) and
    its counts (``counts[i]``, :data:`COUNT_NAMES`)."""
    n = opcode.shape[0]
    out = np.zeros(n, dtype=np.int64)
    f_npu = params[11]
    ar, ac = np.int64(params[12]), np.int64(params[13])
    lanes = params[14]
    lat = params[15]
    dram = params[16]
    t_r, bw = params[4], params[5]
    for i in range(n):
        if opcode[i] != 5:
            continue
        f = func[i]
        s = 0.0
        if f == F_GEMV:
            # rows: outputs N, cols: inputs K, red: activation rows M, passes: read-compute tiles, path: weight bits
            s = gemv(rows[i], cols[i], red[i], path[i], tile_h[i], tile_w[i], passes[i], params, counts[i]) + lat
        elif f == F_VECTOR:
            s = float(rows[i] * cols[i] * max(np.int64(1), passes[i])) / lanes / f_npu + lat
        elif f == F_ATTN:
            # KV bytes from the NPU's DRAM, overlapped with the array's MACs (one output column per array column)
            compute = float(macs[i]) / ac / f_npu
            s = max(float(nbytes[i]) / dram, compute) + lat
            counts[i, 6] += macs[i]
            counts[i, 10] += nbytes[i]
        elif f == F_EMBED:
            # rows table rows of cols bytes: a page read each and their transfer over one channel
            s = rows[i] * (t_r + float(cols[i]) / bw) + lat
            counts[i, 1] += rows[i]
            counts[i, 4] += rows[i] * cols[i]
        elif f == F_ARRAY:
            # an activation x activation GEMM on the array (prefill attention): rows M, cols N, red K
            cyc = float(_cdiv(rows[i], ar) * _cdiv(cols[i], ac) * (red[i] + ar + ac - 2)) * max(np.int64(1), passes[i])
            s = max(cyc / f_npu, float(nbytes[i]) / dram) + lat
            counts[i, 6] += macs[i]
            counts[i, 10] += nbytes[i]
        out[i] = np.int64(np.round(s * 1e12))
    return out
