"""The cycle-level DRAM memory model: kernel parameters, trace replay, and the engine's memory component.

``DramDevice`` owns the kernel state of every channel of one DRAM configuration. ``replay_trace`` runs a
DRAMsim3-format request trace through it (the ``accelsim dram`` command); :class:`DramMemory` is the
engine's :class:`~accelsim.engine.memory.MemoryModel` on top of it: a load or store instruction becomes one
contiguous stream of requests per channel, fed as fast as the controller accepts them (or at the rate a
port crossing the HBM switch allows), and its data is ready when its last request completes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from simpy.events import NORMAL, Event

from ..config.dram import DramConfig, DramDerived
from ..kernels import dram as K
from .memory import BUSY

__all__ = ["kernel_params", "DramDevice", "DramMemory", "TraceResult", "replay_trace", "parse_trace"]

#: SimPy priority of the DRAM process's wake-ups: after every URGENT (0) and NORMAL (1) event due at that time
LATE = 2


def _fire(ev: Event, schedule, priority: int, delay: int, value=None) -> Event:  # type: ignore[no-untyped-def]
    """Trigger ``ev`` with ``value`` to be processed ``delay`` ps from now at ``priority`` (what SimPy's Timeout
    does at NORMAL priority)."""
    ev._ok = True
    ev._value = value
    schedule(ev, priority, delay)
    return ev


def kernel_params(d: DramDerived, *, skip: bool = True, ignore_channel_bits: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The kernel's int64 parameter vector (with the state layout) and timing table for a derived configuration."""
    p = np.zeros(K.N_P, np.int64)
    nq = d.ranks * d.banks if d.queue_per_bank else d.ranks
    vals = {
        "channels": d.channels, "ranks": d.ranks, "bankgroups": d.bankgroups, "bpg": d.banks_per_group,
        "banks": d.banks, "nq": nq, "cq": d.cmd_queue_size, "tq": d.trans_queue_size,
        "drain_thr": d.write_drain_threshold, "unified": int(d.unified_queue), "per_bank": int(d.queue_per_bank),
        "open_page": int(d.open_page), "frfcfs": int(d.frfcfs), "read_delay": d.read_delay,
        "write_delay": d.write_delay, "tfaw": d.tFAW, "t32aw": d.t32AW, "gddr": int(d.gddr), "dual": int(d.dual_cmd),
        "ref_interval": d.refresh_interval, "ref_policy": d.refresh_policy, "prea": int(d.prea),
        "shift": d.shift_bits, "rq_cap": 64, "skip": int(skip), "hit_limit": 4,
        "hbits": max(6, int(np.ceil(np.log2(4 * (2 * d.trans_queue_size + nq * d.cmd_queue_size))))),
    }
    for name, v in vals.items():
        p[K.P[name]] = v
    order = ("ch", "ra", "bg", "ba", "ro", "co")
    pos = list(d.field_pos)
    masks = list(d.field_mask)
    if ignore_channel_bits:
        # channel-local addresses: the mapping without channel bits (the engine picks the channel itself)
        widths = {f: int(masks[i]).bit_length() for i, f in enumerate(order)}
        widths["ch"] = 0
        masks[0] = 0
        acc = 0
        toks = [d.address_mapping[i:i + 2] for i in range(0, 12, 2)]
        for tok in reversed(toks):
            pos[order.index(tok)] = acc
            acc += widths[tok]
    for i, f in enumerate(order):
        p[K.P["pos_" + f]] = pos[i]
        p[K.P["mask_" + f]] = masks[i]
    K.layout(p)
    T = np.array(d.timing, dtype=np.int64)
    T[T < 0] = -K.BIG  # no constraint: clk + d never raises an earliest cycle (lets the kernel skip the test)
    return p, T


