"""The SimPy engine: runs programs of instruction blocks on a device model, in integer picoseconds.

Within a block there is one SimPy process per unit. A unit takes its instructions in program order; an
instruction starts when the unit is free and the instructions it depends on have delivered their data;
compute instructions take the time their kernel gives, memory instructions go through the memory model
(which may delay them while their channels are busy, and delivers data after the memory latency). A block
ends with a barrier: every instruction has delivered, plus the barrier's cycles.

Reuse: a block's outcome (duration, busy time and counts per unit, bytes per channel, the memory state it
leaves) is recorded under the block's content hash and the memory state it started from. When the same
block starts from the same state again (the next layer, the next decode step in the same length bucket)
the recorded outcome is replayed instead of re-simulated; ``fidelity="exact"`` turns this off. With the
bandwidth model the state is exact and both give identical numbers (tested). With cycle-level DRAM the
state is "idle memory" plus the refresh phase within a tolerance (REFRESH_PHASE_TOLERANCE; see
engine/dram.py for what the replay keeps), and the tests bound the difference to exact.

Refresh-free blocks: a block that starts from a replayed block's end state (the memory put back by
``restore``) and that no refresh touches (``refresh_window``: none under way, the last due point far enough
back, the block over before the next) has an outcome that does not depend on where in the refresh interval
it starts. Such a recording is kept per (block, start state, the replayed outcome it started from) and
replayed at any later refresh-free start, however far its refresh phase; it adds no approximation beyond
the replay's own (the restored state, and the start's alignment to the memory clock). Short blocks (a KV
append, a norm) otherwise needed a recording per 1 % of their duration around the refresh interval.

Whole programs: a program (one decode step: every decode step of a length bucket runs the same program) is
recorded the same way as a block, under its content and the memory state it started from, with its
duration, the outcomes its blocks ran and how often, and its end state (its last block's). A step that
starts from that state again, its refresh phase within REFRESH_PHASE_TOLERANCE of the step's duration, is
replayed whole: the same rule as for a block, applied to the step (a step with a block simulated from a
busy memory state is not recorded). With the bandwidth model this is exact (tested); with cycle-level DRAM
every step of a bucket after its first takes the first one's time, where block by block each took
recordings near its own refresh phase: both stay within the tested bounds to ``exact`` (measured in the
README), and a decode of 7B-class models stops walking ~400 blocks per step. Inside a program that is run
block by block, one layer's blocks (consecutive entries of one layer index) are recorded and replayed
together by the same rule, so a bucket's first step replays its first layer for the others.
"""

from __future__ import annotations

import bisect
from typing import Generator, Iterable

import numpy as np
import simpy

from ..compiler.isa import LOAD, STORE, Block, Program
from ..config.hardware import HardwareConfig
from .memory import BUSY
from .registry import COMPUTE_MODELS, MEMORY_MODELS
from .runstats import Outcome, PhaseStats, RunStats, RunRecord

__all__ = ["Engine", "FIDELITIES"]

FIDELITIES = ("cycle", "exact")

# Reuse across refresh phases: a recorded block outcome is replayed only where the memory's refresh schedule
# sits at most this fraction of the block's duration away from where it sat in the recording, so every
# refresh inside the replayed block is misplaced by at most 1 % of its duration (and the block's time by
# about as much). Memories without refresh report phase 0 and always match.
REFRESH_PHASE_TOLERANCE = 0.01
REFRESH_PHASE_FLOOR = 0.0


