"""Lowering of a workload graph onto a flash device (NPU + NAND flash with in-flash compute).

A step (the prefill, or one decode step) becomes one block on two units: ``flash`` (weight GEMVs, which keep
the flash chip, its channels and the NPU's array busy together; see accelsim.kernels.nand) and ``npu``
(everything else: norms, softmax, activations, residual adds, attention against the KV cache in the NPU's
DRAM, embedding rows read from flash). Each instruction waits for the previous one: a decode step is a chain.

Mapping decisions:

* projections that share an input are fused into one GEMV (Q, K and V; LLaMA's gate and up), so one
  broadcast of the input serves them;
* every GEMV is tiled: with ``tiling.tile`` given, that tile (checked here); otherwise the hardware-aware
  tile of the configuration (one page per die, least channel traffic per tile; Cambricon-LLM Section V-A
  derives 256 x 2048 for S), narrowed for matrices with fewer inputs (``FlashConfig.auto_tile``);
* the tiles are split between read-compute in flash and ordinary reads to the NPU (``tiling.split``;
  balanced: :func:`accelsim.kernels.nand.balanced_split`); a GEMM with many rows (prefill) may leave every
  tile to the NPU since a die's core would need M passes over its page. The split simulates candidate
  GEMVs, so it is chosen in the engine's flash model (compilers do not call kernels), once per GEMV shape;
* the KV cache lives in the NPU's DRAM; weights (and embedding tables) in flash, never written.

Trace columns (opcode KERNEL; a flash device has no addresses):

=============  ===========================================================================================
column         meaning
=============  ===========================================================================================
func           F_GEMV, F_VECTOR, F_ATTN, F_EMBED, F_ARRAY (accelsim.kernels.nand)
rows           GEMV: outputs N; vector: rows; embedding: table rows read; array GEMM: M
cols           GEMV: inputs K; vector: elements per row; embedding: bytes per row; array GEMM: N
red            GEMV: activation rows M; array GEMM: K
passes         GEMV: split (SPLIT_CODES); vector: passes over the data; array GEMM: independent GEMMs
chan_lo        GEMV: tile height H (outputs; 0: hardware-aware choice)
chan_n         GEMV: tile width W (inputs; 0: hardware-aware choice)
path           GEMV: weight bits
bytes          attention / array GEMM: bytes to or from the NPU's DRAM
macs           useful MACs
=============  ===========================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.flash import SPLIT_CODES, FlashConfig
from ..config.formats import format_info
from ..errors import CapacityError, MappingError
from ..workload.graph import Graph, Op
from .isa import KERNEL, TRACE_DTYPE, Block, Program, kv_bytes_per_token

__all__ = ["UNITS", "FlashCompiler", "SPLIT_CODES"]

UNITS: tuple[str, ...] = ("flash", "npu")
_FLASH, _NPU = 0, 1
# must equal accelsim.kernels.nand (the compiler may not import kernels' jitted code paths by name)
F_GEMV, F_VECTOR, F_ATTN, F_EMBED, F_ARRAY = 0, 1, 2, 3, 4
#: passes of the vector unit over its data: LayerNorm (mean, variance, normalise and scale), RMSNorm (mean
#: square, scale), softmax (max, exponent and sum, normalise); one for element-wise work
_NORM_PASSES = {"layernorm": 3, "rmsnorm": 2}
_SOFTMAX_PASSES = 3


@dataclass(frozen=True)
class _Instr:
    name: str
    unit: int
    func: int
    rows: int = 0
    cols: int = 0
    red: int = 0
    passes: int = 1
    nbytes: int = 0
    tile_h: int = 0
    tile_w: int = 0
    path: int = 0
    macs: int = 0


class _StepBlock(Block):
    @property
    def name(self) -> str:
        return self.op_names[0].split(".")[0] + " step" if self.op_names else "step"


class FlashCompiler:
    """Compiles graphs into one-block-per-step :class:`Program` s for a flash hwconfig."""

    units = UNITS

    def __init__(self, hw: FlashConfig) -> None:
        self.hw = hw

    # ------------------------------------------------------------------------------------------ public
    def bucket(self, phase: str, length: int) -> int:
        """Every length is its own program (attention against the exact KV length)."""
        return length

    def memory_plan(self, graph: Graph, batch: int, max_tokens: int) -> dict[str, float]:
        """Bytes of weights (flash), of the KV cache for ``batch`` x ``max_tokens`` (NPU DRAM), and capacities."""
        per_token = kv_bytes_per_token(graph) * graph.sections[1].repeat
        return {"weights_bytes": float(graph.parameter_bytes), "flash_capacity_bytes": self.hw.flash.capacity,
                "kv_cache_bytes": float(per_token * max_tokens * batch),
                "dram_capacity_bytes": self.hw.npu.dram_capacity}

    def check_capacity(self, graph: Graph, batch: int, max_tokens: int) -> None:
        """Fail clearly when the weights exceed the flash or the KV cache the NPU's DRAM."""
        plan = self.memory_plan(graph, batch, max_tokens)
        g = 2.0**30
        f = self.hw.flash

        def size(b: float) -> str:
            return f"{b / g:.2f} GiB" if b >= 2**28 else f"{b / 2**20:.1f} MiB"

        if plan["weights_bytes"] > plan["flash_capacity_bytes"]:
            raise CapacityError(
                f"{graph.model} has {plan['weights_bytes'] / g:.2f} GiB of weights but {self.hw.name}'s flash holds "
                f"{plan['flash_capacity_bytes'] / g:.2f} GiB ({f.dies} dies x {f.die_capacity / g:.2f} GiB)",
                key_path="flash.die_capacity",
                hint="use more channels or chips (flash.channels, flash.chips_per_channel), larger dies, "
                     "narrower weights (deployment.formats.weights: int4) or a smaller model")
        if plan["kv_cache_bytes"] > plan["dram_capacity_bytes"]:
            raise CapacityError(
                f"the KV cache of {batch} x {max_tokens} tokens of {graph.model} needs "
                f"{size(plan['kv_cache_bytes'])} but {self.hw.name}'s NPU DRAM holds "
                f"{size(plan['dram_capacity_bytes'])}",
                key_path="npu.dram_capacity", hint="use fewer tokens or a smaller batch, or a larger DRAM")

    def compile(self, graph: Graph, kv_tokens: int | None = None) -> Program:
        """Lower ``graph`` into a program of one block (the whole step); ``kv_tokens`` is unused (no addresses)."""
        instrs = self._lower(graph)
        rows, names = [], {}
        for k, ins in enumerate(instrs):
            oi = names.setdefault(ins.name, len(names))
            rows.append((KERNEL, ins.unit, ins.rows, ins.cols, ins.red, 1_000_000, ins.passes, ins.func, ins.nbytes,
                         ins.tile_h, ins.tile_w, 1, ins.path, 0, 0, ins.macs, k - 1, -1, -1, oi))
        trace = np.array(rows, dtype=TRACE_DTYPE)
        ordered = tuple(sorted(names, key=names.get))
        kinds = tuple(next(("gemv" if i.func == F_GEMV else "npu") for i in instrs if i.name == n) for n in ordered)
        b = Block.make(trace, (f"{graph.phase}.{ordered[0]}",) + ordered[1:], kinds)
        blk = _StepBlock(b.trace, b.op_names, b.op_kinds, b.key)
        meta = {"phase": graph.phase, "batch": graph.batch, "q_len": graph.q_len, "kv_len": graph.kv_len,
                "instructions": len(instrs)}
        return Program(UNITS, (blk,), np.array([[0, 0]], dtype=np.int64), (0, 0, 0, 0), (0, 0, 0, 0), meta)

    # ------------------------------------------------------------------------------------------ GEMV plan
    def _weight_bits(self, op: Op) -> int:
        w = op.params[0].fmt if op.params else op.inputs[0].fmt
        info = format_info(w)
        if info.floating or info.element_bits not in (4, 8) or info.block_size:
            raise MappingError(
                f"{op.name}'s weights are {w}, but the flash compute cores and the NPU multiply INT8 (or INT4) "
                "weights", key_path="deployment.formats.weights",
                hint="deploy with weights: int8 (Cambricon-LLM runs W8A8) or int4")
        return int(info.element_bits)

    def _gemv(self, name: str, ops: list[Op]) -> _Instr:
        head = ops[0]
        # MoE: ``groups`` active experts, each its own matrix (their tiles add up as a taller matrix's would)
        n = sum(o.attr("n") * o.attr("groups", 1) for o in ops)
        k, m = head.attr("k"), head.attr("rows")
        bits = self._weight_bits(head)
        th, tw = self._tile(bits)
        # the tile (0: the hardware-aware choice) and the split are resolved by the engine's flash model,
        # which simulates the candidates (accelsim.engine.registry.FlashComputeModel)
        return _Instr(name, _FLASH, F_GEMV, rows=n, cols=k, red=m, passes=SPLIT_CODES[self.hw.tiling.split],
                      tile_h=th, tile_w=tw, path=bits, macs=sum(o.macs for o in ops))

    def _tile(self, w_bits: int) -> tuple[int, int]:
        """The configured tile, checked (one page per die, its input slice in a core's buffer); (0, 0) for auto."""
        t, f = self.hw.tiling, self.hw.flash
        if t.tile is None:
            return 0, 0
        th, tw = int(t.tile[0]), int(t.tile[1])
        elems = int(f.page * 8 // w_bits)
        if th % f.dies_per_channel or tw % f.channels or (th // f.dies_per_channel) * (tw // f.channels) != elems:
            valid = ", ".join(f"[{h}, {w}]" for h, w in self.hw.tile_candidates(w_bits)[:6])
            raise MappingError(
                f"tile [{th}, {tw}] does not put one page on each die: (H / {f.dies_per_channel} dies) x "
                f"(W / {f.channels} channels) must be {elems} weights of {w_bits} bits",
                key_path="tiling.tile", hint=f"use a tile such as {valid}, or omit tiling.tile")
        if tw // f.channels > f.compute_core.buffer:
            raise MappingError(f"tile [{th}, {tw}]'s input slice of {tw // f.channels} bytes exceeds the "
                               f"{f.compute_core.buffer:g}-byte input buffer of a die's core",
                               key_path="tiling.tile", hint="use a narrower tile (smaller W)")
        return th, tw

    def _decode_attention(self, op: Op, kv_bytes: int) -> _Instr:
        """Decode attention against the KV cache in the NPU's DRAM."""
        return _Instr(op.name, _NPU, F_ATTN, nbytes=kv_bytes, macs=op.macs)

    # ------------------------------------------------------------------------------------------ lowering
    def _lower(self, graph: Graph) -> list[_Instr]:
        out: list[_Instr] = []
        pro, layer, epi = graph.sections
        out += self._ops(list(pro.ops), graph)
        layer_ins = self._ops(list(layer.ops), graph)
        for _ in range(layer.repeat):
            out += layer_ins
        out += self._ops(list(epi.ops), graph)
        return out

    def _ops(self, ops: list[Op], graph: Graph) -> list[_Instr]:
        res: list[_Instr] = []
        by = {op.name: op for op in ops}
        done: set[str] = set()
        for op in ops:
            if op.name in done:
                continue
            kind = op.kind
            if kind in ("embedding", "pos_embedding"):
                rows = op.attr("rows")
                row_bytes = op.outputs[0].bytes // max(1, rows)
                res.append(_Instr(op.name, _NPU, F_EMBED, rows=rows, cols=row_bytes))
            elif kind == "linear":
                group = [op]
                if op.name == "q_proj":
                    group = [by[n] for n in ("q_proj", "k_proj", "v_proj") if n in by]
                elif op.name in ("gate", "up") and "gate" in by and "up" in by:
                    group = [by["gate"], by["up"]]
                name = "qkv_proj" if len(group) == 3 else ("gate_up" if len(group) == 2 else op.name)
                done.update(o.name for o in group)
                res.append(self._gemv(name, group))
            elif kind == "norm":
                res.append(_Instr(op.name, _NPU, F_VECTOR, rows=op.attr("rows"), cols=op.attr("cols"),
                                  passes=_NORM_PASSES.get(op.attr("norm"), 3)))
            elif kind == "softmax":
                res.append(_Instr(op.name, _NPU, F_VECTOR, rows=op.attr("rows"), cols=op.attr("cols"),
                                  passes=_SOFTMAX_PASSES))
            elif kind in ("activation", "eltwise_add", "eltwise_mul", "rope", "moe_topk", "moe_combine"):
                res.append(_Instr(op.name, _NPU, F_VECTOR, rows=1, cols=op.outputs[0].elements, passes=1))
            elif kind == "kv_append":
                written = sum(t.bytes for t in op.outputs)
                res.append(_Instr(op.name, _NPU, F_ATTN, nbytes=written))
            elif kind in ("attention_qk", "attention_pv"):
                kv = sum(t.bytes for t in op.inputs if t.role == "kv_cache")
                if graph.phase == "prefill":
                    b, h = op.attr("batch"), op.attr("heads")
                    q, kvl, d = op.attr("q_len"), op.attr("kv_len"), op.attr("head_dim")
                    mm, nn, kk = (q, kvl, d) if kind == "attention_qk" else (q, d, kvl)
                    res.append(_Instr(op.name, _NPU, F_ARRAY, rows=mm, cols=nn, red=kk, passes=b * h, nbytes=kv,
                                      macs=op.macs))
                else:
                    res.append(self._decode_attention(op, kv))
            else:
                raise MappingError(f"the {self.hw.kind} device has no lowering for {kind!r} ({op.name})",
                                   key_path="kind", hint="run this model on an FPGA or GPU hwconfig")
        return res
