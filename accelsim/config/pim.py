"""Schema of DRAM processing-in-memory devices (``kind: pim``): MAC units in the DRAM plus a host chip.

A PIM device is a set of DRAM channels (``memory.stacks`` copies of one DRAM system) whose banks each carry a
MAC unit (``level: bank``: PIM-GPT, Newton/AiM-style bank PIM, AttAcc, NeuPIMs) or whose HBM logic dies carry
one unit per channel reading the banks through extra TSVs (``level: logic``: Duplex's Logic-PIM), and a host
chip (an ASIC, NPU or GPU-class xPU: a MAC array, a vector unit and optionally its own memory, which then holds
the weights, as AttAcc's GPU does) that broadcasts input vectors, reads back partial sums and runs what the
PIM units do not (norms, softmax, activations, GEMMs with enough reuse). The DRAM is any preset of
``accelsim/config/dram_presets.yaml`` with overrides; its timing drives the PIM command timeline
(:mod:`accelsim.kernels.pim`); the optional ``energy`` section prices the run (:mod:`accelsim.stats.pim`).
Every other number is cited in the hwconfig or marked as an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from .flash import FlashClocksView, FlashMappingView
from .hardware import DeploymentConfig, MemoryConfig
from .schema import Source, flag, items, num, qty, sub, text

__all__ = ["PimUnitConfig", "PimMemoryConfig", "HostMemoryConfig", "PimEnergyConfig", "HostChipConfig", "PimConfig"]

_MEMORY_KINDS = {"HBM2": "hbm2", "HBM2E": "hbm2e", "HBM3": "hbm3", "DDR4": "ddr4", "DDR5": "ddr5", "GDDR6": "gddr6",
                 "LPDDR5": "lpddr5", "LPDDR5X": "lpddr5x"}


@dataclass(frozen=True, kw_only=True)
class PimUnitConfig:
    """The MAC unit of one bank."""

    level: Literal["bank", "logic"] = text(
        "where the MAC units sit: bank (one unit per bank, reading its row buffer: PIM-GPT, AttAcc, NeuPIMs) or "
        "logic (one unit per channel on the HBM logic die, reading the banks through extra TSVs: Duplex Logic-PIM)",
        default="bank")
    macs_per_bank: Optional[int] = num("MACs per cycle of one bank-level unit (level: bank)", default=None,
                                       positive=True)
    banks_per_unit: int = num("banks sharing one bank-level unit (1: a unit per bank, as AiM and PIM-GPT; 2: a unit "
                              "per bank pair, as Samsung's HBM-PIM); the unit reads their open rows in turn",
                              default=1, positive=True)
    macs_per_channel: Optional[int] = num("MACs per cycle of one channel's logic-die unit (level: logic)",
                                          default=None, positive=True)
    bandwidth_scale: float = num("level logic: the logic-die unit's read bandwidth per channel in multiples of the "
                                 "channel's own (extra TSVs; Duplex: 4)", default=1.0, positive=True)
    clock: float = qty("clock of the MAC units", "frequency")
    input_vectors: int = num("input vectors a unit multiplies per weight read (its input buffer): a GEMV of M rows "
                             "makes ceil(M / input_vectors) passes over the weights", default=1, positive=True)
    formats: tuple[str, ...] = items("weight formats the MAC units multiply (names from accelsim.config.formats)",
                                     default_factory=lambda: ("bf16", "fp16"))
    column_cycles: Optional[int] = num("DRAM cycles between MAC column commands in PIM mode (omit: the DRAM's "
                                       "tCCD_L)", default=None, positive=True)
    all_bank_activate: bool = flag("the device opens a row in every bank with one command (otherwise one ACT per "
                                   "bank under tRRD and tFAW)", default=True)
    partial_sum_bytes: float = num("bytes read out per partial sum", positive=True, default=2.0)
    input_bytes: float = num("bytes per input-vector element broadcast to the banks", positive=True, default=2.0)

    def validate(self, src: Source, path: str) -> None:
        if self.level == "bank" and self.macs_per_bank is None:
            raise src.error(f"{path}.macs_per_bank", "a bank-level PIM unit needs macs_per_bank",
                            "give the MACs per cycle of one bank's unit")
        if self.level == "logic" and self.macs_per_channel is None:
            raise src.error(f"{path}.macs_per_channel", "a logic-die PIM unit needs macs_per_channel",
                            "give the MACs per cycle of one channel's logic-die unit")
        other = "macs_per_channel" if self.level == "bank" else "macs_per_bank"
        if getattr(self, other) is not None:
            raise src.error(f"{path}.{other}", f"{other} does not apply to level: {self.level}",
                            f"remove {other} (or set level: {'logic' if self.level == 'bank' else 'bank'})")
        if self.level == "logic" and self.banks_per_unit != 1:
            raise src.error(f"{path}.banks_per_unit", "banks_per_unit applies to level: bank only",
                            "remove it: a logic-die unit serves the whole channel")
        if self.level == "bank" and self.bandwidth_scale != 1.0:
            raise src.error(f"{path}.bandwidth_scale", "bandwidth_scale applies to level: logic only",
                            "remove it: a bank unit reads its own row buffer")


@dataclass(frozen=True, kw_only=True)
class PimMemoryConfig:
    """The PIM DRAM: a preset with overrides (organisation, timing, channels) and the bank units."""

    dram: dict[str, Any] = sub("DRAM device and system: 'preset: NAME' plus per-section overrides "
                               "(dram_structure, timing, power, system)")
    pim: PimUnitConfig = sub("the MAC unit in every bank")
    stacks: int = num("identical DRAM systems side by side (HBM stacks or PIM chip groups), each as 'dram' describes",
                      default=1, positive=True)
    dram_config: Any = field(default=None, init=False, compare=False, repr=False,
                             metadata={"help": "the built DRAM configuration (set when loading)"})

    def validate(self, src: Source, path: str) -> None:
        from .dram import dram_from_mapping

        cfg = dram_from_mapping(dict(self.dram), src, f"{path}.dram")
        object.__setattr__(self, "dram_config", cfg)
        d = cfg.derive()
        if (d.banks * d.ranks) % self.pim.banks_per_unit:
            raise src.error(f"{path}.pim.banks_per_unit", f"{self.pim.banks_per_unit} does not divide the channel's "
                            f"{d.banks * d.ranks} banks", "use a divisor of the banks per channel (1 or 2)")


@dataclass(frozen=True, kw_only=True)
class HostMemoryConfig:
    """The host's own memory (a GPU's HBM beside AttAcc): when present the weights live there."""

    capacity: float = qty("capacity of the host's memory", "bytes")
    bandwidth: float = qty("peak bandwidth of the host's memory", "bandwidth")


@dataclass(frozen=True, kw_only=True)
class PimEnergyConfig:
    """Energy of a PIM device's actions (omit the section for a run without energy).

    DRAM bits are priced per segment of the path they travel (FGDRAM's breakdown, as AttAcc uses it): every bit
    read from a bank pays ``act_pre + cell``; a bit that leaves the bank (to a logic-die unit or off the stack)
    pays ``bank_datapath``, one that crosses the stack's TSVs ``tsv``, one that leaves the device ``link``.
    Refresh and background power come from the DRAM preset's IDD currents, as in the DRAM model."""

    act_pre: float = qty("activation and precharge energy per bit read from a bank", "energy_per_bit", positive=False, nonneg=True)
    cell: float = qty("cell array read energy per bit", "energy_per_bit", positive=False, nonneg=True)
    bank_datapath: float = qty("energy per bit from a bank's column decoder to the channel's I/O", "energy_per_bit",
                               positive=False, nonneg=True)
    tsv: float = qty("energy per bit over the stack's TSVs (0 for planar DRAM)", "energy_per_bit", positive=False, nonneg=True)
    link: float = qty("energy per bit between the DRAM device and the host (interposer or board)", "energy_per_bit",
                      positive=False, nonneg=True)
    pim_mac: float = qty("energy of one MAC in a PIM unit", "energy", positive=False, nonneg=True)
    host_mac: float = qty("energy of one MAC (or vector element operation) on the host", "energy", positive=False, nonneg=True)
    host_memory: float = qty("energy per bit read from the host's own memory (host.memory)", "energy_per_bit",
                             positive=False, nonneg=True, default=0.0)
    host_static_w: float = qty("static power of the host chip", "power", positive=False, nonneg=True, default=0.0)


@dataclass(frozen=True, kw_only=True)
class HostChipConfig:
    """The chip beside the PIM DRAM: a MAC array for GEMMs, a vector unit, its clock."""

    clock: float = qty("clock of the host chip", "frequency")
    array_rows: int = num("rows of its MAC array", positive=True)
    array_cols: int = num("columns of its MAC array", positive=True)
    vector_lanes: int = num("elements per cycle of its vector unit (norms, softmax, activations, adds)", positive=True)
    op_latency: float = qty("fixed latency of one host operation", "time", positive=False, nonneg=True, default=0.0)
    memory: Optional[HostMemoryConfig] = sub("the host's own memory, holding the weights (AttAcc: the GPU's HBM); "
                                             "omit when the weights live in the PIM DRAM", default=None)


@dataclass(frozen=True, kw_only=True)
class PimConfig:
    """A DRAM-PIM device: PIM channels with a MAC unit per bank, and a host chip."""

    version: int = num("schema version of this file (1)", lo=1, hi=1)
    name: str = text("short name of the device configuration")
    kind: Literal["pim"] = text("device family; selects the compiler lowering (pim: bank-level PIM + host chip)")
    description: str = text("one line on what this configuration is")
    source: str = text("where the parameters come from")
    host: HostChipConfig = sub("the host chip (ASIC or NPU)")
    memory: PimMemoryConfig = sub("the PIM DRAM")
    attention: Literal["pim", "host"] = text(
        "where decode attention runs: pim (QK^T and PV as GEMVs against the KV cache in the banks, AttAcc-style) "
        "or host (the KV cache read over the channels)", default="pim")
    dispatch: Literal["fastest", "op_per_byte"] = text(
        "which processor runs a weight GEMV: fastest (the PIM model times both, the faster wins) or op_per_byte "
        "(Duplex: the PIM units when the layer's MACs x 2 per weight byte is below the PIM units' peak FLOP/s over "
        "the host's memory bandwidth, the op/B at which PIM compute takes as long as the host's weight read)",
        default="fastest")
    coprocess: bool = flag("split a grouped GEMV's matrices (MoE experts) between the PIM units and the host so "
                           "that both finish together (Duplex expert co-processing)", default=False)
    energy: Optional[PimEnergyConfig] = sub("energy per action", default=None)
    deployment: DeploymentConfig = sub("number formats the model runs in", default_factory=DeploymentConfig)
    price_usd: float = num("price of the device (0: unknown)", default=0.0, nonneg=True)
    part: None = field(default=None, init=False, metadata={"help": "no FPGA part"})
    power: None = field(default=None, init=False, metadata={"help": "energy is in the energy section"})
    weight_memory: MemoryConfig = field(init=False, repr=False, compare=False,
                                        metadata={"help": "the PIM DRAM as the engine's memory model sees it"})

    def validate(self, src: Source, path: str) -> None:
        d = self.dram.derive()
        mem = MemoryConfig(kind=_MEMORY_KINDS.get(d.protocol, "hbm2"), channels=self.pim_channels,
                           channel_capacity=d.capacity_bytes / d.channels, bandwidth=self.pim_bandwidth, efficiency=1.0,
                           latency=0.0, model="bandwidth")
        object.__setattr__(self, "weight_memory", mem)
        from .formats import FORMATS

        for i, f in enumerate(self.memory.pim.formats):
            if f not in FORMATS:
                raise src.error(f"memory.pim.formats[{i}]", f"unknown format {f!r}", "use a name such as bf16 or int8")

    @property
    def dram(self) -> Any:
        return self.memory.dram_config

    @property
    def clocks(self) -> FlashClocksView:
        return FlashClocksView(self.host.clock)

    @property
    def clock_hz(self) -> float:
        return self.host.clock

    @property
    def mapping(self) -> FlashMappingView:
        return FlashMappingView(weight_memory="pim")

    @property
    def memories(self) -> dict[str, MemoryConfig]:
        return {"pim": self.weight_memory}

    @property
    def pim_params(self) -> tuple[float, ...]:
        """The parameters of accelsim.kernels.pim in its PARAM_NAMES order."""
        d, t, u = self.dram.derive(), self.dram.timing, self.memory.pim
        rcd = t.tRCDRD if (d.gddr or d.hbm) else t.tRCD
        # a unit per bank pair reads the pair's two rows in turn: the kernel sees one unit with a double page
        return (self.pim_channels, self.units_per_channel, d.bankgroups, d.page_bytes * u.banks_per_unit,
                d.request_bytes, d.tCK_ns * 1e-9, rcd, t.tRP, t.tRAS, t.tRTP, u.column_cycles or t.tCCD_L,
                max(t.tCCD_S, d.burst_cycle), t.tRRD_S, t.tRRD_L, t.tFAW, t.tREFI, t.tRFC, u.macs_per_bank if u.level == "bank" else u.macs_per_channel, u.clock * d.tCK_ns * 1e-9,
                1.0 if u.all_bank_activate else 0.0, u.partial_sum_bytes, u.input_bytes,
                0.0 if u.level == "bank" else 1.0, u.bandwidth_scale, u.banks_per_unit)

    @property
    def units_per_channel(self) -> int:
        """Bank-level MAC units per channel (every ``banks_per_unit`` banks of every rank share one)."""
        d = self.dram.derive()
        return d.banks * d.ranks // self.memory.pim.banks_per_unit

    @property
    def pim_peak_flops(self) -> float:
        """FLOP/s of all PIM units together (2 per MAC)."""
        u = self.memory.pim
        per_ch = u.macs_per_bank * self.units_per_channel if u.level == "bank" else u.macs_per_channel
        return 2.0 * per_ch * self.pim_channels * u.clock

    @property
    def pim_internal_bandwidth(self) -> float:
        """Peak bytes/s the PIM units read: every bank's column per MAC-command interval (level bank), or each
        channel's ``bandwidth_scale`` columns per tCCD_S (level logic)."""
        d, t, u = self.dram.derive(), self.dram.timing, self.memory.pim
        if u.level == "logic":
            per_ch = u.bandwidth_scale * d.request_bytes / max(t.tCCD_S, d.burst_cycle)
        else:
            per_ch = self.units_per_channel * d.request_bytes / (u.column_cycles or t.tCCD_L)
        return self.pim_channels * per_ch / (d.tCK_ns * 1e-9)

    @property
    def host_bandwidth(self) -> float:
        """Bytes/s at which the host reads weights: its own memory's, else every PIM channel's at peak."""
        return self.host.memory.bandwidth if self.host.memory is not None else self.pim_bandwidth

    @property
    def pim_channels(self) -> int:
        """Channels of all stacks."""
        return int(self.dram.derive().channels * self.memory.stacks)

    @property
    def pim_capacity(self) -> float:
        """Bytes of all stacks."""
        return float(self.dram.derive().capacity_bytes * self.memory.stacks)

    @property
    def pim_bandwidth(self) -> float:
        """Peak bytes/s over all stacks' channels."""
        return float(self.dram.derive().peak_bandwidth * self.memory.stacks)

    @property
    def host_params(self) -> tuple[float, ...]:
        """accelsim.kernels.nand's PARAM_NAMES for the host chip's operations (no flash: the DRAM's first-access
        latency stands for a page read, one channel's bandwidth for the bus, the host's bandwidth (its own
        memory's, else all PIM channels') for the DRAM)."""
        d, t, h = self.dram.derive(), self.dram.timing, self.host
        rcd = t.tRCDRD if (d.gddr or d.hbm) else t.tRCD
        return (1, 1, 1, d.page_bytes, (rcd + t.CL) * d.tCK_ns * 1e-9, d.peak_bandwidth / d.channels,
                d.request_bytes, 2.0, 1.0, 0.0, 1.0, h.clock, h.array_rows, h.array_cols, h.vector_lanes, h.op_latency,
                self.host_bandwidth)
