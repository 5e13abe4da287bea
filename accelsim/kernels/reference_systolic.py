"""Plain-Python twins of the systolic-array kernels in :mod:`accelsim.kernels.systolic`, for equivalence tests.

The twins work element by element on explicit SCALE-Sim-style demand matrices (one row per cycle, one
column per array row/column, -1 where nothing is read or written), with the read buffer kept as sets of
addresses and the write buffer as lines of words. They share no shortcut with the kernels: the kernels
use the fold/block structure and closed-form row counts, the twins build the streams and walk them.
Only for small shapes (the work is proportional to the number of demand-matrix entries).
"""

from __future__ import annotations

import math

import numpy as np

from .systolic import (ACTIVE_BUFFER_FRACTION, BUFFER_SETS, DATAFLOWS, DEFAULT_SRAM_KB, DRAM_READ_LATENCY_CYCLES,
                       DRAM_WRITE_LATENCY_CYCLES, PREFETCH_WORDS_PER_CYCLE, WORD_BYTES, SystolicCost)

__all__ = ["demand_matrices", "read_buffer_ref", "write_buffer_ref", "epoch_misses_ref",
           "ofmap_write_buffer_ref", "fold_utilisation_ref", "gemm_cost_ref"]


def _skew(block: np.ndarray) -> np.ndarray:
    """Delay column ``c`` by ``c`` rows (the systolic wavefront)."""
    h, w = block.shape
    out = np.full((h + w - 1, w), -1, dtype=np.int64)
    for c in range(w):
        out[c:c + h, c] = block[:, c]
    return out


