"""Request traces with the access patterns of the DRAMsim3 reference runs (64-byte requests).

Patterns: ``seq`` (address 64 i), ``random`` (uniform 64 B-aligned addresses below the capacity, numpy PCG64
with seed 1234, drawn as one ``integers(0, lines)`` call), ``stride`` (address i x stride mod capacity),
``mix21`` (random addresses, every third request a write) and ``triad`` (three sequential arrays at 0, 1/4 and
1/2 of the capacity: two reads and a write per element). These are the patterns the reference data describes;
the same seed gives the same addresses.
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_trace", "write_trace"]

LINE = 64


def make_trace(pattern: str, n: int, capacity: int, *, stride: int = 4096, seed: int = 1234,
               gap: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(addresses, is_write 0/1, offer cycle) arrays of ``n`` requests; cycle i x ``gap`` (0: all at once)."""
    i = np.arange(n, dtype=np.int64)
    writes = np.zeros(n, dtype=np.int64)
    lines = capacity // LINE
    rng = np.random.Generator(np.random.PCG64(seed))
    if pattern == "seq":
        addrs = i * LINE
    elif pattern == "random":
        addrs = rng.integers(0, lines, n, dtype=np.uint64).astype(np.int64) * LINE
    elif pattern == "stride":
        addrs = (i * stride) % capacity
    elif pattern == "mix21":
        addrs = rng.integers(0, lines, n, dtype=np.uint64).astype(np.int64) * LINE
        writes = ((i % 3) == 2).astype(np.int64)
    elif pattern == "triad":
        third = (capacity // 4) // LINE * LINE
        k, which = i // 3, i % 3
        addrs = which * third + k * LINE
        writes = (which == 2).astype(np.int64)
    else:
        raise ValueError(f"unknown pattern {pattern!r}")
    return addrs, writes, i * gap


def write_trace(path: str, addrs: np.ndarray, writes: np.ndarray, cycles: np.ndarray) -> None:
    """Write DRAMsim3's text format: ``0x<HEX> READ|WRITE <cycle>`` per line."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(f"0x{int(a):X} {'WRITE' if w else 'READ'} {int(c)}\n" for a, w, c in zip(addrs, writes, cycles))
