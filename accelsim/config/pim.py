"""Schema of DRAM processing-in-memory devices (``kind: pim``): MAC units in every DRAM bank plus a host chip.

A PIM device is a set of DRAM channels whose banks each carry a MAC unit (PIM-GPT, Newton/AiM-style bank
PIM) and a host chip (an ASIC or NPU) that broadcasts input vectors, reads back partial sums and runs what
the banks cannot (norms, softmax, activations, GEMMs with enough reuse). The DRAM is any preset of
``accelsim/config/dram_presets.yaml`` with overrides; its timing drives the PIM command timeline
(:mod:`accelsim.kernels.pim`). Every other number is cited in the hwconfig or marked as an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from .flash import FlashClocksView, FlashMappingView
from .hardware import DeploymentConfig, MemoryConfig
from .schema import Source, flag, items, num, qty, sub, text

__all__ = ["PimUnitConfig", "PimMemoryConfig", "HostChipConfig", "PimConfig"]

_MEMORY_KINDS = {"HBM2": "hbm2", "HBM2E": "hbm2e", "HBM3": "hbm3", "DDR4": "ddr4", "DDR5": "ddr5", "GDDR6": "gddr6",
                 "LPDDR5": "lpddr5", "LPDDR5X": "lpddr5x"}


@dataclass(frozen=True, kw_only=True)
class PimUnitConfig:
    """The MAC unit of one bank."""

    macs_per_bank: int = num("MACs per cycle of one bank's unit", positive=True)
    clock: float = qty("clock of the bank's MAC unit", "frequency")
    formats: tuple[str, ...] = items("weight formats the MAC units multiply (names from accelsim.config.formats)",
                                     default_factory=lambda: ("bf16", "fp16"))
    column_cycles: Optional[int] = num("DRAM cycles between MAC column commands in PIM mode (omit: the DRAM's "
                                       "tCCD_L)", default=None, positive=True)
    all_bank_activate: bool = flag("the device opens a row in every bank with one command (otherwise one ACT per "
                                   "bank under tRRD and tFAW)", default=True)
    partial_sum_bytes: float = num("bytes read out per partial sum", positive=True, default=2.0)
    input_bytes: float = num("bytes per input-vector element broadcast to the banks", positive=True, default=2.0)


@dataclass(frozen=True, kw_only=True)
class PimMemoryConfig:
    """The PIM DRAM: a preset with overrides (organisation, timing, channels) and the bank units."""

    dram: dict[str, Any] = sub("DRAM device and system: 'preset: NAME' plus per-section overrides "
                               "(dram_structure, timing, power, system)")
    pim: PimUnitConfig = sub("the MAC unit in every bank")
    dram_config: Any = field(default=None, init=False, compare=False, repr=False,
                             metadata={"help": "the built DRAM configuration (set when loading)"})

    def validate(self, src: Source, path: str) -> None:
        from .dram import dram_from_mapping

        cfg = dram_from_mapping(dict(self.dram), src, f"{path}.dram")
        object.__setattr__(self, "dram_config", cfg)


@dataclass(frozen=True, kw_only=True)
class HostChipConfig:
    """The chip beside the PIM DRAM: a MAC array for GEMMs, a vector unit, its clock."""

    clock: float = qty("clock of the host chip", "frequency")
    array_rows: int = num("rows of its MAC array", positive=True)
    array_cols: int = num("columns of its MAC array", positive=True)
    vector_lanes: int = num("elements per cycle of its vector unit (norms, softmax, activations, adds)", positive=True)
    op_latency: float = qty("fixed latency of one host operation", "time", positive=False, nonneg=True, default=0.0)


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
    deployment: DeploymentConfig = sub("number formats the model runs in", default_factory=DeploymentConfig)
    price_usd: float = num("price of the device (0: unknown)", default=0.0, nonneg=True)
    part: None = field(default=None, init=False, metadata={"help": "no FPGA part"})
    power: None = field(default=None, init=False, metadata={"help": "no energy model yet"})
    energy: None = field(default=None, init=False, metadata={"help": "no energy model yet"})
    weight_memory: MemoryConfig = field(init=False, repr=False, compare=False,
                                        metadata={"help": "the PIM DRAM as the engine's memory model sees it"})

    def validate(self, src: Source, path: str) -> None:
        d = self.dram.derive()
        mem = MemoryConfig(kind=_MEMORY_KINDS.get(d.protocol, "hbm2"), channels=d.channels,
                           channel_capacity=d.capacity_bytes / d.channels, bandwidth=d.peak_bandwidth, efficiency=1.0,
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
        return (d.channels, d.banks * d.ranks, d.bankgroups, d.page_bytes, d.request_bytes, d.tCK_ns * 1e-9, rcd,
                t.tRP, t.tRAS, t.tRTP, u.column_cycles or t.tCCD_L, max(t.tCCD_S, d.burst_cycle), t.tRRD_S, t.tRRD_L, t.tFAW, t.tREFI,
                t.tRFC, u.macs_per_bank, u.clock * d.tCK_ns * 1e-9, 1.0 if u.all_bank_activate else 0.0,
                u.partial_sum_bytes, u.input_bytes)

    @property
    def host_params(self) -> tuple[float, ...]:
        """accelsim.kernels.nand's PARAM_NAMES for the host chip's operations (no flash: the DRAM's first-access
        latency stands for a page read, one channel's bandwidth for the bus, all channels' for the DRAM)."""
        d, t, h = self.dram.derive(), self.dram.timing, self.host
        rcd = t.tRCDRD if (d.gddr or d.hbm) else t.tRCD
        return (1, 1, 1, d.page_bytes, (rcd + t.CL) * d.tCK_ns * 1e-9, d.peak_bandwidth / d.channels,
                d.request_bytes, 2.0, 1.0, 0.0, 1.0, h.clock, h.array_rows, h.array_cols, h.vector_lanes, h.op_latency,
                d.peak_bandwidth)
