"""Cost of one GEMM on a rows x cols systolic array, with SCALE-Sim v3's semantics (Numba).

The GEMM ``C[M, N] = A[M, K] . B[K, N]`` is SCALE-Sim's GEMM mode: the *ifmap* operand is ``A`` (M x K),
the *filter* operand is ``B`` (K x N), the *ofmap* is ``C`` (M x N) and ``K`` is the reduction. Every SRAM
word is one byte (SCALE-Sim's ``word_size = 1``).

Mapping (SCALE-Sim's operand matrices, ``scalesim/compute/systolic_compute_{os,ws,is}.py``)
------------------------------------------------------------------------------------------
Each dataflow names three dimensions: ``Sr`` spread over the array rows, ``Sc`` over the columns and ``T``
streamed through time. The work is cut into ``ceil(Sr/R) x ceil(Sc/C)`` *folds*, visited column fold outer,
row fold inner; every fold takes the same number of cycles ``X`` (fill + stream + drain of the padded fold):

=====  ====  ====  ====  ====================  ===========================================
flow   Sr    Sc    T     cycles per fold X     stationary operand
=====  ====  ====  ====  ====================  ===========================================
os     M     N     K     T + R + C - 2         ofmap (outputs accumulate in place)
ws     K     N     M     2R + C + T - 2        filter (R cycles to load the weights)
is     K     M     N     2R + C + T - 2        ifmap (R cycles to load the inputs)
=====  ====  ====  ====  ====================  ===========================================

SCALE-Sim steps one *demand row* per cycle, so the compute cycle count is ``folds * X - 1`` (the index of
the last demand row) plus any write-buffer stall (none while the ofmap SRAM keeps up; see below).

Utilisation figures are SCALE-Sim's per-fold averages: mapping efficiency = mean over folds of the used PEs
/ (R C); compute utilisation = mean over folds of used PEs x T / (R C x fold cycles), where SCALE-Sim
counts the fold cycles as X for os and ``2R + 2C + T - 3`` for ws/is (its per-fold demand matrix plus the
array width); overall utilisation = M N K / (cycles x R C) (one cycle when SCALE-Sim's count is 0, a 1x1x1
GEMM on a 1x1 array, where SCALE-Sim divides by zero). The sums run over the folds in SCALE-Sim's
order, so the floating-point results are bit-identical.

SRAM counts are the sizes of the demand matrices (every operand element the array consumes, once per fold
that consumes it). SCALE-Sim's os ofmap write count adds ``R + C`` per fold (it adds the padded fold's
height plus width to the count; nothing is written for it), reproduced here.

DRAM: the read buffers (``scalesim/memory/read_buffer_estimate_bw.py``)
----------------------------------------------------------------------
In bandwidth-estimation mode (``InterfaceBandwidth: CALC``) every SRAM read hits, and DRAM traffic is what
the double-buffered read buffer must fetch. SCALE-Sim groups the *new* addresses of the demand stream into
sets of ``floor(words / 100)`` words; a window of 50 sets (the active half of the buffer) is checked for
hits; when the 50th set of a window is complete the window is fetched and discarded and an empty window
starts. So the buffer behaves as a sequence of *epochs* of ``50 x floor(words / 100)`` distinct words: an
address is fetched again when it recurs after its epoch closed. DRAM reads = number of such misses; they
equal the operand size when it fits one epoch and exceed it when a re-used block spans an epoch boundary.

Because every fold reads a block of distinct addresses in a fixed order, and blocks of different folds
are either identical (re-use of the same ifmap rows or filter columns) or disjoint, the epoch state only
needs, per block, the suffix of the block that the current epoch holds: :func:`epoch_misses` walks the
fold sequence (O(folds), not O(elements)).

The first prefetch of a buffer is placed before the first demand: if the first epoch fills during the run
it is 50 sets fetched at 10 words/cycle ending 2 cycles before the first demand row; otherwise the whole
(partial) working set is fetched ending at cycle -2 (SCALE-Sim's ``complete_all_prefetches``). DRAM reads
respond one cycle later (``read_port`` latency 1).

DRAM: the ofmap write buffer (``scalesim/memory/write_buffer.py``)
------------------------------------------------------------------
Outputs are packed into lines of ``C`` words (the CALC-mode drain bandwidth is the array width). Whenever
the buffer holds more than its active half and no drain is in flight, the open line is closed (even if
partial), and the next ``ceil(drain_half / C)`` lines are written to DRAM, one line per cycle, starting at
the current cycle (write latency 0). SCALE-Sim counts a drained slice as ``lines x C`` words minus the
empty slots of its *last* line only, so a partial line in the middle of a slice counts as full: DRAM
writes can exceed M N (by up to C - 1 per drain), and the freed space is credited with the same count.
After the last demand row the remaining lines drain back to back. SCALE-Sim stalls the array only if the
buffer is completely full while a drain is in flight; with C-word lines that cannot happen (a demand row
writes at most C outputs, and a slice frees at least as many words as can arrive while it drains), so
CALC-mode cycles never include stalls. The kernel keeps the stall path for other line widths (tested).
:func:`ofmap_write_buffer` walks the demand rows of every fold, with each row's output count in closed
form (the skewed fold is the convolution of two boxes).

``cycles_with_prefetch`` (SCALE-Sim's ``Total Cycles (incl. prefetch)``) = last ofmap DRAM write cycle -
earliest DRAM read cycle.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

__all__ = ["DATAFLOWS", "SystolicCost", "gemm_cost", "epoch_misses", "ofmap_write_buffer", "fold_utilisation",
           "operand_dims", "fold_cycles", "read_block_sequence", "BUFFER_SETS", "ACTIVE_BUFFER_FRACTION",
           "PREFETCH_WORDS_PER_CYCLE", "DRAM_READ_LATENCY_CYCLES", "DRAM_WRITE_LATENCY_CYCLES", "WORD_BYTES",
           "DEFAULT_SRAM_KB", "MAX_DEMAND_CYCLES", "MAX_FOLDS", "demand_limits_error"]

#: dataflows in the order of their integer codes
DATAFLOWS = ("os", "ws", "is")
#: bytes per SRAM word (SCALE-Sim single_layer_sim.py: ``word_size = 1``)
WORD_BYTES = 1
#: kB per operand SRAM in the reference configurations (shared/validation/scalesim/cfgs: 64 kB each)
DEFAULT_SRAM_KB = 64
#: the read buffer is tracked in this many sets (read_buffer_estimate_bw.py: ``total_size_elems / 100``)
BUFFER_SETS = 100
#: active (hit-checked) share of the read and write buffers (single_layer_sim.py: ``active_buf_frac = 0.5``)
ACTIVE_BUFFER_FRACTION = 0.5
#: DRAM words per cycle assumed for the first prefetch in CALC mode (single_layer_sim.py: "10 ... arbitrary")
PREFETCH_WORDS_PER_CYCLE = 10
#: read port latency in cycles (read_port.py: ``self.latency = 1``)
DRAM_READ_LATENCY_CYCLES = 1
#: write port latency in cycles (write_port.py: ``self.latency = 0``)
DRAM_WRITE_LATENCY_CYCLES = 0

#: largest GEMM costed, in demand cycles (folds x cycles per fold): the write-buffer walk covers ~3e7 cycles/s
#: on the 2-core development machine, so this bounds a call to ~30 s (SCALE-Sim itself needs ~10 min for ~2e6)
MAX_DEMAND_CYCLES = 10**9
#: largest number of folds costed (the per-fold block arrays take 8 bytes x folds each)
MAX_FOLDS = 10**7


class SystolicCost(NamedTuple):
    """Cycles, utilisation and memory traffic of one GEMM on a systolic array (SCALE-Sim v3 semantics).

    Counts are in words (one byte each); cycles are array clock cycles. ``compute_cycles`` is SCALE-Sim's
    ``compute:Total Cycles``; ``cycles_with_prefetch`` its ``Total Cycles (incl. prefetch)``, which adds the
    DRAM prefetch before the first demand and the final ofmap drain.
    """

    dataflow: str
    array_rows: int
    array_cols: int
    m: int
    n: int
    k: int
    macs: int
    row_folds: int
    col_folds: int
    cycles_per_fold: int
    compute_cycles: int
    stall_cycles: int
    cycles_with_prefetch: int
    overall_util_pct: float
    mapping_efficiency_pct: float
    compute_util_pct: float
    sram_ifmap_reads: int
    sram_filter_reads: int
    sram_ofmap_writes: int
    dram_ifmap_reads: int
    dram_filter_reads: int
    dram_ofmap_writes: int
    dram_ifmap_start_cycle: int
    dram_filter_start_cycle: int
    dram_ofmap_start_cycle: int
    dram_ofmap_stop_cycle: int

    def to_dict(self) -> dict[str, object]:
        """The fields as a plain dict (JSON-ready)."""
        return dict(self._asdict())


def operand_dims(dataflow: str, m: int, n: int, k: int) -> tuple[int, int, int]:
    """``(Sr, Sc, T)``: the GEMM dimensions spread over array rows, array columns and time."""
    if dataflow == "os":
        return m, n, k
    if dataflow == "ws":
        return k, n, m
    if dataflow == "is":
        return k, m, n
    raise ValueError(f"unknown dataflow {dataflow!r}; expected one of {', '.join(DATAFLOWS)}")


def fold_cycles(dataflow: str, rows: int, cols: int, t: int) -> int:
    """Demand rows (cycles) of one fold: fill, ``t`` streaming steps and drain of the padded fold."""
    if dataflow == "os":
        return t + rows + cols - 2
    return 2 * rows + cols + t - 2


def demand_limits_error(m: int, n: int, k: int, rows: int, cols: int, dataflow: str) -> str | None:
    """Why a GEMM is too large to cost (:data:`MAX_DEMAND_CYCLES`, :data:`MAX_FOLDS`), or None if it is not."""
    sr, sc, t = operand_dims(dataflow, m, n, k)
    folds = -(-sr // rows) * -(-sc // cols)
    cycles = folds * fold_cycles(dataflow, rows, cols, t)
    if folds > MAX_FOLDS:
        return f"the GEMM needs {folds:,} folds on a {rows}x{cols} array, more than the limit of {MAX_FOLDS:,}"
    if cycles > MAX_DEMAND_CYCLES:
        return (f"the GEMM needs {cycles:,} demand cycles on a {rows}x{cols} array, more than the limit of "
                f"{MAX_DEMAND_CYCLES:,} (about 30 s of costing)")
    return None


def _fold_sizes(total: int, tile: int) -> np.ndarray:
    """Used extent of each fold along one array dimension: ``tile`` except a smaller last one."""
    folds = -(-total // tile)
    sizes = np.full(folds, tile, dtype=np.int64)
    sizes[-1] = total - (folds - 1) * tile
    return sizes


def read_block_sequence(dataflow: str, rows: int, cols: int, m: int, n: int, k: int,
                        operand: str) -> tuple[np.ndarray, np.ndarray]:
    """The read-buffer view of one operand's demand stream: per fold (in SCALE-Sim's order, column fold
    outer), the id of the block of distinct addresses it reads and the block's length in words.

    Folds that re-use the same operand rows/columns share a block id (their blocks are identical and are
    read in the same order); other blocks are disjoint.
    """
    sr, sc, t = operand_dims(dataflow, m, n, k)
    ru, cu = _fold_sizes(sr, rows), _fold_sizes(sc, cols)
    rf, cf = len(ru), len(cu)
    fr = np.tile(np.arange(rf, dtype=np.int64), cf)   # row fold of each fold, fc outer / fr inner
    fc = np.repeat(np.arange(cf, dtype=np.int64), rf)
    streamed_rows = {("os", "ifmap"), ("ws", "ifmap"), ("is", "filter")}   # block = T x rows of the fold
    if (dataflow, operand) in streamed_rows:
        return fr, ru[fr] * t
    if (dataflow, operand) == ("os", "filter"):                           # block = T x cols of the fold
        return fc, cu[fc] * t
    if (dataflow, operand) in {("ws", "filter"), ("is", "ifmap")}:        # stationary: one block per fold
        return np.arange(rf * cf, dtype=np.int64), ru[fr] * cu[fc]
    raise ValueError(f"unknown operand {operand!r}; expected ifmap or filter")


@njit(cache=True)
def epoch_misses(block_ids: np.ndarray, block_lens: np.ndarray, epoch_words: np.int64) -> np.int64:
    """DRAM reads of a read buffer that keeps epochs of ``epoch_words`` distinct words (see module doc).

    ``block_ids[i]`` / ``block_lens[i]``: the block of distinct addresses fold ``i`` reads, in order. The
    current epoch holds, of each block, a suffix starting at ``held_from[b]`` (valid while
    ``held_epoch[b]`` is the current epoch): a re-read misses on the prefix before it; when an epoch fills
    in the middle of a block, everything after that point misses too (the new epoch starts empty).
    """
    n_blocks = 0
    for i in range(block_ids.shape[0]):
        if block_ids[i] + 1 > n_blocks:
            n_blocks = block_ids[i] + 1
    held_epoch = np.full(n_blocks, -1, dtype=np.int64)
    held_from = np.zeros(n_blocks, dtype=np.int64)
    epoch = np.int64(0)
    in_epoch = np.int64(0)       # distinct words in the current epoch
    misses = np.int64(0)
    for i in range(block_ids.shape[0]):
        b = block_ids[i]
        length = block_lens[i]
        gap = held_from[b] if held_epoch[b] == epoch else length   # prefix not held by the epoch
        if in_epoch + gap < epoch_words:
            in_epoch += gap
            misses += gap
            held_epoch[b] = epoch
            held_from[b] = 0
        else:
            # the epoch fills inside the prefix; from there on every word of the block misses
            rest = length - (epoch_words - in_epoch)
            misses += length
            epoch += 1 + rest // epoch_words
            in_epoch = rest % epoch_words
            held_epoch[b] = epoch
            held_from[b] = length - in_epoch
    return misses


@njit(cache=True)
def fold_utilisation(rows: np.int64, cols: np.int64, sr: np.int64, sc: np.int64, t: np.int64,
                     util_fold_cycles: np.int64) -> tuple[float, float]:
    """Sums over folds (column fold outer, as SCALE-Sim appends them) of the mapping efficiency and the
    compute utilisation of each fold, as fractions; divide by the fold count for SCALE-Sim's averages."""
    rf = (sr + rows - 1) // rows
    cf = (sc + cols - 1) // cols
    pes = rows * cols
    map_sum = 0.0
    util_sum = 0.0
    for fc in range(cf):
        cu = min(cols, sc - fc * cols)
        for fr in range(rf):
            ru = min(rows, sr - fr * rows)
            used = ru * cu
            map_sum += used / pes
            util_sum += (used * t) / (pes * util_fold_cycles)
    return map_sum, util_sum


