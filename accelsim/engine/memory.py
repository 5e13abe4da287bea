"""Off-chip memory components: the engine talks to memory only through :class:`MemoryModel`.

``access`` issues one load or store and returns its start, the end of channel occupancy and the time its
data is ready (an ``event_driven`` model returns SimPy events instead, see engine/dram.py);
``state_key``/``refresh_key``/``snapshot``/``restore`` let the engine reuse a recorded block outcome when a
block starts from a memory state seen before. The cycle-accurate DRAM model implements the same interface,
plus the optional ``refresh_window`` (how long a block may run from now with no refresh touching it), which
lets the engine replay a refresh-free recording at any refresh phase (engine/core.py).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..config.hardware import MemoryConfig
from ..kernels.memory import channel_access

__all__ = ["MemoryModel", "BandwidthMemory", "BUSY"]

#: a state key that starts with this names a state the engine never matches again (requests in flight: the
#: outcome of what starts there depends on the live state, not on the key)
BUSY = b"busy"


class MemoryModel(Protocol):
    """What the engine needs from an off-chip memory model."""

    name: str
    channels: int

    def access(self, now_ps: int, lo: int, n: int, stride: int, nbytes: int, is_write: bool, path: int,
               addr: int) -> tuple[int, int, int]: ...

    def state_key(self, now_ps: int) -> bytes: ...

    def refresh_phase(self, now_ps: int) -> tuple[int, int]: ...

    def snapshot(self, now_ps: int) -> np.ndarray: ...

    def restore(self, rel_state: np.ndarray, now_ps: int) -> None: ...

    def counters(self) -> dict[str, np.ndarray]: ...


class BandwidthMemory:
    """Per-channel bandwidth/latency model: channel peak x efficiency (per access path), plus idle latency.

    ``path`` 0 reaches a channel through the port it is attached to (``efficiency``); path 1 crosses the
    memory switch to another port's channels (``cross_channel_efficiency``).
    """

    def __init__(self, name: str, cfg: MemoryConfig) -> None:
        self.name = name
        self.cfg = cfg
        self.channels = cfg.channels
        bw = cfg.channel_bandwidth
        self.ps_per_byte = (1e12 / (bw * cfg.efficiency), 1e12 / (bw * cfg.cross_channel_efficiency))
        self.latency_ps = int(round(cfg.latency * 1e12))
        self.d = None
        self.busy = np.zeros(self.channels, dtype=np.int64)
        self.bytes_read = np.zeros(self.channels, dtype=np.int64)
        self.bytes_written = np.zeros(self.channels, dtype=np.int64)
        self.accesses = np.zeros(self.channels, dtype=np.int64)

    def access(self, now_ps: int, lo: int, n: int, stride: int, nbytes: int, is_write: bool, path: int,
               addr: int) -> tuple[int, int, int]:
        if nbytes <= 0:
            return now_ps, now_ps, now_ps
        s, e, r = channel_access(self.busy, self.bytes_read, self.bytes_written, self.accesses, np.int64(now_ps),
                                 np.int64(lo), np.int64(n), np.int64(stride), np.int64(nbytes),
                                 np.int64(1 if is_write else 0), self.ps_per_byte[path], np.int64(self.latency_ps))
        return int(s), int(e), int(r)

    def state_key(self, now_ps: int) -> bytes:
        # only channels still busy after now matter; an idle memory has the empty key
        rel = self.busy - now_ps
        if rel.max() <= 0:
            return b""
        return np.maximum(rel, 0).tobytes()

    def refresh_phase(self, now_ps: int) -> tuple[int, int]:
        return 0, 0  # no refresh in this model: (phase, period) in ps

    def snapshot(self, now_ps: int) -> np.ndarray:
        return np.maximum(self.busy - now_ps, 0)

    def restore(self, rel_state: np.ndarray, now_ps: int) -> None:
        np.maximum(self.busy, now_ps + rel_state, out=self.busy)

    def counters(self) -> dict[str, np.ndarray]:
        return {"bytes_read": self.bytes_read, "bytes_written": self.bytes_written, "accesses": self.accesses}
