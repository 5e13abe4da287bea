"""Schema of GPU hwconfigs (``kind: gpu``): an NVIDIA-style GPU and the serving framework that drives it.

A GPU is described by its datasheet (streaming multiprocessors, clocks, dense tensor-core throughput per
precision, L2, HBM/GDDR size and bandwidth, board power) plus the host-side framework that launches its
kernels (vLLM or PyTorch eager through HuggingFace transformers). The timing mechanisms that use these
numbers live in :mod:`accelsim.kernels.gpu`; the few constants that are *fitted* rather than read off a
datasheet are defined here, named, with the data they were fitted to, and shared by every GPU:

* :data:`SUSTAINED_BANDWIDTH_FRACTION` and :data:`KERNEL_LATENCY_S` — the two constants of the memory-bound
  kernel mechanism ``t = bytes / (fraction x peak bandwidth) + latency``, least-squares fitted (relative
  errors) to the four Vidur A100 measurements of LLaMA-2-7B's projections for one token
  (``accelsim/validate/data/gpu_reference.csv``, ``use=calibration``; tests re-fit and compare).
* :data:`TENSOR_CORE_EFFICIENCY` — the fraction of an SM's peak tensor-core rate a CTA tile sustains in its
  main loop, fitted (geometric mean) to the same projections at 4096 tokens, where tile and wave
  quantisation are small.

Every other number comes from a datasheet/whitepaper (cited in the hwconfig YAML) or is an explicitly stated
assumption with its own name below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

from .hardware import DeploymentConfig, MemoryConfig
from .schema import Source, flag, items, num, qty, sub, text

__all__ = [
    "SUSTAINED_BANDWIDTH_FRACTION", "KERNEL_LATENCY_S", "TENSOR_CORE_EFFICIENCY", "FA2_EFFICIENCY", "FRAMEWORKS", "PRECISIONS",
    "FRAMEWORK_DEFAULTS", "GpuSmConfig", "GpuMemoryConfig", "GpuPowerConfig", "GpuFrameworkConfig",
    "GpuMappingView", "GpuClocksView", "GpuConfig",
]

#: sustained fraction of peak DRAM bandwidth of a streaming kernel. Fitted: Vidur a100 LLaMA-2-7B TP1,
#: num_tokens=1, medians of attn_pre_proj 0.065 ms, attn_post_proj 0.025 ms, mlp_up_proj 0.116 ms,
#: mlp_down_proj 0.060 ms, against 2039 GB/s (A100-80GB SXM4 datasheet); relative least squares.
SUSTAINED_BANDWIDTH_FRACTION = 0.8004
#: fixed GPU time of every kernel (launch latency, ramp-up, tail); fitted together with the fraction above.
KERNEL_LATENCY_S = 4.38e-6
#: sustained fraction of an SM's peak dense tensor-core rate in a GEMM main loop. Fitted: geometric mean over
#: Vidur a100 LLaMA-2-7B TP1 num_tokens=4096 medians (1.911, 0.611, 3.3655, 1.604 ms) of the tile/wave model
#: (accelsim.kernels.gpu) with 128x256 tiles: 0.729, 0.760, 0.718, 0.778.
TENSOR_CORE_EFFICIENCY = 0.746

#: tensor-core input precisions, indexed by the trace's ``path`` column (accelsim.compiler.gpu)
PRECISIONS: tuple[str, ...] = ("fp16", "bf16", "int8", "fp8", "tf32", "int4")
#: host-side frameworks with a kernel recipe in accelsim.compiler.gpu
FRAMEWORKS: tuple[str, ...] = ("vllm", "hf_eager")

# Host-side costs. PyTorch eager: an ATen op called from Python on CUDA tensors costs the Python binding and
# dispatcher (about 5 us per op without autograd: pytorch/pytorch#41383, 1M scalar ops in 5 s) plus
# cudaLaunchKernel (about 3 us: NVIDIA "Getting Started with CUDA Graphs" (A. Gray, 2019) measures 3.8 us per
# back-to-back launch of a 2.9 us kernel); an nn.Module call adds ~5 us (pytorch/pytorch#50431: nn.Linear 9.7 us
# vs F.linear 4.7 us); an op without a kernel (view, chunk, size checks) ~1 us (ibid.: 0.9 us per torch op).
_TORCH_OP_HOST_S = 8e-6
_MODULE_CALL_HOST_S = 5e-6
_PYTHON_OP_HOST_S = 1e-6
# A host sync (a device-to-host copy of a few bytes after the stream drains): NVIDIA's CUDA Graphs blog (above)
# measures 9.6 us per kernel when each launch is followed by cudaStreamSynchronize, vs 3.8 us without.
_SYNC_HOST_S = 5.8e-6
#: FlashAttention-2's forward main-loop efficiency on A100: "up to 73 % of the theoretical maximum FLOPs/s"
#: (T. Dao, FlashAttention-2, arXiv 2307.08691, abstract and Fig. 5/6); a stated constant, not fitted here.
FA2_EFFICIENCY = 0.73
# vLLM's per-step host work, from Vidur's measured CPU overheads of its vLLM-derived engine
# (microsoft/vidur data/profiling/a100/cpu_overheads.csv, LLaMA-2-7B TP1, medians at batch 8..64, linear fit
# extrapolated to batch B: intercept + slope x B): schedule 0.0641 + 0.0140 B ms, prepare_inputs 0.1768 +
# 0.0154 B ms, process_model_outputs 0.1576 + 0.0624 B ms, sampler 0.8038 + 0.0081 B ms. The sampler figure
# is wall time including the LM head and sampling kernels, which accelsim times itself (0.165 + 0.026 ms on
# A100-80GB), so its host part is 0.613 ms. vLLM 0.1.7's own overheads are not published: assumed equal.
FRAMEWORK_DEFAULTS: dict[str, dict[str, float]] = {
    "vllm": {"step_prepare_s": 0.2409e-3, "step_prepare_per_seq_s": 0.0294e-3,
             "sampler_host_s": 0.613e-3, "sampler_host_per_seq_s": 0.0081e-3,
             "process_outputs_s": 0.1576e-3, "process_outputs_per_seq_s": 0.0624e-3,
             "gpu_memory_utilization": 0.9, "kv_block_tokens": 16},
    # HF generate(): no scheduler or detokeniser in the loop; its per-step tensor ops (argmax, concatenating
    # input ids and the attention mask, stopping criteria with a .max() sync) are in the kernel recipe and
    # cost _TORCH_OP_HOST_S each; the remaining Python of one greedy_search iteration is assumed 0.1 ms.
    "hf_eager": {"step_prepare_s": 0.1e-3, "step_prepare_per_seq_s": 0.0,
                 "sampler_host_s": 0.0, "sampler_host_per_seq_s": 0.0,
                 "process_outputs_s": 0.0, "process_outputs_per_seq_s": 0.0,
                 "gpu_memory_utilization": 1.0, "kv_block_tokens": 16},
}


@dataclass(frozen=True, kw_only=True)
class GpuSmConfig:
    """Streaming multiprocessors: how many, their clock, and the dense tensor-core throughput of the chip.

    ``tensor_tflops`` maps a tensor-core input precision to the chip's dense peak in TFLOP/s (TOP/s for
    integers) at ``boost_clock``; a precision that is absent has no tensor-core path on this GPU.
    """

    count: int = num("streaming multiprocessors", positive=True)
    boost_clock: float = qty("boost clock of the SMs (the clock the peak rates are quoted at)", "frequency")
    tensor_tflops: dict[str, float] = items("dense tensor-core peak per input precision in TFLOP/s (or TOP/s); "
                                            "keys: " + ", ".join(PRECISIONS), positive=True)
    fp32_tflops: float = num("peak FP32 (non-tensor) rate in TFLOP/s, the fallback of precisions without a tensor "
                             "path", positive=True)
    l2_bytes: float = qty("L2 cache capacity", "bytes")
    l2_bytes_per_clk: float = num("L2 read bandwidth of the whole chip in bytes per SM clock (caps what a "
                                  "thread-block tile or a partial grid of SMs can stream)", positive=True)

    def validate(self, src: Source, path: str) -> None:
        for k in self.tensor_tflops:
            if k not in PRECISIONS:
                import difflib

                close = difflib.get_close_matches(k, PRECISIONS, n=1)
                raise src.error(f"{path}.tensor_tflops.{k}", f"unknown tensor-core precision {k!r}",
                                f"did you mean {close[0]!r}?" if close else "use one of " + ", ".join(PRECISIONS))
        if "fp16" not in self.tensor_tflops:
            raise src.error(f"{path}.tensor_tflops", "every supported GPU has an FP16 tensor-core path",
                            "add 'fp16: <dense TFLOP/s>' from the data sheet")

    @property
    def clock_hz(self) -> float:
        return self.boost_clock


@dataclass(frozen=True, kw_only=True)
class GpuMemoryConfig:
    """The GPU's device memory (HBM or GDDR): capacity, peak bandwidth, idle latency."""

    kind: Literal["hbm2", "hbm2e", "hbm3", "hbm3e", "gddr6"] = text("memory technology")
    capacity: float = qty("device memory capacity", "bytes")
    bandwidth: float = qty("peak bandwidth (data sheet)", "bandwidth")
    latency: float = qty("idle load-to-use latency (for reference only: kernels use the fitted per-kernel latency)",
                         "time", positive=False, nonneg=True, default=0.0)
    sustained_fraction: float = num("sustained fraction of peak bandwidth of a streaming kernel (fitted, shared by "
                                    "all GPUs; see accelsim.config.gpu)", positive=True, hi=1.0,
                                    default=SUSTAINED_BANDWIDTH_FRACTION)