class DramDevice:
    """Kernel state of all channels of one DRAM configuration, plus its derived numbers."""

    def __init__(self, cfg: DramConfig, *, skip: bool = True, channel_local: bool = False) -> None:
        self.cfg = cfg
        self.d = cfg.derive()
        self.p, self.T = kernel_params(self.d, skip=skip, ignore_channel_bits=channel_local)
        self.state = K.new_state(self.p)

    @property
    def channels(self) -> int:
        return self.d.channels

    def stat_columns(self) -> np.ndarray:
        """Indices of a state row's counter columns (statistics, then active/idle cycles per rank)."""
        ost, ork = int(self.p[K.O_ST]), int(self.p[K.O_RK])
        return np.concatenate([np.arange(ost, ost + len(K.STAT)), np.arange(ork, ork + 2 * self.d.ranks)])

    def stats(self, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Per-channel counters (names of accelsim.kernels.dram.STAT), rank cycles and energy.

        ``rows`` (channels x stat_columns) overrides the device's own counters. ``energy_dramsim3`` is
        DRAMsim3's figure, V x mA x cycles per command and per background cycle (what it prints as pJ);
        ``energy_pj`` multiplies by tCK in ns, which makes it joules x 1e12.
        """
        if rows is None:
            rows = self.state[:, self.stat_columns()]
        nst = len(K.STAT)
        out = {name: rows[:, i].copy() for name, i in K.STAT.items()}
        r = self.d.ranks
        rk = rows[:, nst:nst + 2 * r].reshape(-1, r, 2)
        out["rank_active_cycles"] = rk[:, :, 0].sum(axis=1)
        out["rank_idle_cycles"] = rk[:, :, 1].sum(axis=1)
        dramsim3 = command_energy(self.d, out["act"], out["read_cmds"], out["write_cmds"], out["ref"], out["refb"],
                                  out["rank_active_cycles"], out["rank_idle_cycles"])
        out["energy_dramsim3"] = dramsim3
        out["energy_pj"] = dramsim3 * self.d.tCK_ns
        return out


class DramMemory:
    """The engine's memory component on the cycle-level DRAM model (see the module docstring).

    Addresses: the compiler interleaves every region over all channels, so an access's data sits at
    ``addr / channels`` in each channel it touches; each touched channel receives an equal share as one
    contiguous request stream. A channel's port takes at most one request per memory cycle; ports that
    cross the memory switch (``path`` 1) offer at most one request per
    ``ceil(burst_cycle / cross_channel_efficiency)`` cycles to each channel.

    Timing is event driven: ``access`` registers the streams and returns two SimPy events, *accepted* (the
    controller has taken the last request: the issuing unit may go on) and *done* (the last request has
    completed: the data is ready); both carry their time in ps. A SimPy process (``attach``) runs the kernel
    between the engine's own events, in lockstep over the channels with work, so accesses that overlap in
    time share the controllers' queues and banks exactly as their requests would one by one.

    Channel classes (exact): channels that have received the same requests at the same cycles are in the
    same state, so only one of them (the class representative) is simulated; the others read their state
    and counters from it (counters plus a per-channel offset). An access that covers part of a class splits
    it first (the leaving part gets a full copy, in-flight requests included). A decode step that reads
    every weight matrix across all channels thus costs one channel's simulation.

    Reuse (``state_key``/``refresh_phase``/``snapshot``/``restore``): between blocks the memory is idle (no
    request queued or in flight) and has one key; the engine replays a recorded block where the refresh
    schedule is close to where it was in the recording (engine.core.REFRESH_PHASE_TOLERANCE). The replay
    puts back the open banks, activate windows, pending timing constraints (relative to the block's end) and
    round-robin position the recorded block ended with; open rows become foreign rows (blocks of different
    layers touch different rows). ``fidelity: exact`` simulates every block instead; the tests bound the
    difference. A restore is applied only when the memory is next used, so runs of replayed blocks cost
    nothing here.
    """

    event_driven = True
    #: counters() returns new arrays on every call (the engine need not copy them)
    fresh_counters = True
    #: simulate one channel per class of identical channels (exact; False simulates every channel, for tests)
    share_channels = True
    MAX_STREAMS = 256
    MAX_TAGS = 256
    STREAMS_PER_CHANNEL = 32

    def __init__(self, name: str, cfg) -> None:  # type: ignore[no-untyped-def]
        self.name = name
        self.cfg = cfg
        self.dev = DramDevice(cfg.dram_config, channel_local=True)
        self.d = self.dev.d
        self.p, self.T, self.S = self.dev.p, self.dev.T, self.dev.state
        self.channels = C = self.d.channels
        # the memory clock in femtoseconds (integer), so cycle <-> ps conversions are exact and deterministic
        self.tck_fs = int(round(self.d.tCK_ns * 1e6))
        self.cross_interval = int(np.ceil(self.d.burst_cycle / cfg.cross_channel_efficiency - 1e-9))
        self.strm = np.zeros((self.MAX_STREAMS, K.N_SM), np.int64)
        self.chs = np.zeros((C, self.STREAMS_PER_CHANNEL + 1), np.int64)
        self.tags = np.zeros((self.MAX_TAGS, K.N_TG), np.int64)
        self.G = np.zeros(8, np.int64)
        self.events = np.zeros((2 * self.MAX_TAGS, 3), np.int64)
        self._free_tags = list(range(self.MAX_TAGS - 1, 0, -1))
        self._pending: dict[int, tuple] = {}
        self.env = None
        self._wake = None
        self._bytes_read = np.zeros(C, np.int64)
        self._bytes_written = np.zeros(C, np.int64)
        self._bytes_due: dict[tuple[bool, tuple[int, int, int]], int] = {}
        self._rb = int(self.d.request_bytes)
        self._ref_interval = self.d.refresh_interval
        self._ref_interval_ps = self._ps(self._ref_interval)
        # cycles after a due point by which its refresh has surely finished: the row cycle and write recovery
        # of a bank that must be closed first, its precharge, then the refresh itself
        t = cfg.dram_config.timing
        self._ref_guard = (self.d.tRC + self.d.write_delay + self.d.burst_cycle + t.tWR + t.tRP
                           + max(self.d.tRFC, self.d.tRFCb))
        self._chan_cache: dict[tuple[int, int, int], np.ndarray] = {}
        # channel classes: rep[c] is the simulated channel whose state channel c shares
        # partitions are interned: _pid names the current one, and an access's effect on a partition (the
        # splits it makes, the partition after, the representatives to simulate) is computed once
        self._part_ids: dict[bytes, int] = {}
        self._part_rep: list[np.ndarray] = []
        self._part_reps: list[np.ndarray] = []
        self._cover_cache: dict[tuple[int, tuple[int, int, int]], tuple] = {}
        self._set_classes(np.zeros(C, np.int64))
        self._zero_pid = self._pid
        if not self.share_channels:
            self._set_classes(np.arange(C, dtype=np.int64))
        self._newrep = np.zeros(C, np.int64)
        self._share = np.int64(1 if self.share_channels else 0)
        self._statcols = self.dev.stat_columns()
        self._stat_off = np.zeros((C, len(self._statcols)), np.int64)
        self._deferred: tuple[np.ndarray, int] | None = None
        o = {k: int(self.p[getattr(K, k)]) for k in ("O_CH", "O_BANK", "O_TB", "O_TG", "O_TR", "O_FAW", "O_CQN",
                                                      "O_REFQ", "O_AW32", "O_OPN", "O_QRDY", "O_RK")}
        r, b, bg, nq = self.d.ranks, self.d.banks, self.d.bankgroups, int(self.p[K.I_NQ])
        self._o = o
        self._sl = {"bank": slice(o["O_BANK"], o["O_BANK"] + r * b * 3),
                    "tb": slice(o["O_TB"], o["O_TB"] + r * b * K.N_CMD),
                    "tg": slice(o["O_TG"], o["O_TG"] + r * bg * K.N_CMD),
                    "tr": slice(o["O_TR"], o["O_TR"] + r * K.N_CMD),
                    "faw": slice(o["O_FAW"], o["O_FAW"] + r * 5),
                    "aw32": slice(o["O_AW32"], o["O_AW32"] + r * 33),
                    "cqn": slice(o["O_CQN"], o["O_CQN"] + nq)}

    # ------------------------------------------------------------------------------------------ time base
    def _cycle(self, t_ps: int) -> int:
        """The first memory cycle starting at or after t_ps."""
        return -(-(t_ps * 1000) // self.tck_fs)

    def _ps(self, cycle: int) -> int:
        return (cycle * self.tck_fs + 999) // 1000

    def _chans(self, lo: int, n: int, stride: int) -> np.ndarray:
        key = (lo, n, stride)
        arr = self._chan_cache.get(key)
        if arr is None:
            arr = (lo + stride * np.arange(n, dtype=np.int64)) % self.channels
            self._chan_cache[key] = arr
        return arr

    # ------------------------------------------------------------------------------------------ classes
    def _set_classes(self, rep: np.ndarray) -> None:
        """Make ``rep`` the channel classes (interned: an equal partition seen before keeps its id)."""
        kb = rep.tobytes()
        pid = self._part_ids.get(kb)
        if pid is None:
            pid = self._part_ids[kb] = len(self._part_rep)
            rep = rep.copy()
            self._part_rep.append(rep)
            self._part_reps.append(np.unique(rep))
        self._pid = pid
        self.rep = self._part_rep[pid]
        self._reps = self._part_reps[pid]

    def _cover(self, key: tuple[int, int, int], chans: np.ndarray) -> np.ndarray:
        """The representatives to simulate for an access to ``chans``, splitting classes it covers in part."""
        if not self.share_channels:
            return chans
        ck = (self._pid, key)
        hit = self._cover_cache.get(ck)
        if hit is None:
            hit = self._cover_cache[ck] = self._plan_cover(chans)
        splits, pid, reps = hit
        for r, dst in splits:
            if K.split_channel(self.p, self.S, self.strm, self.chs, self.tags, r, dst) < 0:
                raise RuntimeError("too many concurrent request streams")
        if pid != self._pid:
            self._pid = pid
            self.rep = self._part_rep[pid]
            self._reps = self._part_reps[pid]
        return reps

    def _plan_cover(self, chans: np.ndarray) -> tuple:
        """For the current partition: the class splits (representative, new representative) an access to
        ``chans`` makes, the partition after them, and the representatives it simulates."""
        rep = self.rep.copy()
        inside = np.zeros(self.channels, bool)
        inside[chans] = True
        splits = []
        for r in np.unique(rep[chans]).tolist():
            members = rep == r
            leaving = members & (~inside if inside[r] else inside)
            if leaving.any():
                dst = int(np.flatnonzero(leaving)[0])
                splits.append((np.int64(r), np.int64(dst)))
                rep[leaving] = dst
        pid0, rep0, reps0 = self._pid, self.rep, self._reps
        self._set_classes(rep)
        pid = self._pid
        self._pid, self.rep, self._reps = pid0, rep0, reps0
        reps = np.unique(rep[chans])
        return tuple(splits), pid, reps

    def _stat_rows(self) -> np.ndarray:
        """Every channel's counters: its representative's plus its own offset."""
        return self.S[np.ix_(self.rep, self._statcols)] + self._stat_off

    # ------------------------------------------------------------------------------------------ accesses
    def attach(self, env) -> None:  # type: ignore[no-untyped-def]
        """Start the process that runs the controllers alongside the engine's SimPy environment."""
        self.env = env
        env.process(self._run())

    def access(self, now_ps: int, lo: int, n: int, stride: int, nbytes: int, is_write: bool, path: int,
               addr: int) -> tuple:
        """Register one load/store; returns (accepted, done) SimPy events whose values are times in ps."""
        env = self.env
        assert env is not None, "DramMemory.attach(env) must be called before access()"
        if self._deferred is not None:
            self._apply_restore()
        rb = self._rb
        nreq = -(-(-(-nbytes // n)) // rb)
        if not self._free_tags:
            raise RuntimeError("more than %d memory accesses in flight" % (self.MAX_TAGS - 1))
        tag = self._free_tags.pop()
        key = (lo, n, stride)
        reps = self._cover(key, self._chans(lo, n, stride))
        rc = K.mem_register(self.p, self.S, self.strm, self.chs, self.tags, self.G, tag, reps,
                            int(-(-(now_ps * 1000) // self.tck_fs)), int((addr // self.channels) // rb * rb), nreq, rb,
                            1 if is_write else 0, 1 if path == 0 else self.cross_interval)
        if rc < 0:
            raise RuntimeError("too many concurrent request streams on one channel")
        # bytes per channel, added up per channel set and folded into the arrays when counted
        bkey = (bool(is_write), key)
        due = self._bytes_due
        due[bkey] = due.get(bkey, 0) + nreq * rb
        acc, done = Event(env), Event(env)
        self._pending[tag] = (acc, done)
        wake = self._wake
        if wake is not None and not wake.triggered:
            wake.succeed()
        return acc, done

    def _fold_bytes(self) -> None:
        for (is_write, key), v in self._bytes_due.items():
            (self._bytes_written if is_write else self._bytes_read)[self._chans(*key)] += v
        self._bytes_due.clear()

    def _run(self):  # type: ignore[no-untyped-def]
        """The controllers' SimPy process. It resumes at LATE priority, after every other event due at the same
        time (those may register accesses that the cycles from now on must see), runs the kernel up to the next
        engine event or the first acceptance/completion, schedules those as events at that time, and sleeps
        until then."""
        env = self.env
        big = np.int64(1) << np.int64(62)
        inf = float("inf")
        p, T, S, strm, chs, tags, G, events = self.p, self.T, self.S, self.strm, self.chs, self.tags, self.G, self.events
        pending, free_tags, tck = self._pending, self._free_tags, self.tck_fs
        step, peek, schedule = K.mem_step, env.peek, env.schedule
        while True:
            if not pending:
                self._wake = Event(env)
                yield self._wake
                self._wake = None
                yield _fire(Event(env), schedule, LATE, 0)  # let everything else due now register first
            nxt = peek()
            if nxt <= env.now:  # only another LATE event can be due now
                yield _fire(Event(env), schedule, LATE, 0)
                continue
            until = big if nxt == inf else -(-(int(nxt) * 1000) // tck)
            n = step(p, T, S, strm, chs, tags, G, until, events, self._reps)
            now = env.now
            t = (int(G[0]) * tck + 999) // 1000
            delay = t - now if t > now else 0
            if n:
                for tag, kind, cyc in events[:n].tolist():
                    acc, done = pending[tag]
                    if kind == 1:
                        ps = (cyc * tck + 999) // 1000
                        ev, v = acc, (ps if ps > t else t)
                    else:
                        ev, v = done, (cyc * tck + 999) // 1000
                        del pending[tag]
                        free_tags.append(tag)
                    _fire(ev, schedule, NORMAL, delay, v)
            yield _fire(Event(env), schedule, LATE, delay)

    # ------------------------------------------------------------------------------------------ reuse
    def _settle(self, now_ps: int) -> int:
        if self._deferred is not None:
            self._apply_restore()
        clk = self._cycle(now_ps)
        K.settle_channels(self.p, self.T, self.S, self._reps, np.int64(clk))
        if self.G[0] < clk:
            self.G[0] = clk
        return clk

    def _canonical(self, clk: int) -> np.ndarray:
        """Every channel's state relative to cycle clk (see ``accelsim.kernels.dram.mem_canonical``)."""
        return K.mem_canonical(self.p, self.S, self.rep, np.int64(clk))

    def state_key(self, now_ps: int) -> bytes:
        if self._pending:
            return BUSY + np.int64(now_ps).tobytes()  # requests in flight: never reused
        if self._deferred is None:
            och = self._o["O_CH"]
            r = self._reps
            S = self.S
            if ((S[r, och + K.F_RQN] > 0) | (S[r, och + K.F_WQN] > 0) | (S[r, och + K.F_CQT] > 0)).any():
                return BUSY + np.int64(now_ps).tobytes()
        return b"idle"

    def refresh_phase(self, now_ps: int) -> tuple[int, int]:
        """(time since the last refresh due point, refresh interval), in ps."""
        interval, tck = self._ref_interval, self.tck_fs
        return ((-(-(now_ps * 1000) // tck)) % interval * tck + 999) // 1000, self._ref_interval_ps

    def refresh_window(self, now_ps: int) -> int:
        """How long (ps) a block starting at ``now_ps`` may last with no refresh touching it; 0 if one may.

        No refresh touches the block when none is queued or under way in a simulated channel, the last due
        point lies at least ``_ref_guard`` cycles back (the longest a due refresh takes to finish: close a
        just-written row, precharge, refresh), and the block's last memory cycle comes before the next due
        point. Such a block's outcome does not depend on where in the refresh interval it starts: the
        refresh schedule enters the kernel only through the due points (engine.core uses this to replay a
        refresh-free recording at any refresh-free phase)."""
        c0 = self._cycle(now_ps)
        interval = self._ref_interval
        last = c0 // interval * interval
        if c0 - last < self._ref_guard:
            return 0
        if self._deferred is None:
            och, r, S = self._o["O_CH"], self._reps, self.S
            if ((S[r, och + K.F_REFN] != 0) | (S[r, och + K.F_INREF] != 0)).any():
                return 0
        # the block's end must fall in a cycle before last + interval - 1 (one cycle of margin)
        return max(0, self._ps(last + interval - 2) - now_ps)

    def snapshot(self, now_ps: int) -> np.ndarray:
        return self._canonical(self._settle(now_ps))

    def restore(self, rel_state: np.ndarray, now_ps: int) -> None:
        """Put every channel at ``now_ps`` in the recorded (relative) end state of a replayed block (applied
        when the memory is next used)."""
        self._deferred = (rel_state, self._cycle(now_ps))

    def _apply_restore(self) -> None:
        assert self._deferred is not None
        rel_state, clk = self._deferred
        self._deferred = None
        # counters become every channel's own, the state is put back, the classes re-formed and the counter
        # offsets taken against them (accelsim.kernels.dram.mem_restore)
        newrep = self._newrep
        same = K.mem_restore(self.p, self.S, self.G, rel_state, np.int64(clk), self.rep, self._statcols,
                             self._stat_off, self._share, newrep)
        if same and self.share_channels:
            # the usual case: every channel ended the block alike (one class, like the first partition)
            if self._pid != self._zero_pid:
                self._pid = self._zero_pid
                self.rep = self._part_rep[self._zero_pid]
                self._reps = self._part_reps[self._zero_pid]
        else:
            self._set_classes(newrep)

    def counters(self) -> dict[str, np.ndarray]:
        if self._bytes_due:
            self._fold_bytes()
        rows = K.mem_counter_rows(self.p, self.S, self.rep, self._statcols, self._stat_off)
        return {"bytes_read": self._bytes_read.copy(), "bytes_written": self._bytes_written.copy(),
                "accesses": rows[0], "act": rows[1], "pre": rows[2], "ref": rows[3], "read_cmds": rows[4],
                "write_cmds": rows[5], "row_hits": rows[6], "read_lat_sum": rows[7], "reads_done": rows[8],
                "_energy_rows": rows[[1, 4, 5, 9, 10, 11, 12]].copy()}

    def delta(self, c0: dict[str, np.ndarray], c1: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per-channel counters between two ``counters()`` readings, with the energy of the commands and
        standby cycles in between (pJ): computed from the integer counts, so a block's energy does not depend
        on how much was counted before it."""
        out = {k: c1[k] - c0[k] for k in c1 if k != "_energy_rows"}
        out["energy_pj"] = command_energy(self.d, *(c1["_energy_rows"] - c0["_energy_rows"])) * self.d.tCK_ns
        return out


def command_energy(d: DramDerived, act: np.ndarray, read_cmds: np.ndarray, write_cmds: np.ndarray, ref: np.ndarray,
                   refb: np.ndarray, rank_active_cycles: np.ndarray, rank_idle_cycles: np.ndarray) -> np.ndarray:
    """DRAMsim3's energy per channel (V x mA x cycles) of these command counts and rank standby cycles."""
    e_act, e_rd, e_wr, e_ref, e_refb, e_act_stb, e_pre_stb = d.energy_pj
    return (act * e_act + read_cmds * e_rd + write_cmds * e_wr + ref * e_ref + refb * e_refb
            + rank_active_cycles * e_act_stb + rank_idle_cycles * e_pre_stb)


@dataclass
class TraceResult:
    """What ``accelsim dram`` reports for a replayed trace (DRAMsim3's definitions)."""

    requests: int
    cycles: int
    tCK_ns: float
    bandwidth_gbps: float
    avg_read_latency_cycles: float
    avg_read_latency_ns: float
    row_hit_rate: float
    act_count: int
    pre_count: int
    ref_count: int
    read_cmds: int
    write_cmds: int
    energy_pj: float
    energy_pj_per_bit: float
    energy_dramsim3: float  # DRAMsim3's own figure: V x mA x cycles (equals pJ only when tCK is 1 ns)
    per_channel: dict[str, list[float]]
    ignored_keys: list[str]
    sim_wall_s: float = 0.0

    def to_dict(self) -> dict[str, object]:
        from dataclasses import asdict

        return asdict(self)


def parse_trace(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read DRAMsim3's trace format ``0x<hex address> READ|WRITE <cycle>`` (one request per line).

    Raises AccelsimError naming the first malformed line.
    """
    from ..errors import AccelsimError

    addrs: list[int] = []
    writes: list[int] = []
    cycles: list[int] = []
    try:
        fh = open(path, encoding="utf-8")
    except OSError as exc:
        raise AccelsimError(f"cannot read trace: {exc.strerror}", file=path, hint="pass an existing trace file")
    with fh:
        for lineno, line in enumerate(fh, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            parts = text.split()
            try:
                if len(parts) != 3:
                    raise ValueError("expected 3 fields")
                addr = int(parts[0], 16)
                op = parts[1].upper()
                if op not in ("READ", "WRITE"):
                    raise ValueError(f"operation {parts[1]!r}")
                cyc = int(parts[2])
                if addr < 0 or cyc < 0:
                    raise ValueError("negative value")
            except ValueError as exc:
                raise AccelsimError(f"malformed trace line {lineno}: {text[:60]!r} ({exc})", file=path,
                                    key_path=f"line {lineno}",
                                    hint="each line is '0x<hex address> READ|WRITE <cycle>', e.g. '0x1F40 READ 12'")
            addrs.append(addr)
            writes.append(1 if op == "WRITE" else 0)
            cycles.append(cyc)
    if not addrs:
        raise AccelsimError("the trace holds no requests", file=path, hint="add lines '0x<addr> READ|WRITE <cycle>'")
    cyc_arr = np.array(cycles, dtype=np.int64)
    return np.array(addrs, dtype=np.int64), np.array(writes, dtype=np.int64), cyc_arr


def replay_trace(cfg: DramConfig, addrs: np.ndarray, writes: np.ndarray, cycles: np.ndarray, *,
                 unlimited: bool = False, skip: bool = True, ignored: list[str] | None = None,
                 max_cycles: int = 1 << 60) -> TraceResult:
    """Replay a trace through a fresh device and summarise it as DRAMsim3 does."""
    import time

    from ..errors import AccelsimError

    t0 = time.perf_counter()
    dev = DramDevice(cfg, skip=skip)
    order = np.argsort(cycles, kind="stable") if np.any(np.diff(cycles) < 0) else None
    if order is not None:
        addrs, writes, cycles = addrs[order], writes[order], cycles[order]
    total = K.run_trace(dev.p, dev.T, dev.state, addrs, writes, cycles, np.int64(1 if unlimited else 0),
                        np.int64(max_cycles))
    if total < 0:
        raise AccelsimError("the trace did not complete within the cycle limit", hint="raise max_cycles")
    s = dev.stats()
    d = dev.d
    reads = int(s["reads_done"].sum())
    rw_cmds = int(s["read_cmds"].sum() + s["write_cmds"].sum())
    hits = int(s["read_hits"].sum() + s["write_hits"].sum())
    n = len(addrs)
    seconds = total * d.tCK_ns * 1e-9
    lat = float(s["read_lat_sum"].sum()) / reads if reads else 0.0
    energy = float(s["energy_pj"].sum())
    bits = n * d.request_bytes * 8
    per_channel = {k: [float(x) for x in s[k]] for k in ("reads_done", "writes_done", "act", "pre", "ref",
                                                        "read_hits", "energy_pj")}
    return TraceResult(
        requests=n, cycles=int(total), tCK_ns=d.tCK_ns, bandwidth_gbps=n * d.request_bytes / seconds / 1e9,
        avg_read_latency_cycles=lat, avg_read_latency_ns=lat * d.tCK_ns, row_hit_rate=hits / rw_cmds if rw_cmds else 0.0,
        act_count=int(s["act"].sum()), pre_count=int(s["pre"].sum() + s["prea"].sum()), ref_count=int(s["ref"].sum()),
        read_cmds=int(s["read_cmds"].sum()), write_cmds=int(s["write_cmds"].sum()), energy_pj=energy,
        energy_pj_per_bit=energy / bits if bits else 0.0, energy_dramsim3=float(s["energy_dramsim3"].sum()),
        per_channel=per_channel, ignored_keys=list(ignored or []),
        sim_wall_s=time.perf_counter() - t0)
