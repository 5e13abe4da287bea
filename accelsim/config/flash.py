"""Schema of NAND-flash devices with in-flash computing (``kind: flash``): Cambricon-LLM-style NPU + flash.

A flash device is an NPU chiplet (a systolic array, a vector unit and a small DRAM that holds the KV cache)
joined to a NAND flash chip whose dies each carry a small compute core. The weights live in flash and are
never written back; a weight GEMV is split between *read-compute* requests (a die reads a page into its page
buffer and its compute core multiplies it with the input slice that was broadcast over the channel, sending
only partial sums back) and ordinary page reads that carry weights over the channel bus to the NPU, sliced
into the gaps the read-compute traffic leaves (Yu et al., "Cambricon-LLM", MICRO'24, arXiv 2409.15654,
Sections IV-V). The timing mechanisms live in :mod:`accelsim.kernels.nand`; every number is read off the
paper or a data sheet and cited in the hwconfig, or is a named assumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

from .hardware import DeploymentConfig, MemoryConfig
from .schema import Source, items, num, qty, sub, text

__all__ = ["SPLIT_CODES", "FlashComputeCoreConfig", "FlashArrayConfig", "NpuConfig", "FlashMappingConfig",
           "FlashEnergyConfig", "FlashConfig", "TILE_SEARCH_MIN_ROWS"]

#: the trace's code of each tiling.split choice (the GEMV instruction's ``passes`` column)
SPLIT_CODES = {"balanced": -1, "flash_only": -2, "npu_only": -3}
#: the smallest tile height (outputs per tile) the tile search considers
TILE_SEARCH_MIN_ROWS = 16


@dataclass(frozen=True, kw_only=True)
class FlashComputeCoreConfig:
    """The compute core of one die: MAC units at a clock, fed from the page buffer (one per die)."""

    macs: int = num("INT8 MAC units of the core", positive=True)
    clock: float = qty("clock of the compute core", "frequency")
    ecc_latency: float = qty("latency of the on-die ECC decode of a page before the core uses it (pipelined with "
                             "the next page read)", "time", positive=False, nonneg=True, default=0.0)
    buffer: float = qty("input-vector buffer of the core (holds the broadcast input slice of a tile)", "bytes")


@dataclass(frozen=True, kw_only=True)
class FlashArrayConfig:
    """The NAND flash chip: channels, chips (ways) per channel, dies, planes, pages, read time, channel bus."""

    channels: int = num("flash channels (independent buses to the NPU's flash controller)", positive=True)
    chips_per_channel: int = num("flash chips (ways) sharing one channel bus", positive=True)
    dies_per_chip: int = num("dies per chip", positive=True)
    planes_per_die: int = num("planes per die (each reads a page at a time into its data register)", positive=True)
    page: float = qty("page size (the unit of an array read)", "bytes")
    t_read: float = qty("page read time tR (array to data register)", "time")
    bus_rate: float = qty("channel bus transfer rate (transfers per second; ONFI/Toggle MT/s)", "frequency")
    bus_width_bits: int = num("channel bus width in bits", positive=True)
    die_capacity: float = qty("user capacity of one die", "bytes")
    slice: float = qty("size of the slices ordinary page transfers are cut into (a read-compute transfer waits at "
                       "most one slice for the bus)", "bytes")
    partial_sum_bytes: float = num("bytes the channel carries per partial sum a read-compute returns", positive=True)
    compute_core: FlashComputeCoreConfig = sub("the per-die compute core")

    @property
    def dies_per_channel(self) -> int:
        return self.chips_per_channel * self.dies_per_chip

    @property
    def dies(self) -> int:
        return self.channels * self.dies_per_channel

    @property
    def bus_bytes_per_s(self) -> float:
        return self.bus_rate * self.bus_width_bits / 8.0

    @property
    def capacity(self) -> float:
        return self.dies * self.die_capacity

    def validate(self, src: Source, path: str) -> None:
        if self.page % 1 or self.page < 512:
            raise src.error(f"{path}.page", f"a page of {self.page:g} bytes is not a whole number of >= 512 bytes",
                            "use the flash part's page size, e.g. 16 KiB")
        if self.slice > self.page:
            raise src.error(f"{path}.slice", "a read slice larger than a page", "use a slice <= page")
        if self.compute_core.buffer < 1:
            raise src.error(f"{path}.compute_core.buffer", "the input buffer must hold at least one byte",
                            "give the core's input buffer size, e.g. 2 KiB")


@dataclass(frozen=True, kw_only=True)
class NpuConfig:
    """The NPU chiplet: systolic array, vector unit and the DRAM beside it (which holds the KV cache)."""

    clock: float = qty("NPU clock", "frequency")
    array_rows: int = num("systolic array rows (INT8 MACs)", positive=True)
    array_cols: int = num("systolic array columns (INT8 MACs)", positive=True)
    vector_lanes: int = num("elements per cycle of the vector unit (norms, softmax, activations, adds)",
                            positive=True)
    dram_bandwidth: float = qty("peak bandwidth of the NPU's DRAM (KV cache)", "bandwidth")
    dram_capacity: float = qty("capacity of the NPU's DRAM", "bytes")
    dram_kind: Literal["lpddr4x", "lpddr5", "lpddr5x", "ddr4", "ddr5"] = text("DRAM technology")
    op_latency: float = qty("fixed latency of one NPU operation (issue, pipeline fill and drain)", "time",
                            positive=False, nonneg=True, default=0.0)

    @property
    def macs_per_s(self) -> float:
        return self.array_rows * self.array_cols * self.clock


@dataclass(frozen=True, kw_only=True)
class FlashMappingConfig:
    """How the compiler maps weight GEMVs onto flash: tile shape and the in-flash/NPU split."""

    tile: Optional[tuple[int, ...]] = items(
        "tile [H, W] (outputs x inputs) every read-compute request covers; omit for the hardware-aware choice "
        "(one page per die, least channel traffic per tile: see FlashConfig.auto_tile)",
        default_factory=lambda: None, positive=True)
    split: Literal["balanced", "flash_only", "npu_only"] = text(
        "which tiles run as read-compute in flash: balanced (the split that finishes first), flash_only, or "
        "npu_only (every weight read over the channels, as a plain flash-offloading NPU)", default="balanced")
    barrier_cycles: int = num("NPU cycles between dependent operations", nonneg=True, default=0)

    def validate(self, src: Source, path: str) -> None:
        if self.tile is not None and len(self.tile) != 2:
            raise src.error(f"{path}.tile", f"a tile is [H, W], got {list(self.tile)}", "write tile: [256, 2048]")


@dataclass(frozen=True, kw_only=True)
class FlashEnergyConfig:
    """Energy per action of the flash chip and the NPU (omit the section for a run without energy)."""

    page_read: float = qty("energy of one page read (array to data register)", "energy")
    bus_per_byte: float = qty("energy per byte over a channel bus", "energy")
    core_mac: float = qty("energy of one MAC in a die's compute core", "energy")
    npu_mac: float = qty("energy of one INT8 MAC on the NPU", "energy")
    dram_per_byte: float = qty("energy per byte read from or written to the NPU's DRAM", "energy")
    static_w: float = qty("static power of the device (NPU + flash idle)", "power", positive=False, nonneg=True)


@dataclass(frozen=True)
class FlashMappingView:
    """What the engine and simulate() read from every device's ``mapping``."""

    weight_memory: str = "flash"
    barrier_cycles: int = 0
    prefill_logits: str = "last_row"


