"""Per-channel bandwidth/latency model of an off-chip memory (Numba).

Each channel streams at its peak bandwidth times an access efficiency; an access spreads its bytes evenly
over a set of channels (``lo + j * stride`` for ``j < n``), starts when all of them are free, occupies them
for the transfer time and delivers its data ``latency`` later. State (per-channel busy-until times, bytes
and access counts) lives in arrays owned by the memory component and persists between instructions.
This is the seam the cycle-accurate DRAM model replaces.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["channel_access"]


@njit(cache=True)
def channel_access(busy_until: np.ndarray, bytes_read: np.ndarray, bytes_written: np.ndarray,
                   accesses: np.ndarray, now_ps: np.int64, lo: np.int64, n: np.int64, stride: np.int64,
                   nbytes: np.int64, is_write: np.int64, ps_per_byte: np.float64,
                   latency_ps: np.int64) -> tuple[np.int64, np.int64, np.int64]:
    """Issue one access at ``now_ps``; return (start, end of channel occupancy, data ready) in ps."""
    per = (nbytes + n - 1) // n
    start = now_ps
    for j in range(n):
        c = lo + j * stride
        if busy_until[c] > start:
            start = busy_until[c]
    occupancy = np.int64(np.ceil(per * ps_per_byte))
    end = start + occupancy
    for j in range(n):
        c = lo + j * stride
        busy_until[c] = end
        if is_write:
            bytes_written[c] += per
        else:
            bytes_read[c] += per
        accesses[c] += 1
    return start, end, end + latency_ps
