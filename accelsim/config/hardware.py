"""Schema of ``hwconfigs/*.yaml``: a device composed of named parts.

A device has clock domains, compute units, on-chip buffers, off-chip memories and links, plus two
sections that are not hardware but belong to a deployment on it: ``mapping`` (how the compiler uses the
parts) and ``deployment`` (the number formats and sparsity the device runs a model with). Every number in
the shipped YAML carries a comment with its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from .schema import Source, flag, items, num, qty, sub, text
from .workload import FormatsConfig, check_weight_names, parse_sparsity

__all__ = [
    "ClocksConfig", "SlrConfig", "Parallelism", "SparseChainConfig", "ArrayConfig", "MatrixEngineConfig", "SfuConfig", "ComputeConfig",
    "BufferConfig", "BuffersConfig", "MemoryConfig", "LinkConfig", "FpgaPartConfig", "LengthBuckets",
    "MappingConfig", "AttentionSparsityConfig", "DeploymentConfig", "PowerConfig", "HardwareConfig",
]


@dataclass(frozen=True, kw_only=True)
class ClocksConfig:
    """Clock domains. Results are reported in cycles of ``main`` and in seconds."""

    main: float = qty("clock of the compute fabric (MM/MV engines, SFU, buffers)", "frequency")


@dataclass(frozen=True, kw_only=True)
class SlrConfig:
    """Super logic regions (dies of a multi-die FPGA) that execute each instruction in lockstep on equal shares."""

    count: int = num("number of SLRs holding a copy of the compute units", positive=True)
    parallel_efficiency: float = num(
        "fraction of the ideal count-fold speed-up that lockstep execution across SLRs achieves "
        "(synchronisation and imbalance across dies)", positive=True, hi=1.0)


@dataclass(frozen=True, kw_only=True)
class Parallelism:
    """MACs per cycle of one engine as N (output columns) x K (reduction) x M (output rows)."""

    n: int = num("output columns computed in parallel", positive=True)
    k: int = num("reduction elements consumed in parallel", positive=True)
    m: int = num("output rows computed in parallel", positive=True)

    @property
    def macs_per_cycle(self) -> int:
        return self.n * self.k * self.m


@dataclass(frozen=True, kw_only=True)
class SparseChainConfig:
    """FlightLLM's configurable sparse DSP chain (FPGA'24 §4.1).

    A chain of DSPs reduces ``block`` (M) weights of one output column per cycle. For an N:M block a
    multiplexer in front of every DSP picks the activation each non-zero needs (by its index), and reduction
    nodes split the chain into M/N sub-chains that serve M/N output columns at once, so the block takes N/M
    of a dense block's cycles; an all-zero block (N = 0) is skipped. The sub-chains need columns to work
    on: an instruction's tile offers ``tile columns / columns per cycle`` times the dense column
    parallelism, which caps the speed-up. With ``enabled: false`` the chain is dense: N:M weights are
    expanded in the load path and every zero is multiplied (the baseline of the paper's 1.6x claim).
    """

    enabled: bool = flag("skip zeros of N:M / block-sparse weights (false: a dense DSP chain)", default=True)
    block: int = num("M of the N:M patterns the chain decodes", positive=True, default=16)
    n_supported: tuple[int, ...] = items("the N values (non-zeros per M) the chain can be configured for",
                                         default_factory=lambda: (0, 2, 4, 8, 16), nonneg=True)

    def validate(self, src: Source, path: str) -> None:
        for i, n in enumerate(self.n_supported):
            if n > self.block:
                raise src.error(f"{path}.n_supported[{i}]", f"N = {n} exceeds the block size {self.block}",
                                f"list N values between 0 and {self.block}")


@dataclass(frozen=True, kw_only=True)
class ArrayConfig:
    """The MAC array of a tensor-engine style other than the DSP chain (one array per SLR).

    systolic: ``rows`` x ``cols`` PEs with a ``dataflow``; adder_tree: ``rows`` trees of ``depth``
    multipliers; matrix_2d: ``rows`` x ``cols`` outer-product MACs; cube_3d: ``rows`` x ``cols`` x ``depth``
    MACs reducing along ``depth`` (see accelsim/kernels/compute.py for each cycle model).
    """

    rows: int = num("array rows (systolic, matrix_2d, cube_3d) or number of trees (adder_tree)", positive=True)
    cols: int = num("array columns (systolic, matrix_2d, cube_3d; 1 for adder_tree)", positive=True, default=1)
    depth: int = num("reduction elements per cycle (adder_tree multipliers per tree, cube_3d depth)",
                     positive=True, default=1)
    dataflow: Literal["os", "ws", "is"] = text("systolic dataflow: output, weight or input stationary",
                                               default="ws")

    @property
    def macs(self) -> int:
        return self.rows * self.cols * self.depth


@dataclass(frozen=True, kw_only=True)
class MatrixEngineConfig:
    """A FlightLLM-style matrix engine of DSP chains: a matrix-matrix (MM) mode and a matrix-vector (MV) mode.

    One instruction produces an output tile; a partial tile still takes a whole tile's cycles (the DSP
    chains are scheduled per tile), and the reduction length is padded to ``reduction_block``.
    """

    mm_parallelism: Parallelism = sub("MM-mode parallelism per SLR")
    mv_parallelism: Parallelism = sub("MV-mode parallelism per SLR")
    mm_tile_rows: int = num("output rows of one MM instruction", positive=True)
    mm_tile_cols: int = num("output columns of one MM instruction", positive=True)
    mv_tile_outputs: int = num("outputs of one MV instruction", positive=True)
    reduction_block: int = num("reduction length granularity (sparse block size); K is padded to it",
                               positive=True)
    operand_bits: int = num("operand width of the DSP chains; narrower weights are unpacked to it on chip",
                            positive=True)
    macs_per_dsp: int = num("MACs one DSP slice performs per cycle at operand_bits (2 INT8 MACs per DSP48E2 "
                            "with the packing trick)", positive=True, default=1)
    sparse_chain: SparseChainConfig = sub("the sparse DSP chain (N:M and block sparsity)",
                                          default_factory=SparseChainConfig)
    style: Literal["dsp_chain", "systolic", "adder_tree", "matrix_2d", "cube_3d"] = text(
        "tensor-engine style: FlightLLM's DSP chains (MM/MV parallelism) or one MAC array per SLR (see array)",
        default="dsp_chain")
    array: Optional[ArrayConfig] = sub("the MAC array of a style other than dsp_chain", default=None)

    def validate(self, src: Source, path: str) -> None:
        if self.style != "dsp_chain" and self.array is None:
            raise src.error(f"{path}.style", f"style {self.style!r} needs an array section",
                            "add 'array: {rows: 128, cols: 128}' (and depth/dataflow as the style needs)")
        if self.style == "matrix_2d" and self.array is not None and self.array.depth != 1:
            raise src.error(f"{path}.array.depth", "a 2-D (outer-product) matrix engine has depth 1",
                            "remove depth, or use style cube_3d")

    @property
    def peak_macs_per_cycle(self) -> int:
        """MACs per cycle of one SLR's engine (the larger mode for the DSP chain)."""
        if self.style == "dsp_chain" or self.array is None:
            return max(self.mm_parallelism.macs_per_cycle, self.mv_parallelism.macs_per_cycle)
        return self.array.macs


