"""Plain-numpy twins of the Numba kernels, for equivalence tests (same inputs, same outputs, bit for bit)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["compute_durations_ps_ref", "channel_access_ref"]


def compute_durations_ps_ref(opcode: np.ndarray, rows: np.ndarray, cols: np.ndarray, red: np.ndarray,
                             density_ppm: np.ndarray, passes: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Twin of :func:`accelsim.kernels.compute.compute_durations_ps`, written with Python integers."""
    period, eff = float(params[0]), float(params[1])
    n_slr = int(params[2])
    mm_rate, tile_m, tile_n = int(params[3]) * n_slr, int(params[4]), int(params[5])
    mv_rate, tile_v, rb, lanes = int(params[6]) * n_slr, int(params[7]), int(params[8]), int(params[9])
    style, R, C, D, flow = (int(params[i]) for i in range(10, 15))

    def cdiv(a: int, b: int) -> int:
        return -(-a // b)

    def array_cycles(m: int, n: int, k: int) -> int:
        tree = math.ceil(math.log2(D)) if D > 1 else 0
        if style == 1:
            sr, sc, t = {0: (m, n, k), 1: (k, n, m), 2: (k, m, n)}[flow]
            per_fold = t + R + C - 2 if flow == 0 else 2 * R + C + t - 2
            return cdiv(cdiv(sr, R) * cdiv(sc, C), n_slr) * per_fold
        if style == 2:
            return cdiv(cdiv(m * n, R), n_slr) * cdiv(k, D) + tree
        if style == 3:
            return cdiv(cdiv(m, R) * cdiv(n, C), n_slr) * k + 1
        return cdiv(cdiv(m, R) * cdiv(n, C), n_slr) * cdiv(k, D) + tree

    out = np.zeros(len(opcode), dtype=np.int64)
    for i in range(len(opcode)):
        op = int(opcode[i])
        r, c, k, d, p = int(rows[i]), int(cols[i]), int(red[i]), int(density_ppm[i]), int(passes[i])
        if style > 0 and op in (2, 3):
            cycles = array_cycles(r, c, k)
        elif op == 2:
            work = cdiv(cdiv(r, tile_m) * tile_m * cdiv(c, tile_n) * tile_n * cdiv(k, rb) * rb * d, 1_000_000)
            cycles = cdiv(work, mm_rate)
        elif op == 3:
            work = cdiv(r * cdiv(c, tile_v) * tile_v * cdiv(k, rb) * rb * d, 1_000_000)
            cycles = cdiv(work, mv_rate)
        elif op == 4:
            cycles = cdiv(r * cdiv(c, lanes) * p, n_slr)
        else:
            continue
        out[i] = int(np.round(np.float64(cycles) * period / eff))
    return out


def channel_access_ref(busy_until: np.ndarray, bytes_read: np.ndarray, bytes_written: np.ndarray,
                       accesses: np.ndarray, now_ps: int, lo: int, n: int, stride: int, nbytes: int, is_write: int,
                       ps_per_byte: float, latency_ps: int) -> tuple[int, int, int]:
    """Twin of :func:`accelsim.kernels.memory.channel_access` (vectorised numpy)."""
    chans = lo + stride * np.arange(n)
    per = -(-nbytes // n)
    start = max(int(now_ps), int(busy_until[chans].max()))
    end = start + int(math.ceil(per * ps_per_byte))
    busy_until[chans] = end
    (bytes_written if is_write else bytes_read)[chans] += per
    accesses[chans] += 1
    return start, end, end + int(latency_ps)