@dataclass(frozen=True)
class FlashClocksView:
    main: float


@dataclass(frozen=True, kw_only=True)
class FlashConfig:
    """A flash device: NPU chiplet + NAND flash chip with per-die compute cores."""

    version: int = num("schema version of this file (1)", lo=1, hi=1)
    name: str = text("short name of the device configuration")
    kind: Literal["flash"] = text("device family; selects the compiler lowering (flash: NPU + in-flash compute)")
    description: str = text("one line on what this configuration is")
    source: str = text("where the parameters come from")
    npu: NpuConfig = sub("the NPU chiplet")
    flash: FlashArrayConfig = sub("the NAND flash chip")
    tiling: FlashMappingConfig = sub("weight GEMV tiling and the in-flash/NPU split",
                                     default_factory=FlashMappingConfig)
    energy: Optional[FlashEnergyConfig] = sub("energy per action", default=None)
    deployment: DeploymentConfig = sub("number formats the model runs in", default_factory=DeploymentConfig)
    price_usd: float = num("price of the device (0: unknown)", default=0.0, nonneg=True)
    part: None = field(default=None, init=False, metadata={"help": "no FPGA part"})
    power: None = field(default=None, init=False, metadata={"help": "energy is in the energy section"})
    weight_memory: MemoryConfig = field(init=False, repr=False, compare=False,
                                        metadata={"help": "the flash as the engine's memory model sees it"})

    def validate(self, src: Source, path: str) -> None:
        # flash GEMVs time their own page reads and transfers; the engine's memory model never sees an access
        mem = MemoryConfig(kind=self.npu.dram_kind, channels=1, channel_capacity=self.npu.dram_capacity,
                           bandwidth=self.npu.dram_bandwidth, efficiency=1.0, latency=0.0, model="bandwidth")
        object.__setattr__(self, "weight_memory", mem)

    @property
    def clocks(self) -> FlashClocksView:
        return FlashClocksView(self.npu.clock)

    @property
    def clock_hz(self) -> float:
        return self.npu.clock

    @property
    def mapping(self) -> FlashMappingView:
        return FlashMappingView(barrier_cycles=self.tiling.barrier_cycles)

    @property
    def memories(self) -> dict[str, MemoryConfig]:
        return {"flash": self.weight_memory}

    @property
    def params(self) -> tuple[float, ...]:
        """The parameters of accelsim.kernels.nand in its PARAM_NAMES order."""
        f, n = self.flash, self.npu
        core = f.compute_core
        return (f.channels, f.dies_per_channel, f.planes_per_die, f.page, f.t_read, f.bus_bytes_per_s, f.slice,
                f.partial_sum_bytes, core.macs * core.clock, core.ecc_latency, core.buffer, n.clock, n.array_rows,
                n.array_cols, n.vector_lanes, n.op_latency, n.dram_bandwidth)

    def auto_tile(self, w_bits: int, n_in: int) -> tuple[int, int]:
        """The hardware-aware tile of a GEMV with ``n_in`` inputs (Cambricon-LLM Section V-A): a tile puts one
        page on every die; its channel traffic per tile (each channel's input slice ``w`` plus its ``H``
        partial sums) is least at ``H = sqrt(dies per channel x page elements)``, ``W = channels x H`` (256 x
        2048 on S). H is rounded up to a power of two. A matrix with fewer inputs than W gets the widest
        power-of-two W <= n_in instead (and a taller H, still one page per die), so that no channel is
        left without columns."""
        f = self.flash
        block = f.dies_per_channel * int(f.page * 8 // w_bits)  # weights of one tile on one channel
        h = 1
        while h * h < block:
            h *= 2
        w_ch = max(1, block // h)
        while w_ch > 1 and (f.channels * w_ch > n_in or w_ch > f.compute_core.buffer):
            w_ch //= 2
        return block // w_ch, f.channels * w_ch

    def tile_candidates(self, w_bits: int) -> list[tuple[int, int]]:
        """Tiles [H, W] whose block on one die is exactly one page: H = dies_per_channel x r, W = channels x w,
        r x w = page elements, r and w powers of two, H >= TILE_SEARCH_MIN_ROWS, and one input slice (w bytes)
        in a core's buffer."""
        f = self.flash
        elems = int(f.page * 8 // w_bits)
        out = []
        r = 1
        while r <= elems:
            w = elems // r
            if r * w == elems and f.dies_per_channel * r >= TILE_SEARCH_MIN_ROWS and w <= f.compute_core.buffer:
                out.append((f.dies_per_channel * r, f.channels * w))
            r *= 2
        return out
