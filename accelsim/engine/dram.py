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

__all__ = ["kernel_params", "DramDevice", "TraceResult", "replay_trace", "parse_trace"]


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
    for i, f in enumerate(("ch", "ra", "bg", "ba", "ro", "co")):
        p[K.P["pos_" + f]] = d.field_pos[i]
        p[K.P["mask_" + f]] = d.field_mask[i]
    if ignore_channel_bits:
        p[K.P["mask_ch"]] = 0
    K.layout(p)
    T = np.array(d.timing, dtype=np.int64)
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

    def stats(self) -> dict[str, np.ndarray]:
        """Per-channel counters (names of accelsim.kernels.dram.STAT), rank cycles and energy.

        ``energy_dramsim3`` is DRAMsim3's figure, V x mA x cycles per command and per background cycle
        (what it prints as pJ); ``energy_pj`` multiplies by tCK in ns, which makes it joules x 1e12.
        """
        S, p = self.state, self.p
        ost, ork = int(p[K.O_ST]), int(p[K.O_RK])
        out = {name: S[:, ost + i].copy() for name, i in K.STAT.items()}
        r = self.d.ranks
        rk = S[:, ork:ork + 2 * r].reshape(-1, r, 2)
        out["rank_active_cycles"] = rk[:, :, 0].sum(axis=1)
        out["rank_idle_cycles"] = rk[:, :, 1].sum(axis=1)
        e_act, e_rd, e_wr, e_ref, e_refb, e_act_stb, e_pre_stb = self.d.energy_pj
        dramsim3 = (out["act"] * e_act + out["read_cmds"] * e_rd + out["write_cmds"] * e_wr
                    + out["ref"] * e_ref + out["refb"] * e_refb
                    + out["rank_active_cycles"] * e_act_stb + out["rank_idle_cycles"] * e_pre_stb)
        out["energy_dramsim3"] = dramsim3
        out["energy_pj"] = dramsim3 * self.d.tCK_ns
        return out


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
        energy_pj_per_bit=energy / bits if bits else 0.0, per_channel=per_channel, ignored_keys=list(ignored or []),
        sim_wall_s=time.perf_counter() - t0)