@dataclass(frozen=True, kw_only=True)
class SfuConfig:
    """The special-function / vector unit: softmax, norms, activations and element-wise ops."""

    lanes: int = num("elements processed per cycle per SLR", positive=True)
    two_pass: tuple[str, ...] = items(
        "functions that read their input twice (a statistics pass, then a normalising pass)",
        default_factory=lambda: ("softmax", "rmsnorm", "layernorm"))


@dataclass(frozen=True, kw_only=True)
class ComputeConfig:
    """The compute units of the device."""

    matrix_engine: MatrixEngineConfig = sub("matrix engine (MM and MV modes)")
    sfu: SfuConfig = sub("special-function unit")


@dataclass(frozen=True, kw_only=True)
class BufferConfig:
    """An on-chip buffer of ``banks`` banks, each ``depth`` words of ``bank_width`` (per SLR)."""

    depth: int = num("words per bank", positive=True)
    bank_width: float = qty("bytes per word of one bank", "bytes")
    banks: int = num("banks per SLR", positive=True)
    mv_banks: int = num("banks usable in MV mode (0: same as banks)", default=0, nonneg=True)
    kind: Literal["sram", "bram", "uram", "regfile"] = text(
        "what the buffer is built from (FPGA: bram/uram; ASIC: sram/regfile), for energy and resources",
        default="sram")

    def capacity_bytes(self, mv_mode: bool = False) -> int:
        """Capacity of one SLR's copy in bytes (MV mode may use fewer banks)."""
        banks = self.mv_banks if (mv_mode and self.mv_banks) else self.banks
        return int(self.depth * self.bank_width * banks)