@njit(cache=True)
def _remember_partial(part_line: np.ndarray, part_fill: np.ndarray, n_part: np.int64, line: np.int64,
                      fill: np.int64) -> tuple[np.ndarray, np.ndarray]:
    """Append (line, fill) as entry ``n_part`` of the partial-line lists, doubling them when full; returns the
    (possibly new) lists."""
    if n_part == part_line.shape[0]:
        grown_l = np.zeros(2 * n_part, dtype=np.int64)
        grown_f = np.zeros(2 * n_part, dtype=np.int64)
        grown_l[:n_part] = part_line[:n_part]
        grown_f[:n_part] = part_fill[:n_part]
        part_line, part_fill = grown_l, grown_f
    part_line[n_part] = line
    part_fill[n_part] = fill
    return part_line, part_fill


@njit(cache=True)
def ofmap_write_buffer(flow: np.int64, rows: np.int64, cols: np.int64, sr: np.int64, sc: np.int64,
                       t: np.int64, buffer_words: np.int64, active_words: np.int64, drain_lines: np.int64,
                       line_words: np.int64) -> np.ndarray:
    """SCALE-Sim's double-buffered ofmap write buffer driven by the ofmap demand rows of every fold.

    Returns int64 ``[dram_writes, first_drain_cycle, last_drain_cycle, stall_cycles, last_demand_cycle]``.
    Row ``u`` of a fold writes the outputs ``(j, c)`` with ``j + c = u - offset``, ``j`` in
    ``[j0, j0 + nj)`` and ``c`` in ``[0, nc)`` (the skewed output block); rows without outputs change
    nothing and are skipped. Partial lines closed by a drain are remembered (index and fill) because
    SCALE-Sim subtracts the empty slots of a slice's last line only.
    """
    rf = (sr + rows - 1) // rows
    cf = (sc + cols - 1) // cols
    if flow == 0:
        x = t + rows + cols - 2
    else:
        x = 2 * rows + cols + t - 2
    free = buffer_words
    open_fill = np.int64(0)          # words in the open (not yet closed) line
    lines = np.int64(0)              # closed lines
    drain_from = np.int64(0)         # first line not yet drained
    drain_end = np.int64(0)          # cycle the drain in flight ends (SCALE-Sim starts at 0)
    # partial lines closed by drains: at most one per drain, plus one at the end
    part_line = np.zeros(16, dtype=np.int64)
    part_fill = np.zeros(16, dtype=np.int64)
    n_part = np.int64(0)
    part_head = np.int64(0)          # first partial line not yet drained
    writes = np.int64(0)
    first_drain = np.int64(-1)
    last_drain = np.int64(-1)
    stall = np.int64(0)
    row0 = np.int64(0)               # global index of the fold's first demand row
    for fc in range(cf):
        cu = min(cols, sc - fc * cols)
        for fr in range(rf):
            ru = min(rows, sr - fr * rows)
            if flow == 0:
                offset = t - 1
                j0 = rows - ru
                nj = ru
            else:
                offset = 2 * rows - 1
                j0 = np.int64(0)
                nj = t
            nc = cu
            u_lo = j0
            u_hi = j0 + nj + nc - 2
            for u in range(u_lo, u_hi + 1):
                lo = max(j0, u - nc + 1)
                hi = min(j0 + nj - 1, u)
                left = hi - lo + 1
                if left <= 0:
                    continue
                cycle = row0 + offset + u + stall
                now = cycle
                while left > 0:
                    if now < drain_end:
                        # a drain is in flight: store; stall only if the buffer becomes full
                        if free - left > 0:
                            k = left
                        else:
                            k = max(free, np.int64(1))
                        free -= k
                        open_fill += k
                        lines += open_fill // line_words
                        open_fill = open_fill % line_words
                        left -= k
                        if free <= 0:
                            now = drain_end
                    else:
                        k = max(np.int64(1), free - active_words + 1)   # words until free < active
                        if k > left:
                            free -= left
                            open_fill += left
                            lines += open_fill // line_words
                            open_fill = open_fill % line_words
                            left = 0
                            break
                        free -= k
                        open_fill += k
                        lines += open_fill // line_words
                        open_fill = open_fill % line_words
                        left -= k
                        # close the open line (partial lines are remembered) and drain one slice
                        if open_fill > 0:
                            part_line, part_fill = _remember_partial(part_line, part_fill, n_part, lines, open_fill)
                            n_part += 1
                            lines += 1
                            open_fill = 0
                        n_lines = min(drain_lines, lines - drain_from)
                        last = drain_from + n_lines - 1
                        while part_head < n_part and part_line[part_head] < last:
                            part_head += 1
                        count = n_lines * line_words
                        if part_head < n_part and part_line[part_head] == last:
                            count -= line_words - part_fill[part_head]
                        writes += count
                        free += count
                        drain_from += n_lines
                        if first_drain < 0:
                            first_drain = now + 0
                        drain_end = now + n_lines - 1
                        if drain_end > last_drain:
                            last_drain = drain_end
                stall += now - cycle
            row0 += x
    last_row = row0 - 1 + stall
    # after the last demand row: close the open line and drain everything, slice after slice
    if open_fill > 0:
        part_line, part_fill = _remember_partial(part_line, part_fill, n_part, lines, open_fill)
        n_part += 1
        lines += 1
        open_fill = 0
    now = last_row
    while drain_from < lines:
        n_lines = min(drain_lines, lines - drain_from)
        last = drain_from + n_lines - 1
        while part_head < n_part and part_line[part_head] < last:
            part_head += 1
        count = n_lines * line_words
        if part_head < n_part and part_line[part_head] == last:
            count -= line_words - part_fill[part_head]
        writes += count
        drain_from += n_lines
        if first_drain < 0:
            first_drain = now
        end = now + n_lines - 1
        if end > last_drain:
            last_drain = end
        now = end + 1
    out = np.empty(5, dtype=np.int64)
    out[0] = writes
    out[1] = first_drain + DRAM_WRITE_LATENCY_CYCLES
    out[2] = last_drain + DRAM_WRITE_LATENCY_CYCLES
    out[3] = stall
    out[4] = last_row
    return out