@dataclass(frozen=True, kw_only=True)
class GpuPowerConfig:
    """Board power: TDP and idle, and how utilisation maps to power in between.

    Power while a kernel runs = idle + (TDP - idle) x min(1, tensor_share x tensor utilisation +
    memory_share x bandwidth utilisation); time the GPU waits on the host draws idle power.
    """

    tdp_w: float = qty("thermal design power / board power limit", "power")
    idle_w: float = qty("board power with clocks up and no kernel running", "power", positive=False, nonneg=True)
    tensor_share: float = num("dynamic share of (TDP - idle) drawn at full tensor-core rate", default=1.0,
                              nonneg=True, hi=1.0)
    memory_share: float = num("dynamic share of (TDP - idle) drawn streaming at full peak bandwidth", default=0.5,
                              nonneg=True, hi=1.0)


@dataclass(frozen=True, kw_only=True)
class GpuFrameworkConfig:
    """The serving framework: which kernels a step launches (its recipe) and what the host pays for them.

    ``vllm`` (0.1.x, eager PyTorch with vLLM's custom kernels): fused QKV and gate/up GEMMs, RoPE, KV-cache
    write, paged attention, SiLU-and-mul, RMSNorm, residual adds; per-step scheduling, input preparation,
    sampler and output processing on the host. ``hf_eager`` (HuggingFace transformers LLaMA/OPT in PyTorch
    eager): separate projections, norms and RoPE as chains of element-wise ops, the KV cache grown by
    concatenation (read and rewritten every step), attention as batched GEMMs with softmax, a host sync per
    generated token. Unset costs take the framework's defaults (FRAMEWORK_DEFAULTS, sources there).
    """

    name: Literal["vllm", "hf_eager"] = text("framework whose kernel recipe and host costs are used")
    version: str = text("framework version the recipe follows (documentation only)", default="")
    torch_op_host: float = qty("host time to launch one kernel from Python (PyTorch eager op)", "time",
                               default=_TORCH_OP_HOST_S)
    module_call_host: float = qty("host time of one nn.Module call", "time", default=_MODULE_CALL_HOST_S)
    python_op_host: float = qty("host time of an op that launches no kernel (view, chunk, checks)", "time",
                                default=_PYTHON_OP_HOST_S)
    sync_host: float = qty("host time of a device-to-host sync once the stream has drained", "time",
                           default=_SYNC_HOST_S)
    step_prepare: Optional[float] = qty("host time per step before the first kernel (schedule, prepare inputs)",
                                        "time", default=None, positive=False, nonneg=True)
    step_prepare_per_seq: Optional[float] = qty("step_prepare per sequence in the batch", "time", default=None,
                                                positive=False, nonneg=True)
    sampler_host: Optional[float] = qty("host time of the sampler after the forward pass (waits for it)", "time",
                                        default=None, positive=False, nonneg=True)
    sampler_host_per_seq: Optional[float] = qty("sampler_host per sequence", "time", default=None, positive=False,
                                                nonneg=True)
    process_outputs: Optional[float] = qty("host time after sampling (output processing, detokenising)", "time",
                                           default=None, positive=False, nonneg=True)
    process_outputs_per_seq: Optional[float] = qty("process_outputs per sequence", "time", default=None,
                                                   positive=False, nonneg=True)
    gpu_memory_utilization: Optional[float] = num("fraction of device memory the framework may use (vLLM's "
                                                  "gpu_memory_utilization)", default=None, positive=True, hi=1.0)
    kv_block_tokens: Optional[int] = num("tokens per KV-cache page (vLLM block size); attention reads whole pages",
                                         default=None, positive=True)
    decode_attention: Literal["paged_v1", "flash_decoding"] = text(
        "decode attention kernel: vLLM 0.1.x paged attention (one CTA per query head and sequence) or "
        "FlashDecoding-style split-KV (CTAs per 512-token partition, plus a reduction kernel)", default="paged_v1")
    precision_fallback: Literal["warn", "error"] = text(
        "a GEMM precision without a tensor-core path: run it at the FP32 rate with a warning, or fail",
        default="warn")

    def validate(self, src: Source, path: str) -> None:
        for key, value in FRAMEWORK_DEFAULTS[self.name].items():
            if getattr(self, key.removesuffix("_s")) is None:
                object.__setattr__(self, key.removesuffix("_s"), int(value) if key == "kv_block_tokens" else value)