@dataclass(frozen=True, kw_only=True)
class BuffersConfig:
    """FlightLLM's buffers: A (activations in MM, weights in MV), B (weights in MM, vectors in MV), global (outputs)."""

    a_buffer: BufferConfig = sub("A buffer: the activation tile in MM mode, the weight tiles in MV mode")
    b_buffer: BufferConfig = sub("B buffer: the weight tiles in MM mode, the input vectors in MV mode")
    global_buffer: BufferConfig = sub("global buffer: outputs and the operands of the special-function unit")


@dataclass(frozen=True, kw_only=True)
class MemoryConfig:
    """An off-chip memory: channels (or pseudo-channels), capacity, bandwidth, and its timing model.

    ``model: dram`` (the default when a ``dram`` section is given) times every access cycle by cycle with
    the DRAM controller model; ``dram`` names a standard preset and may override any of its fields.
    ``model: bandwidth`` streams each channel at peak bandwidth x efficiency after an idle latency.
    """

    kind: Literal["hbm2", "hbm2e", "hbm3", "ddr4", "ddr5", "gddr6", "lpddr5", "lpddr5x"] = text("memory technology")
    channels: int = num("independent channels (pseudo-channels for HBM)", positive=True)
    channel_capacity: float = qty("capacity of one channel", "bytes")
    bandwidth: float = qty("peak bandwidth of all channels together", "bandwidth")
    efficiency: float = num("bandwidth model: fraction of a channel's peak a streaming access through its own "
                            "port gets", positive=True, hi=1.0)
    cross_channel_efficiency: float = num(
        "fraction of peak a port gets when reading a channel it is not attached to (through the HBM switch); "
        "the DRAM model applies it as a request-rate limit of such ports", positive=True, hi=1.0, default=1.0)
    latency: float = qty("bandwidth model: idle read latency (request to first data)", "time", positive=False,
                         nonneg=True)
    model: Literal["auto", "bandwidth", "dram"] = text(
        "timing model: dram (cycle-level, the default with a dram section) or bandwidth", default="auto")
    dram: Optional[dict[str, Any]] = sub(
        "DRAM device and controller: 'preset: NAME' (accelsim/config/dram_presets.yaml) plus per-section overrides "
        "(dram_structure, timing, power, system)", default=None)
    holds: tuple[str, ...] = items("what the compiler places here: weights, kv_cache, activations",
                                   default_factory=lambda: ("weights", "kv_cache", "activations"))
    dram_config: Any = field(default=None, init=False, compare=False, repr=False,
                             metadata={"help": "the built DRAM configuration (set when loading)"})

    @property
    def timing_model(self) -> str:
        if self.model == "auto":
            return "dram" if self.dram is not None else "bandwidth"
        return self.model

    @property
    def capacity_bytes(self) -> float:
        return self.channels * self.channel_capacity

    @property
    def channel_bandwidth(self) -> float:
        return self.bandwidth / self.channels

    def validate(self, src: Source, path: str) -> None:
        for i, h in enumerate(self.holds):
            if h not in ("weights", "kv_cache", "activations"):
                raise src.error(f"{path}.holds[{i}]", f"unknown content {h!r}", "use weights, kv_cache or activations")
        if self.timing_model == "dram" and self.dram is None:
            raise src.error(f"{path}.model", "model 'dram' needs a dram section",
                            "add 'dram: {preset: HBM2E}' (or another preset) under this memory")
        if self.dram is None:
            return
        from .dram import dram_from_mapping

        spec = dict(self.dram)
        system = spec.get("system")
        if system is None or (isinstance(system, dict) and "channels" not in system):
            # the memory's channel count is the DRAM system's unless the dram section says otherwise
            spec["system"] = {**(system or {}), "channels": self.channels}
        cfg = dram_from_mapping(spec, src, f"{path}.dram")
        d = cfg.derive()
        object.__setattr__(self, "dram_config", cfg)
        if self.timing_model != "dram":
            return  # the section is checked but not used: the bandwidth model times this memory
        if d.channels != self.channels:
            raise src.error(f"{path}.dram", f"the DRAM configuration has {d.channels} channels, the memory {self.channels}",
                            f"override 'system: {{channels: {self.channels}}}' in the dram section, or set channels "
                            f"to {d.channels}")
        cap = d.capacity_bytes / d.channels
        if abs(cap - self.channel_capacity) > 1e-6 * cap:
            raise src.error(f"{path}.channel_capacity",
                            f"channel_capacity {self.channel_capacity / 2**20:g} MiB differs from the DRAM "
                            f"configuration's {cap / 2**20:g} MiB per channel",
                            f"set channel_capacity to '{cap / 2**20:g} MiB' or change the dram organisation")
        if abs(d.peak_bandwidth - self.bandwidth) > 0.1 * self.bandwidth:
            raise src.error(f"{path}.bandwidth",
                            f"bandwidth {self.bandwidth / 1e9:.1f} GB/s is more than 10 % away from the DRAM "
                            f"configuration's peak {d.peak_bandwidth / 1e9:.1f} GB/s",
                            "make the two agree (the DRAM model times accesses from its own timing)")
        object.__setattr__(self, "dram_config", cfg)


