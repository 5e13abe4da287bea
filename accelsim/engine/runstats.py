"""What the engine records: per block outcome (time, busy time per unit, counts) and the run's totals."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Outcome", "PhaseStats", "RunStats", "RunRecord"]


@dataclass
class Outcome:
    """The recorded result of running one block from one start state (reused when the state recurs)."""

    block_name: str
    op_kinds: tuple[str, ...]
    duration_ps: int
    unit_busy_ps: np.ndarray        # per unit: time spent executing (memory units: channel occupancy)
    unit_instructions: np.ndarray   # per unit: instructions issued
    unit_macs: np.ndarray           # per unit: useful MACs
    mem: dict[str, np.ndarray]      # per memory channel counters (bytes_read, bytes_written, accesses, act, ...)
    mem_end_state: np.ndarray       # memory state relative to the block's end
    spans: tuple[tuple[int, int, int, int], ...]  # per unit: (unit, first start, last end, busy) relative to block start


@dataclass
class PhaseStats:
    """Totals of one phase (prefill, or one decode step): time, and per-outcome run counts."""

    label: str
    duration_ps: int = 0
    runs: dict[tuple[int, str], int] = field(default_factory=dict)  # (outcome id, block name) -> times run


@dataclass(frozen=True)
class RunRecord:
    """The recorded run of a whole program (one decode step) or of one layer's blocks, replayed when it starts
    again from a state it started from before (engine.core)."""

    duration_ps: int
    runs: dict[tuple[int, str], int]  # (outcome id, block name) -> times run, as PhaseStats.runs
    last: int                         # outcome id of the last block: its end state is the run's
    blocks: int                       # blocks the run ran
    blocks_refresh_free: int          # of them, replayed by the refresh-free rule
    line: tuple[tuple[str, int, int], ...] | None  # with a timeline: (block name, outcome id, start offset ps)


@dataclass
class RunStats:
    """The engine's record of a whole run: outcomes, phases in order, and how much was simulated vs reused."""

    units: tuple[str, ...]
    memory_name: str
    channels: int
    clock_hz: float
    outcomes: list[Outcome] = field(default_factory=list)
    phases: list[PhaseStats] = field(default_factory=list)
    blocks_simulated: int = 0
    blocks_reused: int = 0
    blocks_reused_refresh_free: int = 0  # of blocks_reused: by the refresh-free rule (engine.core)
    steps_reused: int = 0  # whole programs (decode steps) replayed; their blocks count in blocks_reused
    layers_reused: int = 0  # one layer's blocks replayed together (engine.core), likewise
    events: int = 0
    timeline: list[tuple[str, str, str, int, int, int]] | None = None  # (phase, op, unit, start, dur, busy)
    # totals' per-phase runs and stacked counters, for (phases, outcomes) recorded so far (see _summed)
    _sums: tuple | None = field(default=None, repr=False, compare=False)

    def totals(self, phase_prefix: str | None = None) -> dict[str, np.ndarray | int]:
        """Sum of the outcome arrays over the phases whose label starts with ``phase_prefix`` (all if None).

        Keys: duration_ps, unit_busy_ps, unit_instructions, unit_macs, and ``mem.<counter>`` per channel.
        """
        n_u = len(self.units)
        acc: dict[str, np.ndarray | int] = {
            "unit_busy_ps": np.zeros(n_u, np.int64), "unit_instructions": np.zeros(n_u, np.int64),
            "unit_macs": np.zeros(n_u, np.int64), "duration_ps": 0,
        }
        sel = [i for i, ph in enumerate(self.phases) if phase_prefix is None or ph.label.startswith(phase_prefix)]
        acc["duration_ps"] = sum(self.phases[i].duration_ps for i in sel)
        if not sel or not self.outcomes:
            return acc
        runs, stacked = self._summed()
        oids = np.concatenate([runs[i][0] for i in sel])
        if not oids.size:
            return acc
        weight = np.bincount(oids, np.concatenate([runs[i][1] for i in sel]),
                             minlength=len(self.outcomes)).astype(np.int64)
        # one weighted sum per counter over the distinct outcomes (blocks run many times share one outcome)
        for key, mat in stacked.items():
            acc[key] = weight @ mat
        return acc

    def _summed(self) -> tuple[list[tuple[np.ndarray, np.ndarray]], dict[str, np.ndarray]]:
        """Each phase's outcomes and their run counts, and every counter stacked over the outcomes (outcomes
        x width), computed once for the phases and outcomes recorded so far."""
        key = (len(self.phases), len(self.outcomes))
        cached = self._sums
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        runs = []
        for ph in self.phases:
            agg: dict[int, int] = {}
            for (oid, _name), count in ph.runs.items():
                agg[oid] = agg.get(oid, 0) + count
            runs.append((np.fromiter(agg.keys(), np.int64, len(agg)), np.fromiter(agg.values(), np.float64, len(agg))))
        outs = self.outcomes
        stacked = {k: np.stack([getattr(o, k) for o in outs]) for k in ("unit_busy_ps", "unit_instructions", "unit_macs")}
        for k in outs[0].mem:
            stacked["mem." + k] = np.stack([o.mem[k] for o in outs])
        self._sums = (key, runs, stacked)
        return runs, stacked

    def op_time_ps(self, phase_prefix: str | None = None) -> dict[str, int]:
        """Time spent in each block (op name), summed over runs."""
        out: dict[str, int] = {}
        for ph in self.phases:
            if phase_prefix is not None and not ph.label.startswith(phase_prefix):
                continue
            for (oid, name), count in ph.runs.items():
                out[name] = out.get(name, 0) + count * self.outcomes[oid].duration_ps
        return out

    def counters(self, phase_prefix: str | None = None) -> dict[str, float]:
        """Totals with dotted names: ``unit.mv.busy_cycles``, ``unit.load.instructions``, ``hbm.ch3.bytes_read``."""
        tot = self.totals(phase_prefix)
        out: dict[str, float] = {}
        for i, u in enumerate(self.units):
            busy_ps = int(tot["unit_busy_ps"][i])  # type: ignore[index]
            out[f"unit.{u}.busy_ps"] = busy_ps
            out[f"unit.{u}.busy_cycles"] = int(round(busy_ps * self.clock_hz / 1e12))
            out[f"unit.{u}.instructions"] = int(tot["unit_instructions"][i])  # type: ignore[index]
            out[f"unit.{u}.macs"] = int(tot["unit_macs"][i])  # type: ignore[index]
        for key, arr in tot.items():
            if not key.startswith("mem."):
                continue
            name = key[4:]
            for c, v in enumerate(arr):  # type: ignore[arg-type]
                out[f"{self.memory_name}.ch{c}.{name}"] = float(v) if isinstance(v, np.floating) else int(v)
        return out
