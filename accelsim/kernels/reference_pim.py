"""Plain-Python twin of :func:`accelsim.kernels.pim.pim_gemv` for equivalence tests, written as an explicit
command list: per channel, every command the controller issues (input bursts, REF, ACTs, MACs, PRE,
read-out bursts) is appended with its issue cycle, each placed at the earliest cycle its constraints allow;
the GEMV ends when the last read-out burst does. Same inputs, same seconds and counts."""

from __future__ import annotations

import math

__all__ = ["pim_gemv_ref"]


def pim_gemv_ref(n_out: int, n_in: int, w_bits: int, vectors: int, p: list[float]) -> tuple[float, dict[str, float]]:
    (ch, banks, bgs, page, col, tck, rcd, rp, ras, rtp, ccd_l, ccd_s, rrd_s, rrd_l, faw, refi, rfc, macs,
     ratio, all_act, psum, inb) = p[:22]
    n_act = int(banks) * int(p[24])  # ACTs per row switch: every bank of every unit
    ch, banks, bgs, page, col = int(ch), int(banks), int(bgs), int(page), int(col)
    mac_cycles = math.ceil(math.ceil(col * 8 // w_bits / macs) * vectors / ratio)
    col_gap = max(int(ccd_l), mac_cycles)
    rrd = rrd_s if bgs > 1 else rrd_l
    cnt = dict.fromkeys(("acts", "macs_cmds", "internal", "channel", "refs"), 0.0)
    end = 0
    for c in range(ch):
        rows = n_out // ch + (1 if c < n_out % ch else 0)
        if rows == 0:
            continue
        cmds: list[tuple[str, int]] = []
        in_bytes = math.ceil(n_in * vectors * inb)
        for i in range(-(-in_bytes // col)):
            cmds.append(("WRGB", i * int(ccd_s)))  # the input vector into the global buffer
        cnt["channel"] += in_bytes
        t_in = cmds[-1][1] + int(ccd_s)
        per_bank = -(-rows // banks)
        bank_bytes = -(-(per_bank * n_in * w_bits) // 8)
        next_ref, act_ok, last_mac_done = int(refi), t_in, t_in
        left = bank_bytes
        for _ in range(-(-bank_bytes // page)):
            if act_ok >= next_ref:
                cmds.append(("REF", act_ok))
                cnt["refs"] += 1
                act_ok += int(rfc)
                next_ref += int(refi)
            if all_act > 0.5:
                acts = [act_ok]
            else:
                acts = []
                for b in range(n_act):
                    t = act_ok if b == 0 else acts[-1] + int(rrd)
                    if b >= 4:
                        t = max(t, acts[b - 4] + int(faw))
                    acts.append(t)
            for t in acts:
                cmds.append(("ACT", t))
            cnt["acts"] += n_act
            n_col = -(-min(left, page) // col)
            left -= min(left, page)
            macs_at = [acts[-1] + int(rcd) + k * col_gap for k in range(n_col)]
            for t in macs_at:
                cmds.append(("MAC", t))
            cnt["macs_cmds"] += n_col
            cnt["internal"] += n_col * col * banks
            pre = max(macs_at[-1] + int(rtp), acts[0] + int(ras))
            cmds.append(("PRE", pre))
            act_ok = pre + int(rp)
            last_mac_done = macs_at[-1] + col_gap
        out_bytes = math.ceil(rows * vectors * psum)
        for i in range(-(-out_bytes // col)):
            cmds.append(("RDGB", last_mac_done + i * int(ccd_s)))
        cnt["channel"] += out_bytes
        end = max(end, cmds[-1][1] + int(ccd_s))
    return end * tck, cnt
