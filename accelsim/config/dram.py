"""DRAM device and controller configuration (organisation, timing in clock cycles, IDD currents, controller).

Field names follow the DRAMsim3 ``.ini`` format (sections ``dram_structure``, ``timing``, ``power``,
``system``) so that a DRAMsim3 configuration reads into the same objects, with DRAMsim3's defaults for
missing keys. Standards ship as presets (``dram_presets.yaml``, each value cited); a hwconfig names a
preset and overrides any field. :meth:`DramConfig.derive` turns a config into the numbers the timing
kernel uses (ranks, burst cycles, address-field positions, command-to-command delays, energy per command).
"""

from __future__ import annotations

import configparser
import os
import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

import yaml

from ..errors import ConfigError
from .schema import Source, build, flag, num, sub, text

__all__ = ["DramStructure", "DramTiming", "DramPower", "DramSystem", "DramConfig", "DramDerived", "CMD",
           "read_dramsim3_ini", "load_dram_preset", "dram_presets", "dram_from_mapping", "PRESETS_FILE"]

PRESETS_FILE = Path(__file__).resolve().parent / "dram_presets.yaml"

Protocol = Literal["DDR3", "DDR4", "DDR5", "GDDR5", "GDDR5X", "GDDR6", "LPDDR4", "LPDDR5", "LPDDR5X", "HBM", "HBM2",
                   "HBM2E", "HBM3"]

#: command indices used by the timing kernel (the order is part of the kernel's contract)
CMD = {"READ": 0, "READ_PRECHARGE": 1, "WRITE": 2, "WRITE_PRECHARGE": 3, "ACTIVATE": 4, "PRECHARGE": 5,
       "REFRESH_BANK": 6, "REFRESH": 7}
N_CMD = len(CMD)


@dataclass(frozen=True, kw_only=True)
class DramStructure:
    """Organisation of one channel's devices (DRAMsim3 [dram_structure])."""

    protocol: Protocol = text("DRAM standard family")
    bankgroups: int = num("bank groups per rank", positive=True, default=2)
    banks_per_group: int = num("banks per bank group", positive=True, default=2)
    rows: int = num("rows per bank", positive=True, default=65536)
    columns: int = num("columns per row as the standard counts them (DRAMsim3 convention)", positive=True, default=1024)
    device_width: int = num("data bits per device", positive=True, default=8)
    BL: int = num("burst length (beats per column access)", positive=True, default=8)
    num_dies: int = num("stacked dies (HBM) - informational", positive=True, default=1)
    bankgroup_enable: bool = flag("bank groups in use (GDDR may merge them)", default=True)
    hbm_dual_cmd: bool = flag("HBM: a row and a column command may issue in the same cycle", default=True)