@dataclass(frozen=True, kw_only=True)
class LinkConfig:
    """An external link (host PCIe, chip-to-chip): bandwidth and latency."""

    bandwidth: float = qty("peak bandwidth of the link", "bandwidth")
    latency: float = qty("one-way latency", "time", positive=False, nonneg=True)


@dataclass(frozen=True, kw_only=True)
class FpgaPartConfig:
    """The FPGA part and its resource budget (checked against what the engine needs)."""

    name: str = text("part name")
    dsp_kind: Literal["dsp48e2", "dsp58"] = text("DSP slice type")
    dsp: int = num("DSP slices", positive=True)
    bram36: int = num("36 Kb block RAMs", nonneg=True, default=0)
    uram: int = num("288 Kb UltraRAMs", nonneg=True, default=0)
    luts: int = num("6-input LUTs", nonneg=True, default=0)
    ff: int = num("flip-flops (0: not checked)", nonneg=True, default=0)


@dataclass(frozen=True, kw_only=True)
class PowerConfig:
    """How a run's energy is priced (accelsim/config/energy_tables.yaml, after the run) and the static power.

    Energy = action counts x per-action energies at ``technology`` + ``static_w`` x elapsed time.
    """

    technology: str = text("energy-table key: an FPGA part (xcu280, xcvh1582) or an ASIC node (45nm ... 7nm)")
    static_w: float = qty("power drawn whatever the device does (leakage, idle shell and PHYs, board)", "power",
                          positive=False, nonneg=True)


@dataclass(frozen=True, kw_only=True)
class LengthBuckets:
    """Length-adaptive compilation: instruction templates are made for token counts rounded up to these."""

    prefill: int = num("prefill lengths are rounded up to a multiple of this", positive=True, default=128)
    decode: int = num("decode KV lengths are rounded up to a multiple of this", positive=True, default=16)


@dataclass(frozen=True, kw_only=True)
class MappingConfig:
    """How the compiler uses the device's parts."""

    weight_memory: str = text("name of the memory (under memories) holding weights and the KV cache")
    a_buffer_channels: int = num("memory channels attached to each SLR's A and global buffers", positive=True)
    b_buffer_channels: int = num("memory channels attached to each SLR's B buffer", positive=True)
    always_on_chip_decode: bool = flag(
        "keep decode activations in the global buffer between ops when they fit (no HBM round trips)",
        default=True)
    min_buffer_depth: int = num("tiles a streamed operand's buffer must hold at once (2: double-buffering)",
                                default=2, lo=1)
    length_buckets: LengthBuckets = sub("length-adaptive compilation buckets", default_factory=LengthBuckets)
    prefill_logits: Literal["all_rows", "last_row"] = text(
        "compute the LM head for every prompt row (as the FlightLLM artifact does) or only the last one",
        default="last_row")
    barrier_cycles: int = num("cycles of the barrier that ends every op", default=1, nonneg=True)


@dataclass(frozen=True, kw_only=True)
class AttentionSparsityConfig:
    """Block-sparse attention mask: causal blocks of ``block_tokens`` kept by a sink + local-window pattern."""

    pattern: Literal["dense", "sink_window"] = text("dense: every causal block; sink_window: see below",
                                                    default="dense")
    block_tokens: int = num("tokens per mask block", positive=True, default=64)
    sink_blocks: int = num("leading blocks every query keeps (attention sinks)", default=1, nonneg=True)
    window_blocks: int = num("most recent blocks every query keeps (its own block included)", default=4,
                             positive=True)


