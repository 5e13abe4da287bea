"""Lowering of a workload graph onto a GPU: one instruction per kernel the serving framework launches.

A step (the prefill, or one decode step) becomes one block on two units: ``host`` (the Python/C++ process
that schedules the step and launches kernels) and ``gpu`` (the device's stream, which runs kernels one after
another). Every kernel is a pair: a HOST launch instruction and the GPU KERNEL instruction that waits for it.
The host runs ahead of the GPU (kernel launches are asynchronous) until it must wait for a result (a sync),
so the GPU idles exactly when the host cannot launch fast enough — a launch-bound framework (PyTorch eager at
batch 1) shows up as GPU idle time, a vLLM decode step as host work before and after the forward pass.

Which kernels a step launches is the framework's recipe:

* ``vllm`` (0.1.x, LLaMA-style decoder layer): RMSNorm; fused QKV GEMM; RoPE; KV-cache write
  (reshape_and_cache) into 16-token pages; attention (prefill: FlashAttention-2-style fused kernel and an
  output copy; decode: paged attention, one CTA per query head and sequence); O GEMM; residual add; RMSNorm;
  fused gate/up GEMM; SiLU-and-mul; down GEMM; residual add. Then the final norm, the last rows' selection,
  the LM head, the sampler (host work, a sync, ~6 small kernels, a sync) and output processing. The per-step
  host work is vLLM's scheduler/input preparation/sampler/output processing (accelsim.config.gpu).
* ``hf_eager`` (transformers' LLaMA/OPT in PyTorch eager): norms as Python chains of element-wise ops
  (8 kernels per RMSNorm), separate Q/K/V GEMMs, RoPE as ~14 element-wise kernels, the KV cache grown by
  ``torch.cat`` (the whole cache read and rewritten every step), attention as batched GEMMs with a scale,
  a mask add and an FP32 softmax, logits for every prompt row in prefill, and generate()'s per-token ops
  ending in a host sync.

Trace columns of the GPU opcodes (a GPU kernel has no addresses or channels):

=============  =====================================================================================
column         KERNEL (GPU)                                          HOST
=============  =====================================================================================
func           K_GEMM, K_MEMORY, K_ATTN_PREFILL, K_ATTN_DECODE       H_LAUNCH, H_FIXED, H_SYNC
rows           GEMM M; attention: sequences x query heads            launch: torch ops; fixed: batch
cols           GEMM N; attention: KV length (decode: whole pages)    launch: nn.Module calls
red            GEMM K; attention: head dim                           launch: kernel-less Python ops
passes         GEMM: independent GEMMs per launch; memory: kernels   fixed: which cost (prepare/sampler/
               it stands for; prefill attention: query length        process outputs)
bytes          DRAM bytes read                                       -
addr           DRAM bytes written                                    -
chan_n         decode attention: CTAs in the grid                    -
path           tensor-core precision (accelsim.config.gpu.PRECISIONS; 6: FP32 CUDA cores)
macs           useful MACs (for utilisation and energy)
=============  =====================================================================================
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..config.formats import format_info
from ..config.gpu import PRECISIONS, GpuConfig
from ..errors import CapacityError, MappingError
from ..workload.graph import Graph, Op
from .isa import HOST, KERNEL, TRACE_DTYPE, Block, Program
from .isa import ceil_div as _ceil
from .isa import kv_bytes_per_token

__all__ = ["UNITS", "GpuCompiler", "GpuStepBlock", "K_GEMM", "K_MEMORY", "K_ATTN_PREFILL", "K_ATTN_DECODE",
           "H_LAUNCH", "H_FIXED", "H_SYNC", "FP32_PATH", "VLLM_PROFILE_TOKENS", "DECODE_PARTITION_TOKENS",
           "PrecisionFallbackWarning"]

#: the units of a GPU device: the host process and the device's stream
UNITS: tuple[str, ...] = ("host", "gpu")
_HOST, _GPU = 0, 1
# must equal accelsim.kernels.gpu (the compiler may not import kernels)
K_GEMM, K_MEMORY, K_ATTN_PREFILL, K_ATTN_DECODE = 0, 1, 2, 3
H_LAUNCH, H_FIXED, H_SYNC = 0, 1, 2
_PREPARE, _SAMPLER, _PROCESS = 0, 1, 2
#: the ``path`` of a GEMM without a tensor-core path: FP32 on the CUDA cores
FP32_PATH = len(PRECISIONS)
#: tokens of vLLM 0.1.x's memory-profiling forward pass (its default max_num_batched_tokens = 2560), whose
#: peak activation memory is reserved before the KV cache is sized
VLLM_PROFILE_TOKENS = 2560
#: kernels of vLLM's greedy sampler after the LM head (softmax in FP32, log, argmax, top-k of the logprobs,
#: gathers; vLLM 0.1.x sampler.py) and bytes each touches per vocabulary entry (FP32 in and out)
_SAMPLER_KERNELS, _SAMPLER_BYTES_PER_VOCAB = 6, 8
#: FlashDecoding-style split-KV decode attention: KV partitions of this many tokens, one CTA each (vLLM's paged
#: attention v2, csrc/attention/attention_kernels.cu PARTITION_SIZE = 512); vLLM 0.1.x has only v1 (no split)
DECODE_PARTITION_TOKENS = 512


class PrecisionFallbackWarning(UserWarning):
    """A GEMM runs without a tensor-core path for its precision (slower than the deployment intends)."""


class GpuStepBlock(Block):
    """The block of one whole step (all layers, host and GPU); named after the step, not its kernel list."""

    @property
    def name(self) -> str:
        return self.op_names[0].split(".")[0] + " step" if self.op_names else "step"


@dataclass(frozen=True)
class _Kernel:
    """One kernel and the host work that launches it."""

    name: str
    func: int
    rows: int = 0
    cols: int = 0
    red: int = 0
    passes: int = 1
    read: int = 0
    written: int = 0
    grid: int = 0
    path: int = 0
    macs: int = 0
    torch_ops: int = 1
    modules: int = 0
    python_ops: int = 0


class GpuCompiler:
    """Compiles graphs into one-block-per-step :class:`Program` s for a GPU hwconfig and its framework."""

    units = UNITS

    def __init__(self, hw: GpuConfig) -> None:
        self.hw = hw
        self.fw = hw.framework
        self.page = int(self.fw.kv_block_tokens or 16)
        self._warned: set[str] = set()

    # ------------------------------------------------------------------------------------------ public
    def bucket(self, phase: str, length: int) -> int:
        """Prefill: the prompt (vLLM pads it to a multiple of 8 tokens); decode: whole KV pages."""
        if phase == "prefill":
            return _ceil(length, 8) * 8 if self.fw.name == "vllm" else length
        return _ceil(length, self.page) * self.page

    def activation_peak_bytes(self, graph: Graph) -> int:
        """Activation memory the framework reserves: the largest live activation set of any op (inputs +
        outputs). vLLM sizes it by a profiling forward pass of VLLM_PROFILE_TOKENS tokens, so a smaller
        graph's peak is scaled up to that many tokens (activations grow linearly with tokens)."""
        peak = 0
        for sec in graph.sections:
            for op in sec.ops:
                live = sum(t.bytes for t in op.inputs + op.outputs if t.role in ("activation",))
                peak = max(peak, live)
        tokens = graph.batch * graph.q_len
        if self.fw.name == "vllm" and tokens < VLLM_PROFILE_TOKENS:
            peak = int(peak * VLLM_PROFILE_TOKENS / tokens)
        return peak

    def memory_plan(self, graph: Graph, batch: int, max_tokens: int) -> dict[str, float]:
        """Bytes of weights, paged KV cache for ``batch`` x ``max_tokens``, activation workspace, and usable."""
        layers = graph.sections[1].repeat
        per_token = kv_bytes_per_token(graph) * layers
        kv = _ceil(max_tokens, self.page) * self.page * per_token * batch
        act = self.activation_peak_bytes(graph)
        usable = self.hw.usable_memory_bytes
        weights = graph.parameter_bytes
        block = per_token * self.page
        return {"weights_bytes": float(weights), "kv_cache_bytes": float(kv), "activation_bytes": float(act),
                "usable_bytes": usable, "kv_block_bytes": float(block),
                "kv_blocks_available": float(max(0, int((usable - weights - act) // block)))}

    def check_capacity(self, graph: Graph, batch: int, max_tokens: int) -> None:
        """Fail clearly when weights + the paged KV cache + activations exceed the usable device memory."""
        plan = self.memory_plan(graph, batch, max_tokens)
        need = plan["weights_bytes"] + plan["kv_cache_bytes"] + plan["activation_bytes"]
        if need > plan["usable_bytes"]:
            g = 2.0**30
            frac = self.hw.framework.gpu_memory_utilization or 1.0
            raise CapacityError(
                f"{graph.model} needs {need / g:.2f} GiB ({plan['weights_bytes'] / g:.2f} GiB weights + "
                f"{plan['kv_cache_bytes'] / g:.2f} GiB KV cache for {batch} x {max_tokens} tokens in "
                f"{self.page}-token pages + {plan['activation_bytes'] / g:.2f} GiB activations) but "
                f"{self.hw.name} lets {self.fw.name} use {plan['usable_bytes'] / g:.2f} GiB "
                f"({self.hw.memory.capacity / g:.2f} GiB x {frac:g})",
                key_path="memory.capacity",
                hint="use lower-precision weights (deployment.formats.weights), fewer tokens or a smaller batch, "
                     "a smaller model, or a GPU with more memory")

    def compile(self, graph: Graph, kv_tokens: int | None = None) -> Program:
        """Lower ``graph`` (lengths already bucketed) into a program of one block: the whole step.
        (``kv_tokens`` is accepted for the compilers' common interface: the GPU model has no addresses.)"""
        kernels = self._recipe(graph)
        trace, names, kinds = self._emit(kernels, graph)
        label = f"{graph.phase}"
        blk = _make_block(trace, (f"{label}.{names[0]}",) + names[1:], kinds)
        meta = {"phase": graph.phase, "batch": graph.batch, "q_len": graph.q_len, "kv_len": graph.kv_len,
                "kernels": len(kernels)}
        return Program(UNITS, (blk,), np.array([[0, 0]], dtype=np.int64), (0, 0, 0, 0), (0, 0, 0, 0), meta)

    # ------------------------------------------------------------------------------------------ precision
    def _gemm_path(self, op: Op) -> int:
        """Tensor-core precision of a linear layer's GEMM (activations x weights), with the configured fallback."""
        act = op.inputs[0].fmt
        w = op.params[0].fmt if op.params else act
        ai, wi = format_info(act), format_info(w)
        if act in ("fp16", "bf16"):
            want = act  # weight-only quantised weights are dequantised into the activation precision
        elif not ai.floating and not wi.floating and ai.element_bits <= 8 and wi.element_bits <= 8:
            want = "int4" if ai.element_bits <= 4 and wi.element_bits <= 4 else "int8"
        elif ai.floating and ai.element_bits <= 8:
            want = "fp8"
        elif act == "fp32":
            want = "tf32"
        else:
            want = "fp16"
        if self.hw.tensor_rate_flops(want) is not None:
            return PRECISIONS.index(want)
        # no tensor-core path: narrow formats are widened to FP16 (which every GPU here has); BF16, TF32/FP32
        # cannot be represented in FP16 and run on the CUDA cores at the FP32 rate
        fallback = "fp16" if want in ("int8", "int4", "fp8") else None
        what = f"{fallback.upper()} tensor cores" if fallback else "the FP32 CUDA cores"
        message = (f"{self.hw.name} has no {want.upper()} tensor-core path; {op.name} ({act} x {w}) runs on {what}")
        if self.fw.precision_fallback == "error":
            raise MappingError(message, key_path="deployment.formats.activations",
                               hint=f"deploy with a precision in sm.tensor_tflops ({', '.join(self.hw.sm.tensor_tflops)}) "
                                    "or set framework.precision_fallback: warn")
        if want not in self._warned:
            self._warned.add(want)
            warnings.warn(message + " (framework.precision_fallback: warn)", PrecisionFallbackWarning, stacklevel=2)
        return PRECISIONS.index(fallback) if fallback else FP32_PATH

    # ------------------------------------------------------------------------------------------ recipes
    def _recipe(self, graph: Graph) -> list[_Kernel]:
        hf = self.fw.name == "hf_eager"
        ks: list[_Kernel] = []
        pro, layer, epi = graph.sections
        ks += self._prologue(pro.ops, graph, hf)
        layer_ks = self._layer(layer.ops, graph, hf)
        for _ in range(layer.repeat):
            ks += layer_ks
        ks += self._epilogue(epi.ops, graph, hf)
        return ks

    @staticmethod
    def _act_bytes(op: Op) -> tuple[int, int]:
        return (sum(t.bytes for t in op.inputs if t.role in ("activation", "kv_cache")),
                sum(t.bytes for t in op.outputs))

    def _gemm(self, op: Op, name: str | None = None, modules: int = 1, python_ops: int = 0) -> _Kernel:
        rows, k, n, groups = op.attr("rows"), op.attr("k"), op.attr("n"), op.attr("groups", 1)
        r_in, w_out = self._act_bytes(op)
        params = sum(t.bytes for t in op.params)
        return _Kernel(name or op.name, K_GEMM, rows, n, k, groups, r_in + params, w_out, path=self._gemm_path(op),
                       macs=op.macs, modules=modules, python_ops=python_ops)

    def _fused_gemm(self, ops: list[Op], name: str, python_ops: int = 0) -> _Kernel:
        """Projections sharing an input, fused along N into one GEMM (vLLM's QKV and gate/up)."""
        head = ops[0]
        n = sum(o.attr("n") for o in ops)
        params = sum(t.bytes for o in ops for t in o.params)
        r_in = sum(t.bytes for t in head.inputs)
        w_out = sum(t.bytes for o in ops for t in o.outputs)
        return _Kernel(name, K_GEMM, head.attr("rows"), n, head.attr("k"), head.attr("groups", 1), r_in + params,
                       w_out, path=self._gemm_path(head), macs=sum(o.macs for o in ops), modules=1,
                       python_ops=python_ops)

    @staticmethod
    def _eltwise(name: str, read: int, written: int, kernels: int = 1, modules: int = 0, python_ops: int = 0) -> _Kernel:
        return _Kernel(name, K_MEMORY, passes=kernels, read=read, written=written, torch_ops=kernels,
                       modules=modules, python_ops=python_ops)

    def _norm(self, op: Op, hf: bool) -> _Kernel:
        rows, cols = op.attr("rows"), op.attr("cols")
        a = op.inputs[0].bits / 8
        params = sum(t.bytes for t in op.params)
        if hf and op.attr("norm") == "rmsnorm":
            # transformers' LlamaRMSNorm: to(fp32), pow, mean, add eps, rsqrt, mul, to(fp16), mul weight
            x, x32 = rows * cols * a, rows * cols * 4
            read = int(2 * x + 4 * x32 + params)
            written = int(3 * x32 + 2 * x)
            return self._eltwise(op.name, read, written, kernels=8, modules=1, python_ops=2)
        return self._eltwise(op.name, int(rows * cols * a + params), int(rows * cols * a), modules=1)

    def _prologue(self, ops: tuple[Op, ...], graph: Graph, hf: bool) -> list[_Kernel]:
        ks: list[_Kernel] = []
        for op in ops:
            if op.kind == "embedding":
                rows, cols = op.attr("rows"), op.attr("cols")
                out = op.outputs[0].bytes
                # the model's forward and embedding module calls, input ids and positions on the device
                ks.append(_Kernel("embedding", K_MEMORY, read=op.params[0].bytes + rows * 8, written=out,
                                  modules=3, python_ops=4))
            else:  # learned positions: gather and add
                ks.append(self._eltwise(op.name, op.params[0].bytes + 2 * op.outputs[0].bytes, op.outputs[0].bytes,
                                        kernels=2, modules=1))
        if hf:
            # generate(): position ids from the attention mask (cumsum, masked_fill) and the expanded additive
            # mask (expand, to dtype, 1 - mask, masked_fill): small tensors of batch x kv_len
            small = graph.batch * graph.kv_len * 8
            ks.append(self._eltwise("hf_mask_and_positions", 4 * small, 4 * small, kernels=7, python_ops=12))
        return ks

    def _layer(self, ops: tuple[Op, ...], graph: Graph, hf: bool) -> list[_Kernel]:
        by = {op.name: op for op in ops}
        ks: list[_Kernel] = []
        for op in ops:
            kind = op.kind
            if kind == "norm":
                k = self._norm(op, hf)
                if op.name == "attn_norm":  # the decoder layer's and its attention block's module calls
                    k = _Kernel(**{**k.__dict__, "modules": k.modules + 2})
                elif op.name == "ffn_norm":
                    k = _Kernel(**{**k.__dict__, "modules": k.modules + 1})
                ks.append(k)
            elif kind == "linear":
                ks += self._linear(op, by, hf)
            elif kind == "rope":
                if op.name == "k_rope" and not hf:
                    continue  # vLLM rotates Q and K in one kernel (issued with q_rope)
                ks += self._rope(op, by, graph, hf)
            elif kind == "kv_append":
                ks += self._kv_write(op, graph, hf)
            elif kind == "attention_qk":
                ks += self._attention(op, by, graph, hf)
            elif kind in ("softmax", "attention_pv"):
                continue  # part of the attention kernels
            elif kind == "activation":
                if not hf and op.name == "ffn_act" and "gate" in by:
                    continue  # vLLM: SiLU-and-mul is one kernel (issued with gate_mul)
                r, w = self._act_bytes(op)
                ks.append(self._eltwise(op.name, r, w, modules=1))
            elif kind == "eltwise_mul":
                r, w = self._act_bytes(op)
                if not hf:
                    r = by["up"].outputs[0].bytes * 2  # SiLU-and-mul reads the fused gate/up output
                ks.append(self._eltwise("silu_and_mul" if not hf else op.name, r, w, modules=0 if hf else 1,
                                        python_ops=0 if hf else 1))
            elif kind == "eltwise_add":
                r, w = self._act_bytes(op)
                ks.append(self._eltwise(op.name, r, w))
            elif kind == "moe_topk":
                r, w = self._act_bytes(op)
                ks.append(self._eltwise(op.name, r, w, kernels=4, python_ops=2))
            elif kind == "moe_combine":
                r, w = self._act_bytes(op)
                ks.append(self._eltwise(op.name, r, w, kernels=2))
            else:
                raise MappingError(f"op kind {kind!r} ({op.name}) has no lowering on a GPU target",
                                   hint="remove the op from the workload or add a lowering in accelsim/compiler/gpu.py")
        return ks

    def _linear(self, op: Op, by: dict[str, Op], hf: bool) -> list[_Kernel]:
        name = op.name
        if hf:
            return [self._gemm(op, python_ops=2 if name in ("q_proj", "k_proj", "v_proj") else 0)]
        if name == "q_proj":
            return [self._fused_gemm([op, by["k_proj"], by["v_proj"]], "qkv_proj", python_ops=1)]
        if name in ("k_proj", "v_proj"):
            return []
        if name == "gate":
            return [self._fused_gemm([op, by["up"]], "gate_up_proj")]
        if name == "up" and "gate" in by:
            return []
        return [self._gemm(op)]

    def _rope(self, op: Op, by: dict[str, Op], graph: Graph, hf: bool) -> list[_Kernel]:
        rows, cols = op.attr("rows"), op.attr("cols")
        a = op.inputs[0].bits / 8
        head_dim = by["attn_qk"].attr("head_dim")
        if not hf:  # one in-place kernel on Q and K, reading the cos/sin cache rows of the positions
            k_cols = by["k_rope"].attr("cols") if "k_rope" in by else 0
            x = int(rows * (cols + k_cols) * a)
            return [_Kernel("rope", K_MEMORY, read=x + rows * head_dim * 4 + rows * 8, written=x)]
        x = int(rows * cols * a)
        ks = []
        if op.name == "q_rope":  # cos_cached[:kv_len].to(fp16) and sin_cached likewise (FP32 caches)
            table = graph.kv_len * head_dim
            ks.append(self._eltwise("rotary_cache", 2 * table * 4, 2 * table * 2, kernels=2, modules=1,
                                    python_ops=2))
        # gather cos and sin of the positions, q*cos, rotate_half (neg, cat), *sin, add
        ks.append(self._eltwise(op.name, 7 * x, 5 * x, kernels=6, python_ops=4))
        return ks

    def _kv_write(self, op: Op, graph: Graph, hf: bool) -> list[_Kernel]:
        new = sum(t.bytes for t in op.outputs)
        if not hf:  # reshape_and_cache: scatter the new keys and values into their pages
            return [_Kernel("kv_write", K_MEMORY, read=new + graph.batch * graph.q_len * 8, written=new,
                            python_ops=3)]
        past = graph.kv_len - graph.q_len
        if past <= 0:
            return []  # prefill: the new keys/values become the cache tuple
        per_token = new // (graph.batch * graph.q_len)
        # torch.cat((past, new), dim=2) for keys and values: the whole cache is read and rewritten
        old = per_token * past * graph.batch
        return [self._eltwise("kv_concat", old + new, old + new, kernels=2, python_ops=2)]

    def _attention(self, op: Op, by: dict[str, Op], graph: Graph, hf: bool) -> list[_Kernel]:
        b, hq, hkv, d, q, kv = (op.attr(x) for x in ("batch", "heads", "kv_heads", "head_dim", "q_len", "kv_len"))
        a = op.outputs[0].bits / 8
        kvb = op.inputs[1].bits / 8
        q_bytes = int(b * q * hq * d * a)
        pairs = op.macs // (b * hq * d) if b * hq * d else 0  # causal (query, key) pairs per head
        macs = 2 * b * hq * d * pairs
        path = self._gemm_path_of_format(op.inputs[0].fmt)
        if hf:
            kv_bytes = int(b * kv * hkv * d * kvb)
            scores = b * hq * q * kv
            ks = []
            if hkv != hq:  # repeat_kv: expand + reshape copies keys and values per query head
                ks.append(self._eltwise("repeat_kv", 2 * kv_bytes, 2 * kv_bytes * (hq // hkv), kernels=2))
                kv_bytes *= hq // hkv
            ks.append(_Kernel("attn_qk", K_GEMM, q, kv, d, b * hq, q_bytes + kv_bytes, int(scores * a), path=path,
                              macs=b * hq * q * kv * d, python_ops=1))
            # scale by 1/sqrt(d), add the mask, softmax in FP32, back to FP16
            ks.append(self._eltwise("attn_softmax", int(scores * (2 * a + 4) + b * q * kv * a),
                                    int(scores * (3 * a + 4)), kernels=4, python_ops=3))
            ks.append(_Kernel("attn_pv", K_GEMM, q, d, kv, b * hq, int(scores * a) + kv_bytes, q_bytes, path=path,
                              macs=b * hq * q * kv * d))
            ks.append(self._eltwise("attn_transpose", q_bytes, q_bytes, python_ops=2))
            return ks
        if graph.phase == "prefill":
            kv_bytes = int(b * q * hkv * d * kvb)  # the prompt's own keys and values
            return [_Kernel("attention", K_ATTN_PREFILL, b * hq, kv, d, q, q_bytes + 2 * kv_bytes, q_bytes, path=path,
                            macs=macs, modules=1, python_ops=8),
                    self._eltwise("attn_out_copy", q_bytes, q_bytes)]
        # decode: paged attention over whole pages of the cached keys and values
        padded = _ceil(kv, self.page) * self.page
        kv_bytes = int(2 * b * padded * hkv * d * kvb)
        split = self.fw.decode_attention == "flash_decoding"
        parts = _ceil(padded, DECODE_PARTITION_TOKENS) if split else 1
        partial = b * hq * parts * (d + 2) * 4  # FP32 partial outputs, maxima and sums of every partition
        ks = [_Kernel("attention", K_ATTN_DECODE, b * hq, padded, d, 1,
                      q_bytes + kv_bytes + b * 8 * (padded // self.page), partial if split else q_bytes,
                      grid=b * hq * parts, path=path, macs=macs, modules=1, python_ops=3)]
        if split:  # combine the partitions' softmax-weighted partial outputs
            ks.append(_Kernel("attention_reduce", K_MEMORY, read=partial, written=q_bytes, torch_ops=0))
        return ks

    def _gemm_path_of_format(self, fmt: str) -> int:
        for p in ("fp16", "bf16"):
            if fmt == p and self.hw.tensor_rate_flops(p) is not None:
                return PRECISIONS.index(p)
        return PRECISIONS.index("fp16")

    def _epilogue(self, ops: tuple[Op, ...], graph: Graph, hf: bool) -> list[_Kernel]:
        ks: list[_Kernel] = []
        for op in ops:
            if op.kind == "norm":
                ks.append(self._norm(op, hf))
            elif op.kind == "linear":
                if not hf and graph.phase == "prefill":
                    ks.append(self._eltwise("select_last_rows", op.inputs[0].bytes, op.inputs[0].bytes, python_ops=3))
                ks.append(self._gemm(op))
                if hf:  # logits.float()
                    out = op.outputs[0].bytes
                    ks.append(self._eltwise("logits_float", out, 2 * out))
        return ks

    # ------------------------------------------------------------------------------------------ emission
    def _emit(self, kernels: list[_Kernel], graph: Graph) -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...]]:
        names: dict[str, int] = {}
        rows: list[tuple[int, ...]] = []
        b = graph.batch
        vocab = next(op for op in graph.sections[2].ops if op.kind == "linear").attr("n")

        def idx(name: str) -> int:
            return names.setdefault(name, len(names))

        def add(opcode: int, unit: int, op_name: str, *, func: int = 0, r: int = 0, c: int = 0, k: int = 0,
                passes: int = 0, read: int = 0, written: int = 0, grid: int = 0, path: int = 0, macs: int = 0,
                dep: int = -1) -> int:
            rows.append((opcode, unit, r, c, k, 1_000_000, passes, func, read, 0, grid, 1, path, 0, written, macs,
                         dep, -1, -1, idx(op_name)))
            return len(rows) - 1

        fw = self.fw
        hf = fw.name == "hf_eager"
        host = add(HOST, _HOST, "host.prepare", func=H_FIXED, r=b, passes=_PREPARE)
        last_gpu = -1
        for kr in kernels:
            host = add(HOST, _HOST, kr.name, func=H_LAUNCH, r=kr.torch_ops, c=kr.modules, k=kr.python_ops, dep=host)
            last_gpu = add(KERNEL, _GPU, kr.name, func=kr.func, r=kr.rows, c=kr.cols, k=kr.red, passes=kr.passes,
                           read=kr.read, written=kr.written, grid=kr.grid, path=kr.path, macs=kr.macs, dep=host)
        # the sampler waits for the logits (a sync), does its host work and launches its kernels, syncs again
        sync = add(HOST, _HOST, "host.sync", func=H_SYNC, dep=last_gpu)
        if hf:
            # generate(): logits processor, argmax, unfinished-sequence arithmetic, cat of input ids and of the
            # attention mask, stopping check with .max() == 0 (a sync)
            launch = add(HOST, _HOST, "hf_generate_ops", func=H_LAUNCH, r=12, k=10, dep=sync)
            gen = add(KERNEL, _GPU, "hf_generate_ops", func=K_MEMORY, passes=12, read=b * vocab * 4 + b * 64,
                      written=b * 64, dep=launch)
            add(HOST, _HOST, "host.sync", func=H_SYNC, dep=gen)
        else:
            sampler = add(HOST, _HOST, "host.sampler", func=H_FIXED, r=b, passes=_SAMPLER, dep=sync)
            smp = add(KERNEL, _GPU, "sampler", func=K_MEMORY, passes=_SAMPLER_KERNELS,
                      read=b * vocab * _SAMPLER_BYTES_PER_VOCAB * _SAMPLER_KERNELS // 2,
                      written=b * vocab * _SAMPLER_BYTES_PER_VOCAB * _SAMPLER_KERNELS // 2, dep=sampler)
            sync2 = add(HOST, _HOST, "host.sync", func=H_SYNC, dep=smp)
            add(HOST, _HOST, "host.process_outputs", func=H_FIXED, r=b, passes=_PROCESS, dep=sync2)
        trace = np.array(rows, dtype=TRACE_DTYPE)
        ordered = tuple(sorted(names, key=names.get))
        kinds = tuple("host" if n.startswith("host.") else "kernel" for n in ordered)
        return trace, ordered, kinds


def _make_block(trace: np.ndarray, op_names: tuple[str, ...], op_kinds: tuple[str, ...]) -> GpuStepBlock:
    b = Block.make(trace, op_names, op_kinds)
    return GpuStepBlock(b.trace, b.op_names, b.op_kinds, b.key)

