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

from ..config.dram import DramConfig, DramDerived
from ..kernels import dram as K

__all__ = ["kernel_params", "DramDevice", "DramMemory", "TraceResult", "replay_trace", "parse_trace"]


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
        e_act, e_rd, e_wr, e_ref, e_refb, e_act_stb, e_pre_stb = self.d.energy_pj
        dramsim3 = (out["act"] * e_act + out["read_cmds"] * e_rd + out["write_cmds"] * e_wr
                    + out["ref"] * e_ref + out["refb"] * e_refb
                    + out["rank_active_cycles"] * e_act_stb + out["rank_idle_cycles"] * e_pre_stb)
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
        self._chan_cache: dict[tuple[int, int, int], np.ndarray] = {}
        # channel classes: rep[c] is the simulated channel whose state channel c shares
        self.rep = np.zeros(C, np.int64) if self.share_channels else np.arange(C, dtype=np.int64)
        self._reps = np.unique(self.rep)
        self._cover_cache: dict[tuple[int, int, int], np.ndarray] = {}
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
        self.rep = rep
        self._reps = np.unique(rep)
        self._cover_cache.clear()

    def _cover(self, key: tuple[int, int, int], chans: np.ndarray) -> np.ndarray:
        """The representatives to simulate for an access to ``chans``, splitting classes it covers in part."""
        reps = self._cover_cache.get(key)
        if reps is not None:
            return reps
        if not self.share_channels:
            return chans
        rep = self.rep.copy()
        inside = np.zeros(self.channels, bool)
        inside[chans] = True
        for r in np.unique(rep[chans]).tolist():
            members = rep == r
            leaving = members & (~inside if inside[r] else inside)
            if leaving.any():
                dst = int(np.flatnonzero(leaving)[0])
                if K.split_channel(self.p, self.S, self.strm, self.chs, self.tags, np.int64(r), np.int64(dst)) < 0:
                    raise RuntimeError("too many concurrent request streams")
                rep[leaving] = dst
        self._set_classes(rep)
        reps = np.unique(rep[chans])
        self._cover_cache[key] = reps
        return reps

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
        rb = self.d.request_bytes
        per = -(-nbytes // n)
        nreq = -(-per // rb)
        base = (addr // self.channels) // rb * rb
        interval = 1 if path == 0 else self.cross_interval
        if not self._free_tags:
            raise RuntimeError("more than %d memory accesses in flight" % (self.MAX_TAGS - 1))
        tag = self._free_tags.pop()
        chans = self._chans(lo, n, stride)
        reps = self._cover((lo, n, stride), chans)
        rc = K.mem_register(self.p, self.S, self.strm, self.chs, self.tags, self.G, np.int64(tag), reps,
                            np.int64(self._cycle(now_ps)), np.int64(base), np.int64(nreq), np.int64(rb),
                            np.int64(1 if is_write else 0), np.int64(interval))
        if rc < 0:
            raise RuntimeError("too many concurrent request streams on one channel")
        (self._bytes_written if is_write else self._bytes_read)[chans] += nreq * rb
        acc, done = env.event(), env.event()
        self._pending[tag] = (acc, done)
        if self._wake is not None and not self._wake.triggered:
            self._wake.succeed()
        return acc, done

    def _run(self):  # type: ignore[no-untyped-def]
        env = self.env
        big = np.int64(1) << np.int64(62)
        while True:
            if not self._pending:
                self._wake = env.event()
                yield self._wake
                self._wake = None
            nxt = env.peek()
            if nxt <= env.now:
                yield env.timeout(0)  # let everything else due now register first
                continue
            until = big if nxt == float("inf") else np.int64(self._cycle(int(nxt)))
            n = int(K.mem_step(self.p, self.T, self.S, self.strm, self.chs, self.tags, self.G, until, self.events))
            t = self._ps(int(self.G[0]))
            if t > env.now:
                yield env.timeout(t - env.now)
            if n:
                for tag, kind, cyc in self.events[:n].tolist():
                    acc, done = self._pending[tag]
                    if kind == 1:
                        acc.succeed(max(self._ps(cyc), env.now))
                    else:
                        done.succeed(self._ps(cyc))
                        del self._pending[tag]
                        self._free_tags.append(tag)

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
        sl, o, rep = self._sl, self._o, self.rep
        S = self.S
        bank = S[:, sl["bank"]][rep].reshape(self.channels, -1, 3)[:, :, 0]
        parts = [bank,
                 np.maximum(S[:, sl["tb"]][rep] - clk, 0), np.maximum(S[:, sl["tg"]][rep] - clk, 0),
                 np.maximum(S[:, sl["tr"]][rep] - clk, 0),
                 self._rel_window(S[:, sl["faw"]][rep], clk, 5), self._rel_window(S[:, sl["aw32"]][rep], clk, 33),
                 S[rep, o["O_CH"] + K.F_QIDX][:, None]]
        return np.concatenate([np.asarray(x, np.int64).reshape(self.channels, -1) for x in parts], axis=1)

    @staticmethod
    def _rel_window(w: np.ndarray, clk: int, width: int) -> np.ndarray:
        w = w.reshape(w.shape[0], -1, width).copy()
        ts = w[:, :, 1:]
        ts[:] = np.where(ts > clk, ts - clk, 0)
        return w.reshape(w.shape[0], -1)

    def state_key(self, now_ps: int) -> bytes:
        if self._pending:
            return b"busy" + np.int64(now_ps).tobytes()  # requests in flight: never reused
        if self._deferred is None:
            och = self._o["O_CH"]
            r = self._reps
            S = self.S
            if ((S[r, och + K.F_RQN] > 0) | (S[r, och + K.F_WQN] > 0) | (S[r, och + K.F_CQT] > 0)).any():
                return b"busy" + np.int64(now_ps).tobytes()
        return b"idle"

    def refresh_phase(self, now_ps: int) -> tuple[int, int]:
        """(time since the last refresh due point, refresh interval), in ps."""
        interval = self.d.refresh_interval
        return self._ps(self._cycle(now_ps) % interval), self._ps(interval)

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
        S, sl, o, C = self.S, self._sl, self._o, self.channels
        # counters become every channel's own before the classes change
        S[:, self._statcols] = self._stat_rows()
        self._stat_off[:] = 0
        # refresh rotation (which rank/bank is next) continues from the simulated state, the same everywhere
        r0 = int(self.rep[0])
        for f in (K.F_NRANK, K.F_NBG, K.F_NBANK):
            S[:, o["O_CH"] + f] = S[r0, o["O_CH"] + f]
        nbank = (sl["bank"].stop - sl["bank"].start) // 3
        cols = np.cumsum([0, nbank, sl["tb"].stop - sl["tb"].start, sl["tg"].stop - sl["tg"].start,
                          sl["tr"].stop - sl["tr"].start, sl["faw"].stop - sl["faw"].start,
                          sl["aw32"].stop - sl["aw32"].start])
        opened = rel_state[:, cols[0]:cols[1]]
        bank = S[:, sl["bank"]].reshape(C, nbank, 3)
        bank[:, :, 0] = opened
        bank[:, :, 1] = np.where(opened == 1, -2, -1)  # an open row that no later access matches
        bank[:, :, 2] = 0
        S[:, sl["bank"]] = bank.reshape(C, -1)
        r = self.d.ranks
        S[:, o["O_OPN"]:o["O_OPN"] + r] = opened.reshape(C, r, -1).sum(axis=2)
        S[:, sl["tb"]] = rel_state[:, cols[1]:cols[2]] + clk
        S[:, sl["tg"]] = rel_state[:, cols[2]:cols[3]] + clk
        S[:, sl["tr"]] = rel_state[:, cols[3]:cols[4]] + clk
        for name, a, b, width in (("faw", cols[4], cols[5], 5), ("aw32", cols[5], cols[6], 33)):
            w = rel_state[:, a:b].reshape(C, -1, width).copy()
            w[:, :, 1:] = np.where(w[:, :, 1:] > 0, w[:, :, 1:] + clk, 0)
            S[:, sl[name]] = w.reshape(C, -1)
        S[:, o["O_CH"] + K.F_QIDX] = rel_state[:, cols[6]]
        interval = self.d.refresh_interval
        S[:, o["O_CH"] + K.F_REFNEXT] = (clk // interval + 1) * interval
        for f, v in ((K.F_REFN, 0), (K.F_INREF, 0), (K.F_REFQ, -1), (K.F_REFRANK, -1), (K.F_DRAIN, 0),
                     (K.F_FENCE, 0), (K.F_SBLK, 0), (K.F_QMIN, 0)):
            S[:, o["O_CH"] + f] = v
        S[:, o["O_QRDY"]:o["O_QRDY"] + int(self.p[K.I_NQ])] = 0
        S[:, o["O_CH"] + K.F_CLK] = clk
        S[:, o["O_CH"] + K.F_NEXT] = clk
        if self.G[0] < clk:
            self.G[0] = clk
        # channels restored to the same state form one class again
        if not self.share_channels:
            rep = np.arange(C, dtype=np.int64)
        elif (rel_state == rel_state[0]).all():
            rep = np.zeros(C, np.int64)  # the usual case: every channel ended the block alike
        else:
            _, first, inverse = np.unique(rel_state, axis=0, return_index=True, return_inverse=True)
            rep = first[inverse.reshape(-1)].astype(np.int64)
        self._set_classes(rep)
        self._stat_off[:] = S[:, self._statcols] - S[np.ix_(rep, self._statcols)]

    def counters(self) -> dict[str, np.ndarray]:
        st = self.dev.stats(self._stat_rows())
        return {"bytes_read": self._bytes_read.copy(), "bytes_written": self._bytes_written.copy(),
                "accesses": st["reads_done"] + st["writes_done"], "act": st["act"], "pre": st["pre"] + st["prea"],
                "ref": st["ref"] + st["refb"], "read_cmds": st["read_cmds"], "write_cmds": st["write_cmds"],
                "row_hits": st["read_hits"] + st["write_hits"], "read_lat_sum": st["read_lat_sum"],
                "reads_done": st["reads_done"], "energy_pj": st["energy_pj"]}


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