class Engine:
    """Simulates programs on one device; accumulates a :class:`RunStats` over successive ``run`` calls."""

    def __init__(self, hw: HardwareConfig, units: tuple[str, ...], fidelity: str = "cycle",
                 timeline: bool = False) -> None:
        if fidelity not in FIDELITIES:
            raise ValueError(f"fidelity must be one of {FIDELITIES}, got {fidelity!r}")
        self.hw = hw
        self.units = units
        self.reuse = fidelity == "cycle"
        self.compute = COMPUTE_MODELS[hw.kind](hw)
        mem_cfg = hw.weight_memory
        self.memory = MEMORY_MODELS[mem_cfg.timing_model](hw.mapping.weight_memory, mem_cfg)
        self.period_ps = 1e12 / hw.clocks.main
        self.barrier_ps = int(round(hw.mapping.barrier_cycles * self.period_ps))
        self.stats = RunStats(units, hw.mapping.weight_memory, self.memory.channels, hw.clocks.main,
                              timeline=[] if timeline else None)
        self.env = simpy.Environment()
        self.event_driven = bool(getattr(self.memory, "event_driven", False))
        self._fresh_counters = bool(getattr(self.memory, "fresh_counters", False))
        if self.event_driven:
            self.memory.attach(self.env)
        self._t = 0  # virtual time: env.now plus replayed blocks not yet turned into a SimPy timeout
        self._memo: dict[tuple[str, bytes], tuple[list[int], list[int], list[float]]] = {}
        # per block and start state, a recording no refresh touched (memory.refresh_window)
        self._quiet: dict[tuple[tuple[str, bytes], int], int] = {}
        self._restored: int | None = None  # the outcome whose end state the memory was last put in (replay)
        self._block_cache: dict[str, tuple] = {}
        # runs of blocks recorded for replay (_records), looked up like blocks: whole programs (decode steps) per
        # (program, start state) in _steps, one layer's blocks per (their blocks, start state) in _layers
        self._steps: dict[tuple, tuple[list[int], list[int], list[float]]] = {}
        self._records: list[RunRecord] = []
        self._layers: dict[tuple, tuple[list[int], list[int], list[float]]] = {}
        self._prog_info: dict[int, tuple] = {}
        self._last: int | None = None  # the last block outcome run (its end state is the memory's)

    # ------------------------------------------------------------------------------------------ driver
    def run(self, phases: Iterable[tuple[str, Program]]) -> RunStats:
        """Run each (label, program) in order, continuing from where the previous call ended."""
        self.env.process(self._driver(list(phases)))
        self.env.run()
        return self.stats

    def _driver(self, phases: list[tuple[str, Program]]) -> Generator:
        env, st = self.env, self.stats
        reuse = self.reuse
        recs = self._records
        for label, prog in phases:
            ph = PhaseStats(label)
            t_start = self._t
            pk, groups = self._program_info(prog)
            line: list[tuple[str, int, int]] | None = [] if st.timeline is not None else None
            if reuse:
                # the whole program (a decode step of a length bucket) from a state seen before: replay its run
                pkey, pphase, sid = self._probe(pk, self._steps)
                if sid is not None:
                    self._replay_run(recs[sid], ph, label, line, 0)
                    ph.duration_ps = recs[sid].duration_ps
                    st.phases.append(ph)
                    st.steps_reused += 1
                    continue
            mark = self._counts()
            replayable = reuse
            base = np.asarray(prog.region_base or (0, 0, 0, 0), dtype=np.int64)
            stride = np.asarray(prog.region_stride or (0, 0, 0, 0), dtype=np.int64)
            for lo, hi, gk in groups:
                if reuse and gk is not None:
                    # one layer's blocks from a state seen before: replay the layer's run (the same rule)
                    t = self._t
                    gkey, gphase, gid = self._probe(gk, self._layers)
                    if gid is not None:
                        self._replay_run(recs[gid], ph, label, line, t - t_start)
                        st.layers_reused += 1
                        continue
                    gmark = self._counts()
                    runs: dict[tuple[int, str], int] = {}
                    gline: list[tuple[str, int, int]] | None = [] if line is not None else None
                    ok = yield from self._run_blocks(prog, lo, hi, base, stride, label, runs, gline, t)
                    self._merge(ph, runs, line, gline, t - t_start)
                    if ok:
                        self._record(runs, gmark, gline, t, gkey, gphase, self._layers)
                    replayable = replayable and ok
                    continue
                ok = yield from self._run_blocks(prog, lo, hi, base, stride, label, ph.runs, line, t_start)
                replayable = replayable and ok
            ph.duration_ps = self._t - t_start
            st.phases.append(ph)
            if replayable and self._last is not None:
                self._record(ph.runs, mark, line, t_start, pkey, pphase, self._steps)
        if self._t > env.now:
            yield env.timeout(self._t - env.now)

    def _run_blocks(self, prog: Program, lo: int, hi: int, base: np.ndarray, stride: np.ndarray, label: str,
                    runs: dict[tuple[int, str], int], line: list | None, t_ref: int) -> Generator:
        """Run entries lo..hi of the program's sequence block by block (replaying recorded blocks). Returns
        whether every simulated block started from a state its outcome can be replayed for (not BUSY)."""
        env, st, mem = self.env, self.stats, self.memory
        reuse, outcomes = self.reuse, st.outcomes
        lookup = self._lookup
        state_key, refresh_phase, restore = mem.state_key, mem.refresh_phase, mem.restore
        window = getattr(mem, "refresh_window", None)
        quiet = self._quiet
        blocks = prog.blocks
        ok = True
        for bi, layer in prog.sequence[lo:hi].tolist():
            blk = blocks[bi]
            oid = None
            restored = self._restored
            if reuse:
                t = self._t
                skey = (blk.key, state_key(t))
                phase = refresh_phase(t)
                free = 0
                qkey = None
                if window is not None and restored is not None:
                    # the memory holds a replayed block's end state: a block simulated from that state with
                    # no refresh touching it has the same outcome wherever it starts (see refresh_window)
                    qkey = (skey, restored)
                    q = quiet.get(qkey)
                    if q is not None:
                        free = window(t)
                        if outcomes[q].duration_ps < free:
                            oid = q
                            st.blocks_reused_refresh_free += 1
                if oid is None:
                    oid = lookup(skey, phase)
                    if oid is None and qkey is not None and q is None:
                        free = window(t)  # to know whether the simulation below is refresh-free
            if oid is None:
                if self._t > env.now:
                    yield env.timeout(self._t - env.now)
                oid = yield from self._simulate(blk, base + layer * stride)
                self._t = env.now
                if reuse:
                    if skey[1].startswith(BUSY):
                        ok = False  # an outcome that depends on the live state: no run containing it is replayed
                    self._remember(skey, phase, oid)
                    if qkey is not None and outcomes[oid].duration_ps < free and qkey not in quiet:
                        quiet[qkey] = oid
                self._restored = None  # the memory's state is now what this simulation left
                st.blocks_simulated += 1
                t0 = self._t - outcomes[oid].duration_ps
            else:
                o = outcomes[oid]
                t0 = self._t
                self._t += o.duration_ps
                restore(o.mem_end_state, self._t)
                self._restored = oid
                st.blocks_reused += 1
            if line is not None:
                self._record_timeline(label, blk.name, oid, t0)
                line.append((blk.name, oid, t0 - t_ref))
            run_key = (oid, blk.name)
            runs[run_key] = runs.get(run_key, 0) + 1
            self._last = oid
        return ok

    def _program_info(self, prog: Program) -> tuple[tuple, list[tuple[int, int, tuple | None]]]:
        """A program's content key (its blocks, their order and layer regions) and its layer groups: runs of
        consecutive entries of one layer index, (first, end, content key or None for a single block), computed
        once per object (the program is kept, so that its id is not reused)."""
        hit = self._prog_info.get(id(prog))
        if hit is None or hit[0] is not prog:
            keys = [b.key for b in prog.blocks]
            seq = prog.sequence
            key = (tuple(keys), seq.tobytes(), tuple(prog.region_base or ()), tuple(prog.region_stride or ()))
            groups: list[tuple[int, int, tuple | None]] = []
            lo = 0
            n = len(seq)
            for i in range(1, n + 1):
                if i == n or seq[i, 1] != seq[lo, 1]:
                    ids = seq[lo:i, 0].tolist()
                    groups.append((lo, i, tuple(keys[j] for j in ids) if i - lo > 1 else None))
                    lo = i
            hit = self._prog_info[id(prog)] = (prog, key, groups)
        return hit[1], hit[2]

    def _probe(self, content: tuple, memo: dict) -> tuple[tuple, tuple[int, int], int | None]:
        """(key, refresh phase, recorded run or None) for a run of blocks of this content starting now."""
        key = (content, self.memory.state_key(self._t))
        phase = self.memory.refresh_phase(self._t)
        return key, phase, self._lookup(key, phase, memo)

    def _counts(self) -> tuple[int, int]:
        st = self.stats
        return st.blocks_simulated + st.blocks_reused, st.blocks_reused_refresh_free

    @staticmethod
    def _add_runs(dst: dict[tuple[int, str], int], src: dict[tuple[int, str], int]) -> None:
        for k, v in src.items():
            dst[k] = dst.get(k, 0) + v

    def _merge(self, ph: PhaseStats, runs: dict, line: list | None, gline: list | None, off: int) -> None:
        """Add a layer group's runs (and timeline offsets, from its start) to its phase's."""
        self._add_runs(ph.runs, runs)
        if line is not None and gline is not None:
            line.extend((name, oid, off + o) for name, oid, o in gline)

    def _record(self, runs: dict, mark: tuple[int, int], line: list | None, t0: int, key: tuple,
                phase: tuple[int, int], memo: dict) -> None:
        """Record the run of blocks since ``mark`` (started at t0) for replay under ``key``."""
        assert self._last is not None
        n0, f0 = mark
        n1, f1 = self._counts()
        self._records.append(RunRecord(self._t - t0, dict(runs), self._last, n1 - n0, f1 - f0,
                                          tuple(line) if line is not None else None))
        self._remember(key, phase, len(self._records) - 1, self._t - t0, memo)

    def _replay_run(self, rec: RunRecord, ph: PhaseStats, label: str, line: list | None, off: int) -> None:
        """Replay a recorded run of blocks (a step, or one layer's blocks) that starts ``off`` ps into its phase:
        its time, the outcomes it ran and how often, its end state (that of its last block)."""
        st = self.stats
        if st.timeline is not None:
            for name, oid, o in rec.line or ():
                self._record_timeline(label, name, oid, self._t + o)
                if line is not None:
                    line.append((name, oid, off + o))
        self._add_runs(ph.runs, rec.runs)
        self._t += rec.duration_ps
        self.memory.restore(st.outcomes[rec.last].mem_end_state, self._t)
        self._restored = self._last = rec.last
        st.blocks_reused += rec.blocks
        st.blocks_reused_refresh_free += rec.blocks_refresh_free

    def _lookup(self, skey: tuple, phase: tuple[int, int], memo: dict | None = None) -> int | None:
        """A recorded outcome of this block (or record of this program, in ``memo``) from this memory state
        whose refresh phase is close enough."""
        rec = (self._memo if memo is None else memo).get(skey)
        if rec is None:
            return None
        phases, oids, tols = rec
        ph, period = phase
        n = len(phases)
        if n == 1:  # the usual case (the candidates below are all entry 0)
            dist = abs(ph - phases[0])
            if period and period - dist < dist:
                dist = period - dist
            return oids[0] if dist <= tols[0] else None
        i = bisect.bisect_left(phases, ph)
        best, best_d = None, None
        for j in (i - 1, i, 0, n - 1):  # the neighbours on both sides, and across the wrap
            if 0 <= j < n:
                dist = abs(ph - phases[j])
                if period and period - dist < dist:
                    dist = period - dist
                if dist <= tols[j] and (best_d is None or dist < best_d):
                    best, best_d = oids[j], dist
        return best

    def _remember(self, skey: tuple, phase: tuple[int, int], oid: int, duration_ps: int | None = None,
                  memo: dict | None = None) -> None:
        rec = (self._memo if memo is None else memo).setdefault(skey, ([], [], []))
        ph, period = phase
        if duration_ps is None:
            duration_ps = self.stats.outcomes[oid].duration_ps
        tol = max(REFRESH_PHASE_TOLERANCE * duration_ps, REFRESH_PHASE_FLOOR * period)
        i = bisect.bisect_left(rec[0], ph)
        rec[0].insert(i, ph)
        rec[1].insert(i, oid)
        rec[2].insert(i, tol)

    def _record_timeline(self, label: str, name: str, oid: int, t0: int) -> None:
        o = self.stats.outcomes[oid]
        assert self.stats.timeline is not None
        for u, s, e, busy in o.spans:
            self.stats.timeline.append((label, name, self.units[u], t0 + s, e - s, busy))

    # ------------------------------------------------------------------------------------------ one block
    def _prepare(self, blk: Block) -> tuple:
        """Per-block constants: columns as Python lists, compute durations, instruction indices per unit."""
        cached = self._block_cache.get(blk.key)
        if cached is None:
            tr = blk.trace
            dur = self.compute.durations(tr).tolist()
            cols = {f: tr[f].tolist() for f in ("opcode", "unit", "dep0", "dep1", "dep2", "bytes", "chan_lo", "chan_n",
                                                "chan_stride", "path", "region", "addr", "macs")}
            units = tr["unit"]
            per_unit = [np.nonzero(units == u)[0].tolist() for u in range(len(self.units))]
            cached = (cols, dur, per_unit)
            self._block_cache[blk.key] = cached
        return cached

    def _simulate(self, blk: Block, region_addr: np.ndarray) -> Generator:
        env, mem, st = self.env, self.memory, self.stats
        cols, dur, per_unit = self._prepare(blk)
        n_units = len(self.units)
        t0 = env.now
        counters0 = mem.counters() if self._fresh_counters else {k: v.copy() for k, v in mem.counters().items()}
        n = len(dur)
        end = [-1] * n
        waiters: dict[int, simpy.Event] = {}
        acc_busy = [0] * n_units
        acc_instr = [0] * n_units
        acc_macs = [0] * n_units
        first = [-1] * n_units
        last = [0] * n_units
        base = region_addr.tolist()
        pending: list[simpy.Event] = []  # completions of event-driven memory accesses
        procs = [env.process(self._unit(u, idxs, cols, dur, end, waiters, base, acc_busy, acc_instr, acc_macs, first,
                                        last, pending))
                 for u, idxs in enumerate(per_unit) if idxs]
        yield env.all_of(procs)
        if pending:
            yield env.all_of(pending)
        t_done = max(max(end), env.now) if n else env.now
        yield env.timeout(t_done - env.now + self.barrier_ps)
        end_state = mem.snapshot(env.now)  # brings the memory to the block's end before counting
        counters1 = mem.counters()
        spans = tuple((u, first[u] - t0, last[u] - t0, acc_busy[u]) for u in range(n_units) if first[u] >= 0)
        o = Outcome(
            block_name=blk.name, op_kinds=blk.op_kinds, duration_ps=env.now - t0,
            unit_busy_ps=np.array(acc_busy, np.int64), unit_instructions=np.array(acc_instr, np.int64),
            unit_macs=np.array(acc_macs, np.int64),
            mem=(mem.delta(counters0, counters1) if hasattr(mem, "delta")
                 else {k: counters1[k] - counters0[k] for k in counters1}),
            mem_end_state=end_state, spans=spans,
        )
        st.outcomes.append(o)
        return len(st.outcomes) - 1

    @staticmethod
    def _completion(i: int, u: int, end: list[int], waiters: dict[int, simpy.Event], last: list[int]):  # type: ignore[no-untyped-def]
        """Callback for an event-driven access's completion: its data-ready time, and the waiting dependents."""

        def done(ev: simpy.Event) -> None:
            end[i] = ev.value
            if ev.value > last[u]:
                last[u] = ev.value
            w = waiters.pop(i, None)
            if w is not None:
                w.succeed()

        return done

    def _unit(self, u: int, idxs: list[int], cols: dict[str, list[int]], dur: list[int], end: list[int],
              waiters: dict[int, simpy.Event], base: list[int], acc_busy: list[int], acc_instr: list[int],
              acc_macs: list[int], first: list[int], last: list[int], pending: list[simpy.Event]) -> Generator:
        env, mem, st = self.env, self.memory, self.stats
        opcode, dep0, dep1, dep2 = cols["opcode"], cols["dep0"], cols["dep1"], cols["dep2"]
        busy = 0
        for i in idxs:
            for d in (dep0[i], dep1[i], dep2[i]):
                if d < 0:
                    continue
                e = end[d]
                if e < 0:  # its producer has not issued yet: wait to be told
                    ev = waiters.get(d)
                    if ev is None:
                        ev = waiters[d] = env.event()
                    yield ev
                    st.events += 1
                    e = end[d]
                if e > env.now:
                    yield env.timeout(e - env.now)
                    st.events += 1
            now = env.now
            op = opcode[i]
            if op == LOAD or op == STORE:
                addr = base[cols["region"][i]] + cols["addr"][i]
                nbytes = cols["bytes"][i]
                if self.event_driven and nbytes > 0:
                    # the unit is busy until the controllers have accepted the last request; the data is ready
                    # (end[i], dependents released) when the last request completes
                    accepted, done = mem.access(now, cols["chan_lo"][i], cols["chan_n"][i], cols["chan_stride"][i],
                                                nbytes, op == STORE, cols["path"][i], addr)
                    finish = yield accepted
                    st.events += 1
                    s = now
                    busy += finish - s
                    if first[u] < 0:
                        first[u] = s
                    pending.append(done)
                    done.callbacks.append(self._completion(i, u, end, waiters, last))
                    continue
                if nbytes > 0:
                    s, finish, ready = mem.access(now, cols["chan_lo"][i], cols["chan_n"][i], cols["chan_stride"][i],
                                                  nbytes, op == STORE, cols["path"][i], addr)
                else:
                    s = finish = ready = now
                end[i] = ready
                busy += finish - s
            else:
                s = now
                finish = now + dur[i]
                end[i] = finish
                busy += dur[i]
                acc_macs[u] += cols["macs"][i]
            ev = waiters.pop(i, None)
            if ev is not None:
                ev.succeed()
            if first[u] < 0:
                first[u] = s
            if finish > now:
                yield env.timeout(finish - now)
                st.events += 1
            last[u] = max(last[u], end[i])
        acc_busy[u] += busy
        acc_instr[u] += len(idxs)
