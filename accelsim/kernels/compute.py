"""Cycle counts of compute instructions on a FlightLLM-style device (Numba).

An instruction runs on every SLR at once, each SLR taking an equal share of the padded work:

* MM (matrix-matrix): the output is padded to whole ``mm_tile_rows x mm_tile_cols`` tiles and the
  reduction to whole ``reduction_block`` s; padded MACs x density / (MM MACs per cycle x SLRs).
* MV (matrix-vector): each of ``rows`` vectors produces outputs padded to whole ``mv_tile_outputs`` tiles;
  padded MACs x density / (MV MACs per cycle x SLRs).
* SFU: ``passes`` passes over ``rows`` rows of ``cols`` elements at ``lanes`` elements per cycle per SLR.

Cycles become picoseconds through the clock period, divided by the SLRs' lockstep parallel efficiency.
Parameters travel as one float64 array (see :data:`PARAM_NAMES`) so the compiled signature never changes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["PARAM_NAMES", "compute_durations_ps", "OP_MM", "OP_MV", "OP_SFU"]

OP_MM, OP_MV, OP_SFU = 2, 3, 4  # must equal accelsim.compiler.isa opcodes

#: layout of the ``params`` array
PARAM_NAMES = ("period_ps", "slr_efficiency", "slr_count", "mm_macs_per_cycle", "mm_tile_rows", "mm_tile_cols",
               "mv_macs_per_cycle", "mv_tile_outputs", "reduction_block", "sfu_lanes")


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
    n = opcode.shape[0]
    out = np.zeros(n, dtype=np.int64)
    for i in range(n):
        op = opcode[i]
        cycles = np.int64(0)
        if op == OP_MM:
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