@dataclass(frozen=True, kw_only=True)
class DramTiming:
    """Timing parameters in clock cycles of tCK (DRAMsim3 [timing])."""

    tCK: float = num("clock period in ns", positive=True, default=1.0)
    AL: int = num("additive latency", nonneg=True, default=0)
    CL: int = num("CAS (read) latency", positive=True, default=12)
    CWL: int = num("CAS write latency", nonneg=True, default=12)
    tRCD: int = num("ACT to RD/WR (DDR/LPDDR)", nonneg=True, default=10)
    tRCDRD: int = num("ACT to RD (HBM/GDDR)", nonneg=True, default=24)
    tRCDWR: int = num("ACT to WR (HBM/GDDR)", nonneg=True, default=20)
    tRP: int = num("PRE to ACT", positive=True, default=10)
    tRAS: int = num("ACT to PRE", positive=True, default=24)
    tRC: int = num("ACT to ACT, same bank (0: tRAS + tRP)", nonneg=True, default=0)
    tRFC: int = num("REF (all banks) to ACT", positive=True, default=74)
    tRFCb: int = num("REFb (per bank) to ACT", positive=True, default=20)
    tREFI: int = num("refresh interval (all-bank)", positive=True, default=7800)
    tREFIb: int = num("refresh interval (per bank)", positive=True, default=1950)
    tRRD_S: int = num("ACT to ACT, different bank group", nonneg=True, default=4)
    tRRD_L: int = num("ACT to ACT, same bank group", nonneg=True, default=4)
    tWTR_S: int = num("end of write data to RD, different bank group", nonneg=True, default=5)
    tWTR_L: int = num("end of write data to RD, same bank group", nonneg=True, default=5)
    tFAW: int = num("window holding at most four ACTs per rank", nonneg=True, default=50)
    tWR: int = num("write recovery (end of write data to PRE)", nonneg=True, default=10)
    tRTP: int = num("RD to PRE", nonneg=True, default=5)
    tCCD_S: int = num("column command to column command, different bank group", nonneg=True, default=4)
    tCCD_L: int = num("column command to column command, same bank group", nonneg=True, default=6)
    tRTRS: int = num("rank-to-rank switch (and read-to-write bus turnaround)", nonneg=True, default=2)
    tPPD: int = num("PRE to PRE (GDDR, LPDDR4)", nonneg=True, default=0)
    t32AW: int = num("window holding at most 32 ACTs (GDDR)", nonneg=True, default=330)
    tCKESR: int = num("self-refresh minimum (not used: self refresh is off)", nonneg=True, default=12)
    tXS: int = num("self-refresh exit (not used)", nonneg=True, default=432)
    tRPRE: int = num("read preamble (informational)", nonneg=True, default=1)
    tWPRE: int = num("write preamble (informational)", nonneg=True, default=1)


@dataclass(frozen=True, kw_only=True)
class DramPower:
    """Supply voltage (V) and IDD currents (mA) per device, as in the data sheet (DRAMsim3 [power])."""

    VDD: float = num("supply voltage (V)", positive=True, default=1.2)
    IDD0: float = num("ACT-PRE current (mA)", nonneg=True, default=48)
    IDD2P: float = num("precharge power-down current (mA)", nonneg=True, default=25)
    IDD2N: float = num("precharge standby current (mA)", nonneg=True, default=34)
    IDD3P: float = num("active power-down current (mA)", nonneg=True, default=37)
    IDD3N: float = num("active standby current (mA)", nonneg=True, default=43)
    IDD4W: float = num("burst write current (mA)", nonneg=True, default=123)
    IDD4R: float = num("burst read current (mA)", nonneg=True, default=135)
    IDD5AB: float = num("all-bank refresh current (mA)", nonneg=True, default=250)
    IDD5PB: float = num("per-bank refresh current (mA)", nonneg=True, default=5)
    IDD6x: float = num("self-refresh current (mA)", nonneg=True, default=31)


@dataclass(frozen=True, kw_only=True)
class DramSystem:
    """Channels and the controller: address mapping, queues, page and refresh policy, scheduler."""

    channels: int = num("independent channels (pseudo-channels for HBM)", positive=True, default=1)
    channel_size: int = num("capacity of one channel in MB", positive=True, default=1024)
    bus_width: int = num("data bits per channel", positive=True, default=64)
    address_mapping: str = text("address bit order, most significant field first, e.g. rochrababgco",
                                default="chrobabgraco")
    queue_structure: Literal["PER_BANK", "PER_RANK"] = text("command queue per bank or per rank", default="PER_BANK")
    row_buf_policy: Literal["OPEN_PAGE", "CLOSE_PAGE"] = text("open page (keep rows open) or close page (auto-precharge)",
                                                              default="OPEN_PAGE")
    cmd_queue_size: int = num("entries per command queue", positive=True, default=16)
    trans_queue_size: int = num("entries of the read queue and of the write buffer", positive=True, default=32)
    unified_queue: bool = flag("one queue for reads and writes", default=False)
    write_buf_size: int = num("read from DRAMsim3 files but unused by its controller (see write_drain_threshold)",
                              positive=True, default=16)
    write_drain_threshold: int = num(
        "drain the write buffer when it holds more than this many writes and no command is queued "
        "(or when it is full); DRAMsim3 hard-codes 8", nonneg=True, default=8)
    refresh_policy: Literal["RANK_LEVEL_SIMULTANEOUS", "RANK_LEVEL_STAGGERED", "BANK_LEVEL_STAGGERED"] = text(
        "all-bank refresh of every rank at once, rank by rank, or per-bank refresh", default="RANK_LEVEL_STAGGERED")
    scheduler: Literal["FRFCFS", "FCFS"] = text(
        "FRFCFS: first ready command of each queue (row hits first); FCFS: only the oldest command of each queue",
        default="FRFCFS")
    refresh_precharge: Literal["PER_BANK", "ALL"] = text(
        "close open banks before a refresh one PRE at a time (DRAMsim3) or with one PREA", default="PER_BANK")