def _read_start_cycle(misses: int, first_demand_cycle: int, buffer_words: int) -> int:
    """Cycle of the first DRAM read response of a read buffer (SCALE-Sim's trace start)."""
    set_words = buffer_words // BUFFER_SETS
    active_sets = int(round(ACTIVE_BUFFER_FRACTION, 2) * BUFFER_SETS)
    if misses >= active_sets * set_words:     # the first window fills during the run: 50 sets ahead of use
        prefetch_sets = BUFFER_SETS - active_sets
        end = first_demand_cycle - 1 - DRAM_READ_LATENCY_CYCLES
    else:                                     # fetched in one go at the end of the run, ending at -2
        prefetch_sets = -(-misses // set_words)
        end = -1 - DRAM_READ_LATENCY_CYCLES
    cycles = math.ceil(prefetch_sets * set_words / PREFETCH_WORDS_PER_CYCLE)
    return end - cycles + 1 + DRAM_READ_LATENCY_CYCLES


def _first_demand_cycles(dataflow: str, rows: int, sr: int) -> tuple[int, int]:
    """Demand row of the first ifmap and filter read (the prefix of fold 0 before any valid address)."""
    first_fold_rows = min(rows, sr)
    if dataflow == "os":
        return 0, 0
    if dataflow == "ws":      # ifmap waits R cycles for the weights; weights load bottom row first
        return rows, rows - first_fold_rows
    return rows - first_fold_rows, rows   # is: inputs load first, the filter streams after R cycles


def gemm_cost(m: int, n: int, k: int, array_rows: int, array_cols: int, dataflow: str,
              ifmap_sram_kb: int = DEFAULT_SRAM_KB, filter_sram_kb: int = DEFAULT_SRAM_KB,
              ofmap_sram_kb: int = DEFAULT_SRAM_KB) -> SystolicCost:
    """Cost of ``C[m, n] = A[m, k] B[k, n]`` on an ``array_rows x array_cols`` array (SCALE-Sim v3, CALC
    bandwidth mode; see the module docstring for the model). SRAM sizes in kB (1024 words) per operand."""
    for name, value in (("m", m), ("n", n), ("k", k), ("array_rows", array_rows), ("array_cols", array_cols),
                        ("ifmap_sram_kb", ifmap_sram_kb), ("filter_sram_kb", filter_sram_kb),
                        ("ofmap_sram_kb", ofmap_sram_kb)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    m, n, k, rows, cols = int(m), int(n), int(k), int(array_rows), int(array_cols)
    too_big = demand_limits_error(m, n, k, rows, cols, dataflow)
    if too_big:
        raise ValueError(too_big)
    sr, sc, t = operand_dims(dataflow, m, n, k)
    rf, cf = -(-sr // rows), -(-sc // cols)
    folds = rf * cf
    x = fold_cycles(dataflow, rows, cols, t)
    flow = DATAFLOWS.index(dataflow)

    # SRAM traffic: the demand matrices (+ SCALE-Sim's os ofmap count quirk)
    if dataflow == "os":
        sram = (cf * m * k, rf * k * n, m * n + folds * (rows + cols))
    elif dataflow == "ws":
        sram = (cf * m * k, k * n, rf * m * n)
    else:
        sram = (k * m, cf * n * k, rf * n * m)

    # ofmap write buffer: drains, DRAM writes, stalls
    ofmap_words = ofmap_sram_kb * 1024 // WORD_BYTES
    active_words = math.ceil(ofmap_words * ACTIVE_BUFFER_FRACTION)
    drain_lines = math.ceil((ofmap_words - active_words) / cols)
    wb = ofmap_write_buffer(np.int64(flow), np.int64(rows), np.int64(cols), np.int64(sr), np.int64(sc),
                            np.int64(t), np.int64(ofmap_words), np.int64(active_words), np.int64(drain_lines),
                            np.int64(cols))
    dram_writes, ofmap_start, ofmap_stop, stall, last_row = (int(v) for v in wb)
    compute_cycles = last_row

    # read buffers: epoch misses and the first prefetch
    first_if, first_fi = _first_demand_cycles(dataflow, rows, sr)
    reads, starts = [], []
    for operand, kb, first in (("ifmap", ifmap_sram_kb, first_if), ("filter", filter_sram_kb, first_fi)):
        words = kb * 1024 // WORD_BYTES
        epoch_words = int(round(ACTIVE_BUFFER_FRACTION, 2) * BUFFER_SETS) * (words // BUFFER_SETS)
        ids, lens = read_block_sequence(dataflow, rows, cols, m, n, k, operand)
        miss = int(epoch_misses(ids, lens, np.int64(epoch_words)))
        reads.append(miss)
        starts.append(_read_start_cycle(miss, first, words))

    util_cycles = x if dataflow == "os" else 2 * rows + 2 * cols + t - 3
    map_sum, util_sum = fold_utilisation(np.int64(rows), np.int64(cols), np.int64(sr), np.int64(sc),
                                         np.int64(t), np.int64(util_cycles))
    macs = m * n * k
    return SystolicCost(
        dataflow=dataflow, array_rows=rows, array_cols=cols, m=m, n=n, k=k, macs=macs,
        row_folds=rf, col_folds=cf, cycles_per_fold=x, compute_cycles=compute_cycles, stall_cycles=stall,
        cycles_with_prefetch=int(ofmap_stop - min(starts)),
        overall_util_pct=(macs * 100) / (max(compute_cycles, 1) * rows * cols),   # 0 cycles: 1x1x1 os on 1x1
        mapping_efficiency_pct=map_sum / folds * 100, compute_util_pct=util_sum / folds * 100,
        sram_ifmap_reads=sram[0], sram_filter_reads=sram[1], sram_ofmap_writes=sram[2],
        dram_ifmap_reads=reads[0], dram_filter_reads=reads[1], dram_ofmap_writes=dram_writes,
        dram_ifmap_start_cycle=starts[0], dram_filter_start_cycle=starts[1],
        dram_ofmap_start_cycle=ofmap_start, dram_ofmap_stop_cycle=ofmap_stop)