@dataclass(frozen=True)
class GpuMappingView:
    """What the engine and simulate() read from every device's ``mapping`` (a GPU has no mapping section)."""

    weight_memory: str = "hbm"
    barrier_cycles: int = 0
    prefill_logits: str = "last_row"


@dataclass(frozen=True)
class GpuClocksView:
    """The device's main clock (the SM boost clock), for reporting results in cycles."""

    main: float


@dataclass(frozen=True, kw_only=True)
class GpuConfig:
    """A GPU: SMs and tensor cores, L2, device memory, board power, price, and the framework serving a model."""

    version: int = num("schema version of this file (1)", lo=1, hi=1)
    name: str = text("short name of the device configuration")
    kind: Literal["gpu"] = text("device family; selects the compiler lowering (gpu: one kernel per instruction)")
    description: str = text("one line on what this configuration is")
    source: str = text("where the parameters come from")
    sm: GpuSmConfig = sub("streaming multiprocessors and tensor cores")
    memory: GpuMemoryConfig = sub("device memory")
    power: GpuPowerConfig = sub("board power model")
    framework: GpuFrameworkConfig = sub("serving framework (kernel recipe and host costs)")
    deployment: DeploymentConfig = sub("number formats the model runs in", default_factory=DeploymentConfig)
    price_usd: float = num("price of the device (for cost comparisons; 0: unknown)", default=0.0, nonneg=True)
    part: None = field(default=None, init=False, metadata={"help": "no FPGA part (GPU)"})
    weight_memory: MemoryConfig = field(init=False, repr=False, compare=False,
                                        metadata={"help": "the device memory as the engine's memory model sees it"})

    def validate(self, src: Source, path: str) -> None:
        # the engine needs a memory model; GPU kernels time their own DRAM traffic, so it never sees an access
        mem = MemoryConfig(kind="hbm2e" if self.memory.kind.startswith("hbm") else "gddr6", channels=1,
                           channel_capacity=self.memory.capacity, bandwidth=self.memory.bandwidth,
                           efficiency=self.memory.sustained_fraction, latency=self.memory.latency, model="bandwidth")
        object.__setattr__(self, "weight_memory", mem)
        if self.power.idle_w >= self.power.tdp_w:
            raise src.error("power.idle_w", "idle power must be below the TDP", "lower power.idle_w")

    @property
    def clocks(self) -> GpuClocksView:
        return GpuClocksView(self.sm.boost_clock)

    @property
    def clock_hz(self) -> float:
        return self.sm.boost_clock

    @property
    def mapping(self) -> GpuMappingView:
        # transformers' causal-LM forward computes logits for every prompt row; vLLM only for the last ones
        return GpuMappingView(prefill_logits="all_rows" if self.framework.name == "hf_eager" else "last_row")

    @property
    def memories(self) -> dict[str, MemoryConfig]:
        return {"hbm": self.weight_memory}

    @property
    def usable_memory_bytes(self) -> float:
        """Device memory the framework may fill with weights, KV cache and activations."""
        frac = self.framework.gpu_memory_utilization
        return self.memory.capacity * (frac if frac is not None else 1.0)

    def tensor_rate_flops(self, precision: str) -> float | None:
        """Dense tensor-core peak in FLOP/s (OP/s) for an input precision; None when there is no tensor path."""
        t = self.sm.tensor_tflops.get(precision)
        return None if t is None else t * 1e12

