"""Cycle counts of compute instructions on a FlightLLM-style device (Numba).

An instruction runs on every SLR at once, each SLR taking an equal share of the padded work:

* MM (matrix-matrix): the output is padded to whole ``mm_tile_rows x mm_tile_cols`` tiles and the
  reduction to whole ``reduction_block`` s; padded MACs x density / (MM MACs per cycle x SLRs).
* MV (matrix-vector): each of ``rows`` vectors produces outputs padded to whole ``mv_tile_outputs`` tiles;
  padded MACs x density / (MV MACs per cycle x SLRs).
* SFU: ``passes`` passes over ``rows`` rows of ``cols`` elements at ``lanes`` elements per cycle per SLR.

Cycles become picoseconds through the clock period, divided by the SLRs' lockstep parallel efficiency.
Parameters travel as one float64 array (see :data:`PARAM_NAMES`) so the compiled signature never changes.

The matrix engine may instead be another tensor-engine style (``style`` > 0), each SLR holding one array;
an MM or MV instruction is a GEMM of ``rows`` x ``red`` by ``red`` x ``cols`` whose folds (array-sized
pieces) are shared out over the SLRs, ``ceil(folds / SLRs)`` per SLR:

* systolic R x C (SCALE-Sim's mapping and fold timing): output stationary: Sr = rows, Sc = cols, T = red,
  T + R + C - 2 cycles per fold; weight stationary: Sr = red, Sc = cols, T = rows; input stationary:
  Sr = red, Sc = rows, T = cols; both 2R + C + T - 2 cycles per fold; ceil(Sr/R) ceil(Sc/C) folds.
* multiplier-adder tree: R trees of D multipliers, each tree one D-long partial dot product per cycle:
  ceil(rows cols / R) ceil(red / D) cycles plus the tree's ceil(log2 D) pipeline stages.
* 2-D matrix (outer product): R x C accumulating MACs fed by broadcast, one rank-1 update per cycle:
  ceil(rows / R) ceil(cols / C) red cycles plus one.
* 3-D cube: R x C x D MACs with an adder tree along D (one R x D by D x C product per cycle):
  ceil(rows / R) ceil(cols / C) ceil(red / D) cycles plus ceil(log2 D).

These engines are dense (zeros are multiplied); ``density_ppm`` applies to the DSP chain only.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["PARAM_NAMES", "compute_durations_ps", "OP_MM", "OP_MV", "OP_SFU", "STYLES", "DATAFLOWS"]

OP_MM, OP_MV, OP_SFU = 2, 3, 4  # must equal accelsim.compiler.isa opcodes

#: layout of the ``params`` array
PARAM_NAMES = ("period_ps", "slr_efficiency", "slr_count", "mm_macs_per_cycle", "mm_tile_rows", "mm_tile_cols",
               "mv_macs_per_cycle", "mv_tile_outputs", "reduction_block", "sfu_lanes",
               "style", "array_rows", "array_cols", "array_depth", "dataflow")
#: tensor-engine styles (the ``style`` parameter) and systolic dataflows (the ``dataflow`` parameter)
STYLES = ("dsp_chain", "systolic", "adder_tree", "matrix_2d", "cube_3d")
DATAFLOWS = ("os", "ws", "is")


@njit(cache=True)
def _log2_ceil(x: np.int64) -> np.int64:
    n = np.int64(0)
    v = np.int64(1)
    while v < x:
        v *= 2
        n += 1
    return n


@njit(cache=True)
def _array_cycles(style: np.int64, m: np.int64, n: np.int64, k: np.int64, R: np.int64, C: np.int64, D: np.int64,
                  dataflow: np.int64, n_slr: np.int64) -> np.int64:
    """Cycles of an m x k by k x n GEMM on one array per SLR (folds shared out over the SLRs)."""
    if style == 1:
        if dataflow == 0:
            sr, sc, t = m, n, k
            per_fold = t + R + C - 2
        elif dataflow == 1:
            sr, sc, t = k, n, m
            per_fold = 2 * R + C + t - 2
        else:
            sr, sc, t = k, m, n
            per_fold = 2 * R + C + t - 2
        folds = _ceil_div(sr, R) * _ceil_div(sc, C)
        return _ceil_div(folds, n_slr) * per_fold
    if style == 2:
        folds = _ceil_div(m * n, R)
        return _ceil_div(folds, n_slr) * _ceil_div(k, D) + _log2_ceil(D)
    if style == 3:
        folds = _ceil_div(m, R) * _ceil_div(n, C)
        return _ceil_div(folds, n_slr) * k + 1
    folds = _ceil_div(m, R) * _ceil_div(n, C)
    return _ceil_div(folds, n_slr) * _ceil_div(k, D) + _log2_ceil(D)


@njit(cache=True)
def _ceil_div(a: np.int64, b: np.int64) -> np.int64:
    return (a + b - 1) // b


@njit(cache=True)
def compute_durations_ps(opcode: np.ndarray, rows: np.ndarray, cols: np.ndarray, red: np.ndarray,
                         density_ppm: np.ndarray, passes: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Duration in ps of every compute instruction of a trace (0 for memory instructions)."""
    period = params[0]
    eff = params[1]
    n_slr = np.int64(params[2])
    mm_rate = np.int64(params[3]) * n_slr
    tile_m = np.int64(params[4])
    tile_n = np.int64(params[5])
    mv_rate = np.int64(params[6]) * n_slr
    tile_v = np.int64(params[7])
    rb = np.int64(params[8])
    lanes = np.int64(params[9])
    style = np.int64(params[10])
    ar, ac, ad, flow = np.int64(params[11]), np.int64(params[12]), np.int64(params[13]), np.int64(params[14])
    n = opcode.shape[0]
    out = np.zeros(n, dtype=np.int64)
    for i in range(n):
        op = opcode[i]
        cycles = np.int64(0)
        if style > 0 and (op == OP_MM or op == OP_MV):
            cycles = _array_cycles(style, rows[i], cols[i], red[i], ar, ac, ad, flow, n_slr)
        elif op == OP_MM:
            pr = _ceil_div(rows[i], tile_m) * tile_m
            pc = _ceil_div(cols[i], tile_n) * tile_n
            pk = _ceil_div(red[i], rb) * rb
            work = _ceil_div(pr * pc * pk * density_ppm[i], np.int64(1_000_000))
            cycles = _ceil_div(work, mm_rate)
        elif op == OP_MV:
            pc = _ceil_div(cols[i], tile_v) * tile_v
            pk = _ceil_div(red[i], rb) * rb
            work = _ceil_div(rows[i] * pc * pk * density_ppm[i], np.int64(1_000_000))
            cycles = _ceil_div(work, mv_rate)
        elif op == OP_SFU:
            per_row = _ceil_div(cols[i], lanes) * passes[i]
            cycles = _ceil_div(rows[i] * per_row, n_slr)
        else:
            continue
        out[i] = np.int64(np.round(cycles * period / eff))
    return out