def demand_matrices(dataflow: str, rows: int, cols: int, m: int, n: int,
                    k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ifmap, filter, ofmap) demand matrices: addresses ``i*K+k`` (ifmap), ``k*N+n`` (filter), ``i*N+n``
    (ofmap) needed at each cycle, -1 for none; folds column-fold outer, row-fold inner."""
    def ia(i: int, kk: int) -> int:
        return i * k + kk

    def fa(kk: int, j: int) -> int:
        return kk * n + j

    def oa(i: int, j: int) -> int:
        return i * n + j

    if dataflow == "os":
        sr, sc, t = m, n, k
    elif dataflow == "ws":
        sr, sc, t = k, n, m
    elif dataflow == "is":
        sr, sc, t = k, m, n
    else:
        raise ValueError(dataflow)
    rf, cf = -(-sr // rows), -(-sc // cols)
    ifm, fil, ofm = [], [], []
    for fc in range(cf):
        for fr in range(rf):
            r0, c0 = fr * rows, fc * cols
            ru, cu = min(rows, sr - r0), min(cols, sc - c0)
            if dataflow == "os":
                a = np.full((t + cols - 1, rows), -1, dtype=np.int64)   # rows of A stream left to right
                for r in range(ru):
                    for tt in range(t):
                        a[tt, r] = ia(r0 + r, tt)
                b = np.full((t + rows - 1, cols), -1, dtype=np.int64)   # columns of B stream top down
                for c in range(cu):
                    for tt in range(t):
                        b[tt, c] = fa(tt, c0 + c)
                o = np.full((t - 1 + rows, cols), -1, dtype=np.int64)   # outputs leave bottom row first
                for j in range(rows):
                    r = rows - 1 - j
                    if r < ru:
                        for c in range(cu):
                            o[t - 1 + j, c] = oa(r0 + r, c0 + c)
                ifm.append(_skew(a))
                fil.append(_skew(b))
                ofm.append(_skew(o))
            else:
                x = 2 * rows + cols + t - 2
                stream = np.full((rows + t + cols - 1, rows), -1, dtype=np.int64)  # after R load cycles
                station = np.full((x, cols), -1, dtype=np.int64)                  # loaded bottom row first
                o = np.full((2 * rows - 1 + t, cols), -1, dtype=np.int64)
                for r in range(ru):
                    for tt in range(t):
                        stream[rows + tt, r] = ia(tt, r0 + r) if dataflow == "ws" else fa(r0 + r, tt)
                for j in range(rows):
                    r = rows - 1 - j
                    if r < ru:
                        for c in range(cu):
                            station[j, c] = fa(r0 + r, c0 + c) if dataflow == "ws" else ia(c0 + c, r0 + r)
                for tt in range(t):
                    for c in range(cu):
                        o[2 * rows - 1 + tt, c] = oa(tt, c0 + c) if dataflow == "ws" else oa(c0 + c, tt)
                if dataflow == "ws":
                    ifm.append(_skew(stream))
                    fil.append(station)
                else:
                    ifm.append(station)
                    fil.append(_skew(stream))
                ofm.append(_skew(o))
    return np.concatenate(ifm), np.concatenate(fil), np.concatenate(ofm)


def read_buffer_ref(demand: np.ndarray, buffer_words: int) -> tuple[int, int]:
    """SCALE-Sim's estimate-mode read buffer on a demand matrix: ``(dram_reads, first_read_cycle)``.

    New addresses fill sets of ``buffer_words // 100`` words; hits are looked up in the current set and in
    the completed sets of the current window of 50; when a window is complete it is fetched and a new one
    begins. The first fetch is placed before the first demand row (see the kernel module docstring).
    """
    set_words = buffer_words // BUFFER_SETS
    window_sets = int(round(ACTIVE_BUFFER_FRACTION, 2) * BUFFER_SETS)
    window: list[set[int]] = []          # completed sets of the current window
    current: set[int] = set()
    reads = 0
    filled = False
    first_demand = -1
    for cycle in range(demand.shape[0]):
        row = demand[cycle]
        if first_demand < 0 and int(row.max()) > -1:
            first_demand = cycle
        for addr in row:
            a = int(addr)
            if a == -1 or a in current or any(a in s for s in window):
                continue
            current.add(a)
            if len(current) == set_words:
                window.append(current)
                current = set()
                if len(window) == window_sets:
                    reads += sum(len(s) for s in window)
                    filled = True
                    window = []
    reads += sum(len(s) for s in window) + len(current)
    if filled:
        sets_first = BUFFER_SETS - window_sets
        end = first_demand - 1 - DRAM_READ_LATENCY_CYCLES
    else:
        sets_first = len(window) + (1 if current else 0)
        end = -1 - DRAM_READ_LATENCY_CYCLES
    start = end - math.ceil(sets_first * set_words / PREFETCH_WORDS_PER_CYCLE) + 1
    return reads, start + DRAM_READ_LATENCY_CYCLES


def write_buffer_ref(demand: np.ndarray, buffer_words: int, active_words: int, drain_lines: int,
                     line_words: int) -> np.ndarray:
    """SCALE-Sim's ofmap write buffer on a demand matrix, word by word; returns int64
    ``[dram_writes, first_drain_cycle, last_drain_cycle, stall_cycles, last_demand_cycle]``."""
    lines: list[list[int]] = []          # closed lines (the trace), in order
    open_line: list[int] = []
    free = buffer_words
    drained = 0                          # lines already written to DRAM
    drain_end = 0
    writes = 0
    drain_cycles: list[int] = []
    stall = 0

    def drain(start: int) -> int:
        nonlocal drained, writes, free
        chunk = lines[drained:drained + drain_lines]
        count = len(chunk) * line_words - (line_words - len(chunk[-1]))   # empty slots of the last line only
        writes += count
        free += count
        drained += len(chunk)
        drain_cycles.extend(range(start + DRAM_WRITE_LATENCY_CYCLES,
                                  start + len(chunk) + DRAM_WRITE_LATENCY_CYCLES))
        return start + len(chunk) - 1 + DRAM_WRITE_LATENCY_CYCLES

    def close_open() -> None:
        nonlocal open_line
        if open_line:
            lines.append(open_line)
            open_line = []

    now = 0
    for i in range(demand.shape[0]):
        now = i + stall
        for addr in demand[i]:
            if int(addr) == -1:
                continue
            open_line.append(int(addr))
            free -= 1
            if len(open_line) == line_words:
                close_open()
            if now < drain_end:
                if free <= 0:
                    now = drain_end
            elif free < active_words:
                close_open()
                drain_end = drain(now)
        stall = now - i
    last_row = now
    close_open()
    cycle = last_row
    while drained < len(lines):
        cycle = drain(cycle) + 1
    return np.array([writes, min(drain_cycles), max(drain_cycles), stall, last_row], dtype=np.int64)


def epoch_misses_ref(block_ids: np.ndarray, block_lens: np.ndarray, epoch_words: int) -> int:
    """Twin of :func:`accelsim.kernels.systolic.epoch_misses`: the blocks written out as address streams
    (block ``b`` = addresses ``b * 2**32 + 0 .. len-1``) and walked through a set-of-addresses epoch buffer."""
    held: set[int] = set()
    misses = 0
    for b, length in zip(block_ids, block_lens):
        for pos in range(int(length)):
            a = (int(b) << 32) + pos
            if a in held:
                continue
            held.add(a)
            misses += 1
            if len(held) == epoch_words:
                held = set()
    return misses


def ofmap_write_buffer_ref(flow: int, rows: int, cols: int, sr: int, sc: int, t: int, buffer_words: int,
                           active_words: int, drain_lines: int, line_words: int) -> np.ndarray:
    """Twin of :func:`accelsim.kernels.systolic.ofmap_write_buffer` (explicit ofmap demand matrix)."""
    dims = {"os": (sr, sc, t), "ws": (t, sc, sr), "is": (sc, t, sr)}   # (m, n, k) back from (Sr, Sc, T)
    df = DATAFLOWS[flow]
    m, n, k = dims[df]
    _, _, ofm = demand_matrices(df, rows, cols, m, n, k)
    return write_buffer_ref(ofm, buffer_words, active_words, drain_lines, line_words)


def fold_utilisation_ref(rows: int, cols: int, sr: int, sc: int, t: int, util_fold_cycles: int) -> tuple[float, float]:
    """Twin of :func:`accelsim.kernels.systolic.fold_utilisation` (Python lists summed in order)."""
    maps, utils = [], []
    for fc in range(-(-sc // cols)):
        for fr in range(-(-sr // rows)):
            used = min(rows, sr - fr * rows) * min(cols, sc - fc * cols)
            maps.append(used / (rows * cols))
            utils.append(used * t / (rows * cols * util_fold_cycles))
    return sum(maps), sum(utils)


def gemm_cost_ref(m: int, n: int, k: int, array_rows: int, array_cols: int, dataflow: str,
                  ifmap_sram_kb: int = DEFAULT_SRAM_KB, filter_sram_kb: int = DEFAULT_SRAM_KB,
                  ofmap_sram_kb: int = DEFAULT_SRAM_KB) -> SystolicCost:
    """Twin of :func:`accelsim.kernels.systolic.gemm_cost`: everything counted on the demand matrices."""
    rows, cols = array_rows, array_cols
    ifm, fil, ofm = demand_matrices(dataflow, rows, cols, m, n, k)
    sr, sc, t = {"os": (m, n, k), "ws": (k, n, m), "is": (k, m, n)}[dataflow]
    rf, cf = -(-sr // rows), -(-sc // cols)
    x = ifm.shape[0] // (rf * cf)
    ofmap_words = ofmap_sram_kb * 1024 // WORD_BYTES
    active = math.ceil(ofmap_words * ACTIVE_BUFFER_FRACTION)
    wb = write_buffer_ref(ofm, ofmap_words, active, math.ceil((ofmap_words - active) / cols), cols)
    dram_if, start_if = read_buffer_ref(ifm, ifmap_sram_kb * 1024 // WORD_BYTES)
    dram_fi, start_fi = read_buffer_ref(fil, filter_sram_kb * 1024 // WORD_BYTES)
    cycles = int(wb[4])
    util_cycles = x if dataflow == "os" else x + cols - 1
    map_sum, util_sum = fold_utilisation_ref(rows, cols, sr, sc, t, util_cycles)
    sram_ofmap = int((ofm >= 0).sum()) + (rf * cf * (rows + cols) if dataflow == "os" else 0)
    return SystolicCost(
        dataflow=dataflow, array_rows=rows, array_cols=cols, m=m, n=n, k=k, macs=m * n * k,
        row_folds=rf, col_folds=cf, cycles_per_fold=x, compute_cycles=cycles, stall_cycles=int(wb[3]),
        cycles_with_prefetch=int(wb[2]) - min(start_if, start_fi),
        overall_util_pct=(m * n * k * 100) / (max(cycles, 1) * rows * cols),
        mapping_efficiency_pct=map_sum / (rf * cf) * 100, compute_util_pct=util_sum / (rf * cf) * 100,
        sram_ifmap_reads=int((ifm >= 0).sum()), sram_filter_reads=int((fil >= 0).sum()),
        sram_ofmap_writes=sram_ofmap, dram_ifmap_reads=dram_if, dram_filter_reads=dram_fi,
        dram_ofmap_writes=int(wb[0]), dram_ifmap_start_cycle=start_if, dram_filter_start_cycle=start_fi,
        dram_ofmap_start_cycle=int(wb[1]), dram_ofmap_stop_cycle=int(wb[2]))