@dataclass(frozen=True, kw_only=True)
class DramConfig:
    """A DRAM device and its controller. ``derive()`` gives the kernel's numbers; errors name the bad field."""

    dram_structure: DramStructure = sub("organisation")
    timing: DramTiming = sub("timing in cycles", default_factory=DramTiming)
    power: DramPower = sub("currents and voltage", default_factory=DramPower)
    system: DramSystem = sub("channels and controller", default_factory=DramSystem)
    source: str = text("where the values come from", default="")

    def validate(self, src: Source, path: str) -> None:
        p = f"{path}." if path else ""
        s, t, y = self.dram_structure, self.timing, self.system
        for name in ("bankgroups", "banks_per_group", "rows", "columns", "BL"):
            v = getattr(s, name)
            if v & (v - 1):
                raise src.error(f"{p}dram_structure.{name}", f"{name} = {v} is not a power of two",
                                "address mapping needs power-of-two organisation fields")
        for v, name in ((y.channels, "channels"), (y.bus_width, "bus_width")):
            if v & (v - 1):
                raise src.error(f"{p}system.{name}", f"{name} = {v} is not a power of two", "use a power of two")
        if t.tRC and t.tRC < t.tRAS + t.tRP:
            raise src.error(f"{p}timing.tRC", f"tRC ({t.tRC}) is shorter than tRAS + tRP ({t.tRAS} + {t.tRP})",
                            "a bank cannot be activated again before it was open for tRAS and precharged for tRP")
        for short, long in (("tCCD_S", "tCCD_L"), ("tRRD_S", "tRRD_L"), ("tWTR_S", "tWTR_L")):
            if getattr(t, short) > getattr(t, long):
                raise src.error(f"{p}timing.{short}", f"{short} ({getattr(t, short)}) exceeds {long} ({getattr(t, long)})",
                                "the same-bank-group (_L) delay is at least the different-group (_S) one")
        if s.device_width > y.bus_width:
            raise src.error(f"{p}dram_structure.device_width", "device_width exceeds the channel's bus_width",
                            "a rank is bus_width / device_width devices")
        fields_ = [y.address_mapping[i:i + 2] for i in range(0, len(y.address_mapping), 2)]
        if len(y.address_mapping) != 12 or sorted(fields_) != sorted(["ch", "ra", "bg", "ba", "ro", "co"]):
            raise src.error(f"{p}system.address_mapping", f"{y.address_mapping!r} is not an address mapping",
                            "write the six 2-letter fields ch, ra, bg, ba, ro, co once each, most significant "
                            "first, e.g. rochrababgco")
        d = self.derive()
        if d.megs_per_rank == 0:
            raise src.error(
                f"{p}dram_structure.rows",
                f"a rank of {d.devices_per_rank} x{s.device_width} devices with {d.banks} banks x {s.rows} rows x "
                f"{d.page_bytes} B pages holds less than 1 MB, the unit channel_size counts in (as DRAMsim3's)",
                "use at least 1024 rows per bank (or more banks, columns or devices)")
        if y.channel_size % d.megs_per_rank:
            raise src.error(
                f"{p}system.channel_size",
                f"channel_size {y.channel_size} MB is not a whole number of ranks: one rank of "
                f"{d.devices_per_rank} x{s.device_width} devices with {d.banks} banks x {s.rows} rows x "
                f"{d.page_bytes} B pages holds {d.megs_per_rank} MB",
                f"set channel_size to a multiple of {d.megs_per_rank} or fix rows/columns/banks/device_width")

    # ------------------------------------------------------------------------------------------ derived
    def derive(self) -> "DramDerived":
        return DramDerived.of(self)


