"""Bank-level DRAM processing-in-memory: the command timeline of one GEMV on PIM channels (Numba).

The mapping is PIM-GPT's (Wu et al., arXiv 2310.09385, Section IV): the matrix's output rows are spread
over the channels and, within a channel, over its MAC units (one per bank, or one per ``banks_per_unit``
banks, as Samsung's HBM-PIM shares one between a bank pair: the unit then reads its banks' open rows one
after the other, which the caller passes as one unit with a page of ``banks_per_unit`` pages); each bank keeps its rows' weights contiguous in
its DRAM rows and accumulates their dot products in its MAC unit; the input vector is broadcast once per
channel into the global buffer; the banks work in lockstep on all-bank (broadcast) commands:

1. the input vector crosses the channel (one burst of ``column bytes`` per tCCD_S);
2. per DRAM row of the bank's share: ACT of every bank (one all-bank ACT, or one ACT per bank, bank groups
   in turn, spaced by tRRD_S (tRRD_L with one bank group) and at most four per tFAW window, when the
   device has no all-bank activate), then
   one MAC command per column (every bank reads ``column bytes`` from its row buffer into its MAC unit;
   commands every max(tCCD_L, the MAC unit's cycles for a column and every input vector)) from tRCD after
   the last ACT, then
   PRE of every bank at max(last MAC + tRTP, ACT + tRAS); the next ACT waits tRP;
3. all-bank refresh: when a refresh falls due (every tREFI) the banks are precharged and refreshed (tRFC)
   before the next ACT;
4. the partial sums (one per output row) are read out over the channel.

A logic-die unit (``level`` 1, Duplex's Logic-PIM) sits beside the stack's channels instead: per channel it
streams the channel's share of the matrix out of the banks at ``bandwidth_scale`` columns per tCCD_S (the extra
TSVs), the banks activated in turn so that their ACT/PRE hides behind the other banks' reads, as long as the
ACT rate allows: one ACT per tRRD_S, four per tFAW, and each bank at most once per tRAS + tRP. The channel's
time is the input vector's bursts, then tRCD plus the slowest of the stream, the ACT rate and the unit's MACs,
stretched by every all-bank refresh (tRFC each tREFI) that falls inside, then the partial sums' bursts.

Times are DRAM clock cycles (``tCK``); the result is in seconds. Counts (:data:`COUNT_NAMES`): ACTs, MAC
column commands, bytes moved inside the banks, bytes over the channel, refreshes, MACs.
Parameters travel as one float64 array (:data:`PARAM_NAMES`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["PARAM_NAMES", "COUNT_NAMES", "N_COUNTS", "pim_gemv"]

PARAM_NAMES = ("channels", "banks", "bankgroups", "page_bytes", "column_bytes", "tCK_s", "tRCD", "tRP", "tRAS",
               "tRTP", "tCCD_L", "tCCD_S", "tRRD_S", "tRRD_L", "tFAW", "tREFI", "tRFC", "macs_per_bank",
               "mac_cycles_per_dram_cycle", "all_bank_act", "partial_sum_bytes", "input_bytes", "level",
               "bandwidth_scale", "banks_per_unit")
COUNT_NAMES = ("acts", "mac_commands", "internal_bytes", "channel_bytes", "refreshes", "macs")
N_COUNTS = len(COUNT_NAMES)


@njit(cache=True)
def _cdiv(a: np.int64, b: np.int64) -> np.int64:
    return (a + b - 1) // b


@njit(cache=True)
def _logic_channel(rows_c: np.int64, n_in: np.int64, w_bits: np.int64, vectors: np.int64, params: np.ndarray,
                   counts: np.ndarray) -> np.int64:
    """DRAM cycles of one channel's share (``rows_c`` output rows) on a logic-die unit; adds its counts."""
    banks = np.int64(params[1])
    page = np.int64(params[3])
    col = np.int64(params[4])
    t_rcd, t_rp, t_ras = np.int64(params[6]), np.int64(params[7]), np.int64(params[8])
    ccd_s, rrd_s, faw = np.int64(params[11]), np.int64(params[12]), params[14]
    refi, rfc = np.int64(params[15]), np.int64(params[16])
    macs = params[17]
    mac_ratio = params[18]
    psum_b, in_b = params[20], params[21]
    scale = params[23]
    in_bytes = np.int64(np.ceil(n_in * vectors * in_b))
    t = _cdiv(in_bytes, col) * ccd_s
    counts[3] += in_bytes
    nbytes = _cdiv(rows_c * n_in * w_bits, np.int64(8))
    pages = _cdiv(nbytes, page)
    cols = (nbytes // page) * _cdiv(page, col) + _cdiv(nbytes % page, col)
    t_stream = np.ceil(cols * ccd_s / scale)
    act_gap = max(float(rrd_s), faw / 4.0)
    t_act = (pages - 1) * act_gap
    t_bank = _cdiv(pages, banks) * (t_ras + t_rp)
    t_mac = np.ceil(np.ceil(rows_c * n_in * vectors / macs) / mac_ratio)
    busy = np.int64(np.ceil(max(t_stream, t_act, float(t_bank) - t_rp, t_mac))) + t_rcd
    end = t + busy
    next_ref = refi
    while next_ref <= end:
        counts[4] += 1
        end += rfc
        next_ref += refi
    counts[0] += pages
    counts[1] += cols
    counts[2] += cols * col
    out_bytes = np.int64(np.ceil(rows_c * vectors * psum_b))
    counts[3] += out_bytes
    return end + _cdiv(out_bytes, col) * ccd_s


@njit(cache=True)
def pim_gemv(n_out: np.int64, n_in: np.int64, w_bits: np.int64, vectors: np.int64, params: np.ndarray,
             counts: np.ndarray) -> float:
    """Seconds of ``Y[n_out, v] = W[n_out, n_in] X[n_in, v]`` on the PIM channels (``vectors`` = v input vectors
    sharing every weight row, e.g. the query heads of a GQA group: each column read from the row buffer is
    multiplied with every vector before the next); adds the counts to ``counts``."""
    ch = np.int64(params[0])
    banks = np.int64(params[1])
    bgs = np.int64(params[2])
    page = np.int64(params[3])
    col = np.int64(params[4])
    tck = params[5]
    t_rcd, t_rp, t_ras, t_rtp = np.int64(params[6]), np.int64(params[7]), np.int64(params[8]), np.int64(params[9])
    ccd_l, ccd_s = np.int64(params[10]), np.int64(params[11])
    rrd_s, rrd_l, faw = np.int64(params[12]), np.int64(params[13]), np.int64(params[14])
    refi, rfc = np.int64(params[15]), np.int64(params[16])
    macs_bank = np.int64(params[17])
    mac_ratio = params[18]
    all_act = params[19] > 0.5
    psum_b, in_b = params[20], params[21]
    n_act = banks * np.int64(params[24])  # ACTs per row switch: every bank of every unit
    elems_col = col * 8 // w_bits
    # a column's MACs on the bank's unit, in DRAM cycles (at least tCCD_L between column commands)
    t_col = np.int64(np.ceil(_cdiv(elems_col, macs_bank) * vectors / mac_ratio))
    if t_col < ccd_l:
        t_col = ccd_l
    rrd = rrd_s if bgs > 1 else rrd_l  # activates alternate bank groups
    worst = 0
    base_rows = n_out // ch
    extra = n_out - base_rows * ch
    if params[22] > 0.5:  # a logic-die unit per channel
        for c in range(ch):
            rows_c = base_rows + (1 if c < extra else 0)
            if rows_c > 0:
                t = _logic_channel(rows_c, n_in, w_bits, vectors, params, counts)
                if t > worst:
                    worst = t
        counts[5] += n_out * n_in * vectors
        return worst * tck
    acts_win = np.zeros(4, dtype=np.int64)
    for c in range(ch):
        rows_c = base_rows + (1 if c < extra else 0)
        if rows_c == 0:
            continue
        rows_b = _cdiv(rows_c, banks)  # the busiest bank's output rows
        bytes_b = rows_b * n_in * w_bits // 8
        if rows_b * n_in * w_bits % 8:
            bytes_b += 1
        dram_rows = _cdiv(bytes_b, page)
        in_bytes = np.int64(np.ceil(n_in * vectors * in_b))
        t = _cdiv(in_bytes, col) * ccd_s  # the input vector into the global buffer
        counts[3] += in_bytes
        next_ref = refi
        act_ok = t
        left = bytes_b
        for r in range(dram_rows):
            if act_ok >= next_ref:
                # all-bank refresh: the banks are closed after the previous row's PRE + tRP
                counts[4] += 1
                act_ok = max(act_ok, next_ref) + rfc
                next_ref += refi
            first = act_ok
            last = act_ok
            if all_act:
                counts[0] += n_act
            else:
                acts_win[:] = -(1 << 40)
                prev = act_ok
                for b in range(n_act):
                    a = act_ok if b == 0 else prev + rrd
                    w = acts_win[b % 4] + faw
                    if w > a:
                        a = w
                    acts_win[b % 4] = a
                    prev = a
                    if b == 0:
                        first = a
                    last = a
                    counts[0] += 1
            n_col = _cdiv(min(left, page), col)
            left -= min(left, page)
            t_first = last + t_rcd
            t_last = t_first + (n_col - 1) * t_col
            counts[1] += n_col
            counts[2] += n_col * col * banks
            pre = t_last + t_rtp
            if first + t_ras > pre:
                pre = first + t_ras
            act_ok = pre + t_rp
            t = t_last + t_col  # the last MAC's data is in the unit
        out_bytes = np.int64(np.ceil(rows_c * vectors * psum_b))
        t += _cdiv(out_bytes, col) * ccd_s
        counts[3] += out_bytes
        if t > worst:
            worst = t
    counts[5] += n_out * n_in * vectors
    return worst * tck