@dataclass(frozen=True, kw_only=True)
class DeploymentConfig:
    """The number formats and sparsity a device runs a model with; overrides the workload's defaults."""

    formats: Optional[FormatsConfig] = sub("number formats (omit to use the workload's)", default=None)
    sparsity: dict[str, Any] = items(
        "sparsity per weight name: a density, or N:M blocks (see the workload schema's sparsity)",
        default_factory=dict)
    prefill_attention: AttentionSparsityConfig = sub("attention mask in prefill",
                                                     default_factory=AttentionSparsityConfig)

    def validate(self, src: Source, path: str) -> None:
        check_weight_names(self.sparsity, f"{path}.sparsity", src)
        object.__setattr__(self, "sparsity", {name: parse_sparsity(v, f"{path}.sparsity.{name}", src)
                                              for name, v in self.sparsity.items()})


@dataclass(frozen=True, kw_only=True)
class HardwareConfig:
    """A device: clocks, SLRs, compute units, buffers, memories, links, mapping and deployment."""

    version: int = num("schema version of this file (1)", lo=1, hi=1)
    name: str = text("short name of the device configuration")
    kind: Literal["fpga"] = text("device family; selects the compiler lowering (fpga: FlightLLM-style)")
    description: str = text("one line on what this configuration is")
    source: str = text("where the parameters come from")
    clocks: ClocksConfig = sub("clock domains")
    slrs: SlrConfig = sub("super logic regions")
    compute: ComputeConfig = sub("compute units")
    buffers: BuffersConfig = sub("on-chip buffers")
    memories: dict[str, MemoryConfig] = items("off-chip memories by name", default_factory=dict)
    links: dict[str, LinkConfig] = items("external links by name", default_factory=dict)
    mapping: MappingConfig = sub("how the compiler uses the parts")
    part: Optional[FpgaPartConfig] = sub("FPGA part and its resources", default=None)
    deployment: DeploymentConfig = sub("formats and sparsity the device runs models with",
                                       default_factory=DeploymentConfig)
    price_usd: float = num("price of the device (for cost comparisons; 0: unknown)", default=0.0, nonneg=True)
    power: Optional[PowerConfig] = sub("energy pricing and static power (omit: no energy is reported)",
                                       default=None)

    def validate(self, src: Source, path: str) -> None:
        if not self.memories:
            raise src.error("memories", "a device needs at least one off-chip memory",
                            "add a memories: section, e.g. an 'hbm' entry")
        if self.mapping.weight_memory not in self.memories:
            import difflib

            close = difflib.get_close_matches(self.mapping.weight_memory, list(self.memories), n=1)
            raise src.error("mapping.weight_memory", f"no memory named {self.mapping.weight_memory!r}",
                            f"did you mean {close[0]!r}?" if close else "name one of: " + ", ".join(self.memories))
        mem = self.memories[self.mapping.weight_memory]
        need = self.slrs.count * self.mapping.a_buffer_channels
        if need > mem.channels:
            raise src.error("mapping.a_buffer_channels",
                            f"{self.slrs.count} SLRs x {self.mapping.a_buffer_channels} channels = {need} exceeds "
                            f"the {mem.channels} channels of memory {self.mapping.weight_memory!r}",
                            "lower a_buffer_channels or the SLR count")
        if self.mapping.b_buffer_channels > self.mapping.a_buffer_channels:
            raise src.error("mapping.b_buffer_channels", "B-buffer channels exceed the SLR's channel group",
                            "set b_buffer_channels to at most a_buffer_channels")
        me = self.compute.matrix_engine
        if self.part is not None:
            # the MM and MV modes share the DSP chains; the larger mode sets the DSP count
            macs = me.peak_macs_per_cycle * self.slrs.count
            dsps = -(-macs // me.macs_per_dsp)
            if dsps > self.part.dsp:
                raise src.error("compute.matrix_engine",
                                f"the matrix engine needs {dsps} DSP slices ({macs} MACs/cycle at "
                                f"{me.macs_per_dsp} per DSP) but part {self.part.name} has {self.part.dsp}",
                                "reduce mm_parallelism/mv_parallelism or the SLR count")

    @property
    def clock_hz(self) -> float:
        return self.clocks.main

    @property
    def weight_memory(self) -> MemoryConfig:
        return self.memories[self.mapping.weight_memory]