def _log2(x: int) -> int:
    return int(math.log2(x)) if x > 0 else 0


@dataclass(frozen=True)
class DramDerived:
    """Numbers the timing kernel uses, computed once as DRAMsim3 computes them from the same fields."""

    protocol: str
    channels: int
    ranks: int
    bankgroups: int
    banks_per_group: int
    banks: int
    rows: int
    columns: int  # physical columns (device_width bits each)
    devices_per_rank: int
    page_bytes: int
    megs_per_rank: int
    request_bytes: int
    burst_cycle: int
    tCK_ns: float
    read_delay: int
    write_delay: int
    tRC: int
    tRFC: int
    tRFCb: int
    tFAW: int
    t32AW: int
    gddr: bool
    hbm: bool
    dual_cmd: bool
    shift_bits: int
    address_mapping: str
    field_pos: tuple[int, int, int, int, int, int]  # ch, ra, bg, ba, ro, co
    field_mask: tuple[int, int, int, int, int, int]
    timing: tuple  # delays[cmd][scope][target]; scope: same bank, other banks same bg, other bgs, other ranks, same rank
    energy_pj: tuple[float, ...]  # act, read, write, ref, refb per command; act_stb, pre_stb per cycle per rank
    refresh_interval: int
    refresh_policy: int  # 0 simultaneous, 1 rank staggered, 2 bank staggered
    queue_per_bank: bool
    open_page: bool
    cmd_queue_size: int
    trans_queue_size: int
    write_drain_threshold: int
    unified_queue: bool
    frfcfs: bool
    prea: bool
    peak_bytes_per_cycle: float

    @staticmethod
    def of(cfg: DramConfig) -> "DramDerived":
        s, t, p, y = cfg.dram_structure, cfg.timing, cfg.power, cfg.system
        proto = s.protocol
        gddr = proto.startswith("GDDR")
        hbm = proto.startswith("HBM")
        bankgroups, bpg = s.bankgroups, s.banks_per_group
        if not s.bankgroup_enable:
            bpg, bankgroups = bpg * bankgroups, 1
        banks = bankgroups * bpg
        BL = s.BL
        if proto == "GDDR5":
            burst = BL // 4
        elif proto == "GDDR5X":
            burst = BL // 8
        elif proto == "GDDR6":
            burst = BL // 16
        else:
            burst = BL // 2
        columns = s.columns * (BL if gddr else 2 if hbm else 1)
        devices = y.bus_width // s.device_width
        page = columns * s.device_width // 8
        megs_per_bank = page * (s.rows // 1024) // 1024
        megs_per_rank = megs_per_bank * banks * devices
        ranks = max(1, y.channel_size // megs_per_rank) if megs_per_rank else 1
        request = y.bus_width // 8 * BL
        shift = _log2(request)
        widths = {"ch": _log2(y.channels), "ra": _log2(ranks), "bg": _log2(bankgroups), "ba": _log2(bpg),
                  "ro": _log2(s.rows), "co": _log2(columns) - _log2(BL)}
        toks = [y.address_mapping[i:i + 2] for i in range(0, 12, 2)]
        pos: dict[str, int] = {}
        acc = 0
        for tok in reversed(toks):
            pos[tok] = acc
            acc += widths[tok]
        order = ("ch", "ra", "bg", "ba", "ro", "co")
        RL, WL = t.AL + t.CL, t.AL + t.CWL
        read_delay, write_delay = RL + burst, WL + burst
        tRC = t.tRAS + t.tRP  # DRAMsim3 derives tRC (a configured tRC is only checked for consistency)
        timing = _timing_table(t, burst, RL, WL, read_delay, write_delay, tRC, bankgroups, gddr, hbm, proto)
        V, dev = p.VDD, float(devices)
        energy = (
            V * (p.IDD0 * tRC - (p.IDD3N * t.tRAS + p.IDD2N * t.tRP)) * dev,
            V * (p.IDD4R - p.IDD3N) * burst * dev,
            V * (p.IDD4W - p.IDD3N) * burst * dev,
            V * (p.IDD5AB - p.IDD3N) * t.tRFC * dev,
            V * (p.IDD5PB - p.IDD3N) * t.tRFCb * dev,
            V * p.IDD3N * dev,
            V * p.IDD2N * dev,
        )
        pol = {"RANK_LEVEL_SIMULTANEOUS": 0, "RANK_LEVEL_STAGGERED": 1, "BANK_LEVEL_STAGGERED": 2}[y.refresh_policy]
        interval = t.tREFI if pol == 0 else (t.tREFIb if pol == 2 else t.tREFI // ranks)
        return DramDerived(
            protocol=proto, channels=y.channels, ranks=ranks, bankgroups=bankgroups, banks_per_group=bpg, banks=banks,
            rows=s.rows, columns=columns, devices_per_rank=devices, page_bytes=page, megs_per_rank=megs_per_rank,
            request_bytes=request, burst_cycle=burst, tCK_ns=t.tCK, read_delay=read_delay, write_delay=write_delay,
            tRC=tRC, tRFC=t.tRFC, tRFCb=t.tRFCb, tFAW=t.tFAW, t32AW=t.t32AW, gddr=gddr, hbm=hbm,
            dual_cmd=bool(s.hbm_dual_cmd and hbm), shift_bits=shift, address_mapping=y.address_mapping,
            field_pos=tuple(pos[f] for f in order), field_mask=tuple((1 << widths[f]) - 1 for f in order),
            timing=timing, energy_pj=energy, refresh_interval=interval, refresh_policy=pol,
            queue_per_bank=y.queue_structure == "PER_BANK", open_page=y.row_buf_policy == "OPEN_PAGE",
            cmd_queue_size=y.cmd_queue_size, trans_queue_size=y.trans_queue_size,
            write_drain_threshold=y.write_drain_threshold,
            unified_queue=y.unified_queue, frfcfs=y.scheduler == "FRFCFS", prea=y.refresh_precharge == "ALL",
            peak_bytes_per_cycle=request / burst if burst else float(request),
        )

    @property
    def peak_bandwidth(self) -> float:
        """Peak bytes/s of all channels (one request per burst per channel)."""
        return self.peak_bytes_per_cycle * self.channels / (self.tCK_ns * 1e-9)

    @property
    def capacity_bytes(self) -> int:
        return self.channels * self.ranks * self.megs_per_rank * 2**20


def _timing_table(t: DramTiming, burst: int, RL: int, WL: int, read_delay: int, write_delay: int, tRC: int,
                  bankgroups: int, gddr: bool, hbm: bool, proto: str) -> tuple:
    """Command-to-command delays as DRAMsim3's Timing builds them: [issued][scope][target] (-1: none)."""
    rr_l, rr_s = max(burst, t.tCCD_L), max(burst, t.tCCD_S)
    rr_o = burst + t.tRTRS
    r2w = RL + burst - WL + t.tRTRS
    r2w_o = read_delay + burst + t.tRTRS - write_delay
    r2p = t.AL + t.tRTP
    rp2a = t.AL + burst + t.tRTP + t.tRP
    w2r_l, w2r_s = write_delay + t.tWTR_L, write_delay + t.tWTR_S
    w2r_o = write_delay + burst + t.tRTRS - read_delay
    w2w_l, w2w_s, w2w_o = max(burst, t.tCCD_L), max(burst, t.tCCD_S), burst
    w2p = WL + burst + t.tWR
    p2a, p2p = t.tRP, t.tPPD
    r2a, w2a = r2p + p2a, w2p + p2a
    a2a, a2a_l, a2a_s, a2p = tRC, t.tRRD_L, t.tRRD_S, t.tRAS
    a2r, a2w = (t.tRCDRD, t.tRCDWR) if (gddr or hbm) else (t.tRCD - t.AL, t.tRCD - t.AL)
    a2ref = tRC
    ref2ref, ref2a, refb2a = t.tREFI, t.tRFC, t.tRFCb
    if bankgroups == 1:
        rr_l, w2r_l, w2w_l, a2a_l = max(burst, t.tCCD_S), write_delay + t.tWTR_S, max(burst, t.tCCD_S), t.tRRD_S
    R, RP, W, WP, A, P, RB, RF = (CMD[k] for k in ("READ", "READ_PRECHARGE", "WRITE", "WRITE_PRECHARGE", "ACTIVATE",
                                                   "PRECHARGE", "REFRESH_BANK", "REFRESH"))
    tbl = [[[-1] * N_CMD for _ in range(5)] for _ in range(N_CMD)]

    def put(cmd: int, scope: int, pairs: dict[int, int]) -> None:
        for k, v in pairs.items():
            tbl[cmd][scope][k] = v

    SB, OB, OG, OR, SR = range(5)
    put(R, SB, {R: rr_l, W: r2w, RP: rr_l, WP: r2w, P: r2p})
    put(R, OB, {R: rr_l, W: r2w, RP: rr_l, WP: r2w})
    put(R, OG, {R: rr_s, W: r2w, RP: rr_s, WP: r2w})
    put(R, OR, {R: rr_o, W: r2w_o, RP: rr_o, WP: r2w_o})
    put(W, SB, {R: w2r_l, W: w2w_l, RP: w2r_l, WP: w2w_l, P: w2p})
    put(W, OB, {R: w2r_l, W: w2w_l, RP: w2r_l, WP: w2w_l})
    put(W, OG, {R: w2r_s, W: w2w_s, RP: w2r_s, WP: w2w_s})
    put(W, OR, {R: w2r_o, W: w2w_o, RP: w2r_o, WP: w2w_o})
    put(RP, SB, {A: rp2a, RF: r2a, RB: r2a})
    put(RP, OB, {R: rr_l, W: r2w, RP: rr_l, WP: r2w})
    put(RP, OG, {R: rr_s, W: r2w, RP: rr_s, WP: r2w})
    put(RP, OR, {R: rr_o, W: r2w_o, RP: rr_o, WP: r2w_o})
    put(WP, SB, {A: w2a, RF: w2a, RB: w2a})
    put(WP, OB, {R: w2r_l, W: w2w_l, RP: w2r_l, WP: w2w_l})
    put(WP, OG, {R: w2r_s, W: w2w_s, RP: w2r_s, WP: w2w_s})
    put(WP, OR, {R: w2r_o, W: w2w_o, RP: w2r_o, WP: w2w_o})
    put(A, SB, {A: a2a, R: a2r, W: a2w, RP: a2r, WP: a2w, P: a2p})
    put(A, OB, {A: a2a_l, RB: a2ref})
    put(A, OG, {A: a2a_s, RB: a2ref})
    put(P, SB, {A: p2a, RF: p2a, RB: p2a})
    if gddr or proto == "LPDDR4":
        put(P, OB, {P: p2p})
        put(P, OG, {P: p2p})
    # DRAMsim3 applies a per-bank refresh through the per-bank scopes, whose same-bank list is empty
    put(RB, OB, {A: ref2a, RB: ref2ref})
    put(RB, OG, {A: ref2a, RB: ref2ref})
    put(RF, SR, {A: ref2a, RF: ref2a})
    return tuple(tuple(tuple(row) for row in scope) for scope in tbl)


# ---------------------------------------------------------------------------------------------- readers
_INI_SECTIONS = {"dram_structure": DramStructure, "timing": DramTiming, "power": DramPower, "system": DramSystem}


def read_dramsim3_ini(path: str) -> tuple[DramConfig, list[str]]:
    """Read a DRAMsim3 ``.ini`` (missing keys take DRAMsim3's defaults). Returns the config and ignored keys."""
    parser = configparser.ConfigParser(inline_comment_prefixes=(";", "#"))
    parser.optionxform = str  # keys are case sensitive (tRRD_S vs trrd_s)
    try:
        with open(path, encoding="utf-8") as fh:
            parser.read_file(fh)
    except FileNotFoundError:
        raise ConfigError("file not found", file=path, hint="pass the path of a DRAMsim3 .ini configuration")
    except configparser.Error as exc:
        raise ConfigError(f"malformed .ini: {str(exc).splitlines()[0]}", file=path,
                          hint="DRAMsim3 configurations are [section] headers followed by key = value lines")
    data: dict[str, dict[str, Any]] = {}
    ignored: list[str] = []
    for section in parser.sections():
        cls = _INI_SECTIONS.get(section)
        if cls is None:
            ignored.extend(f"{section}.{k}" for k in parser[section])
            continue
        known = {f.name: f for f in fields(cls)}
        out: dict[str, Any] = {}
        for key, raw in parser[section].items():
            if key not in known:
                ignored.append(f"{section}.{key}")  # DRAMsim3 ignores keys it does not read
                continue
            out[key] = _ini_value(raw)
        data[section] = out
    if "dram_structure" not in data or "protocol" not in data["dram_structure"]:
        data.setdefault("dram_structure", {}).setdefault("protocol", "DDR3")  # DRAMsim3's default protocol
    src = Source(path, {})
    return build(DramConfig, data, src), ignored


def _ini_value(raw: str) -> Any:
    v = raw.strip()
    low = v.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v


_PRESETS_CACHE: dict[tuple[int, int, int], dict[str, dict[str, Any]]] = {}


def dram_presets() -> dict[str, dict[str, Any]]:
    """The shipped presets by name (raw mappings, a fresh copy per call; see :func:`load_dram_preset`).

    The YAML is parsed once per process (per modification of the file): a sweep builds thousands of configs.
    """
    import copy

    st = os.stat(PRESETS_FILE)
    key = (st.st_mtime_ns, st.st_size, st.st_ino)
    if key not in _PRESETS_CACHE:
        with open(PRESETS_FILE, encoding="utf-8") as fh:
            _PRESETS_CACHE.clear()
            _PRESETS_CACHE[key] = yaml.safe_load(fh)["presets"]
    return copy.deepcopy(_PRESETS_CACHE[key])


def dram_from_mapping(data: dict[str, Any], src: Source, path: str = "") -> DramConfig:
    """Build a DramConfig from a mapping with an optional ``preset`` key and per-section overrides."""
    data = dict(data)
    preset = data.pop("preset", None)
    merged: dict[str, Any] = {}
    if preset is not None:
        presets = dram_presets()
        if preset not in presets:
            import difflib

            close = difflib.get_close_matches(str(preset), list(presets), n=1)
            raise src.error(f"{path}.preset" if path else "preset", f"unknown DRAM preset {preset!r}",
                            f"did you mean {close[0]!r}?" if close else "presets: " + ", ".join(sorted(presets)))
        base = presets[preset]
        merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items() if k != "standard"}
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return build(DramConfig, merged, src, path)


def load_dram_preset(name: str, standard: str | None = None) -> DramConfig:
    """A shipped preset by name; with ``standard``, also check that it is of that standard."""
    presets = dram_presets()
    src = Source(str(PRESETS_FILE), {})
    if standard is not None:
        std = {n for n, p in presets.items() if p.get("standard") == standard}
        if not std:
            import difflib

            known = sorted({p.get("standard") for p in presets.values()})
            close = difflib.get_close_matches(standard, known, n=1)
            raise ConfigError(f"unknown DRAM standard {standard!r}", key_path="--standard",
                              hint=f"did you mean {close[0]!r}?" if close else "standards: " + ", ".join(known))
        if name not in std:
            raise ConfigError(f"no {standard} preset named {name!r}", key_path="--preset",
                              hint=f"{standard} presets: " + ", ".join(sorted(std)))
    return dram_from_mapping({"preset": name}, src)
