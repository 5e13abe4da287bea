"""Lowering of a workload graph onto a FlightLLM-style FPGA (FPGA'24, Zeng et al.).

The device has, per SLR, a matrix engine with a matrix-matrix (MM) and a matrix-vector (MV) mode, a
special-function unit (SFU), and load/store units that move data between HBM and three buffers (A, B,
global). All SLRs execute each instruction in lockstep on equal shares of its work, so the trace is one
instruction stream for the device and buffer capacities are the per-SLR capacities times the SLR count.

What the lowering does, op by op:

* **Fusion.** Element-wise ops that consume a linear layer's output (RoPE, the FFN activation, the gate
  product, residual adds, the MoE combine) run on the SFU as the tile leaves the matrix engine; softmax is
  fused into the Q K^T op. Every (fused) op ends with a barrier, so consecutive ops never overlap.
* **Engine choice.** A linear layer runs in MV mode when that takes fewer padded MAC-cycles than MM mode
  (decode, small batches), else in MM mode (prefill).
* **Tiling to buffers.** MV mode streams weight tiles of ``mv_tile_outputs`` columns into the A buffer; the
  reduction dimension is split until ``min_buffer_depth`` tiles fit, and the number of tiles that fit is
  the pipeline depth (a load waits for the MV that frees its slot). MM mode keeps a 128-row activation tile
  in the A buffer and streams ``K x mm_tile_cols`` weight tiles into the B buffer, re-streaming the weights
  for every 128-row tile. Weights are held on chip at the engine's operand width, non-zeros only.
* **Placement.** Weights, the KV cache and spilled activations are interleaved over every SLR's A-buffer
  channel group (attached path). The B buffer's port is attached to one channel per SLR, so B-buffer
  loads cross the HBM switch (cross path).
* **Always-on-chip decode.** In decode, activations stay in the global buffer between ops when they fit;
  otherwise every op loads its input from and stores its output to HBM.
* **Attention.** Decode attention runs on the MV engine per KV head (keys/values loaded once per KV head
  and reused by the query heads of its group, GQA); prefill attention runs on the MM engine per head and
  128-row query tile over the key blocks its (block-sparse, causal) mask keeps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..config.hardware import AttentionSparsityConfig, HardwareConfig, SparseChainConfig
from ..config.workload import SparsitySpec
from ..errors import CapacityError, MappingError
from ..workload.graph import Graph, Op
from .isa import (LOAD, MM, MV, PATH_ATTACHED, PATH_CROSS, REGIONS, SFU, SFU_FUNCS, STORE, TRACE_DTYPE, Block,
                  Program)
from .isa import ceil_div as _ceil
from .isa import kv_bytes_per_token

__all__ = ["UNITS", "FpgaCompiler", "kept_key_blocks", "mask_kept_fraction"]

#: the units of the FlightLLM-style device, indexed by the trace's ``unit`` column
UNITS: tuple[str, ...] = ("load", "store", "mm", "mv", "sfu")
_UNIT_OF = {LOAD: 0, STORE: 1, MM: 2, MV: 3, SFU: 4}
_R_W, _R_KV, _R_ACT, _R_TAB = (REGIONS.index(r) for r in ("weights", "kv_cache", "activations", "tables"))
_F = {name: i for i, name in enumerate(SFU_FUNCS)}

#: bytes reserved for spilled activations in the memory map (addresses only; timing does not depend on them)
_ACT_SCRATCH_BYTES = 64 * 2**20
#: every weight tensor starts on this boundary (an allocation granularity; it also keeps the sub-byte rounding
#: of a tensor's tiles inside its own slab)
_TENSOR_ALIGN = 64 * 2**10

# element-wise ops that fuse into the producing linear layer, with their SFU function and passes
_EPILOGUE = {"rope": ("rope", 3), "activation": ("activation", 1), "eltwise_mul": ("eltwise", 1),
             "eltwise_add": ("eltwise", 1), "moe_combine": ("eltwise", 0)}


def kept_key_blocks(q_lo: int, q_hi: int, past: int, kv_len: int, mask: AttentionSparsityConfig,
                    block: int) -> list[tuple[int, int]]:
    """Key ranges (start, stop), in ``block``-token steps, that queries ``q_lo..q_hi-1`` attend to.

    Query row r sits at position ``past + r`` and sees keys up to its own position (causal). With the
    ``sink_window`` pattern a query in mask block qb keeps key blocks kb < sink_blocks and
    kb > qb - window_blocks (mask blocks of ``mask.block_tokens`` tokens); ``dense`` keeps every causal block.
    """
    mb = mask.block_tokens
    last_pos = min(past + q_hi - 1, kv_len - 1)
    qb_lo, qb_hi = (past + q_lo) // mb, last_pos // mb
    kept_mb: set[int] = set()
    for qb in range(qb_lo, qb_hi + 1):
        for kb in range(qb + 1):
            if mask.pattern == "dense" or kb < mask.sink_blocks or kb > qb - mask.window_blocks:
                kept_mb.add(kb)
    out: list[tuple[int, int]] = []
    for kb in sorted(kept_mb):
        for start in range(kb * mb, min((kb + 1) * mb, last_pos + 1), block):
            stop = min(start + block, last_pos + 1)
            if out and out[-1][1] == start:
                out[-1] = (out[-1][0], stop)
            else:
                out.append((start, stop))
    return out


def mask_kept_fraction(length: int, mask: AttentionSparsityConfig) -> float:
    """Fraction of the causal mask blocks of a ``length``-token prefill that the pattern keeps."""
    nb = _ceil(length, mask.block_tokens)
    causal = kept = 0
    for qb in range(nb):
        for kb in range(qb + 1):
            causal += 1
            if mask.pattern == "dense" or kb < mask.sink_blocks or kb > qb - mask.window_blocks:
                kept += 1
    return kept / causal


class _Trace:
    """Appends instructions of one block; returns each instruction's index for dependencies."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, ...]] = []
        self.op = 0

    def _add(self, opcode: int, deps: tuple[int, ...], *, rows: int = 0, cols: int = 0, red: int = 0,
             density: float = 1.0, passes: int = 0, func: int = 0, nbytes: int = 0, chans: tuple[int, int, int] = (0, 0, 1),
             path: int = 0, region: int = 0, addr: int = 0, macs: int = 0) -> int:
        d = [x for x in deps if x is not None and x >= 0]
        if len(d) > 3:
            raise AssertionError("an instruction waits for at most three others")
        d += [-1] * (3 - len(d))
        self.rows.append((opcode, _UNIT_OF[opcode], rows, cols, red, int(round(density * 1_000_000)), passes, func,
                          int(nbytes), chans[0], chans[1], chans[2], path, region, int(addr), int(macs),
                          d[0], d[1], d[2], self.op))
        return len(self.rows) - 1

    def load(self, nbytes: int, chans: tuple[int, int, int], path: int, region: int, addr: int = 0,
             deps: tuple[int, ...] = ()) -> int:
        return self._add(LOAD, deps, nbytes=nbytes, chans=chans, path=path, region=region, addr=addr)

    def store(self, nbytes: int, chans: tuple[int, int, int], region: int, addr: int = 0,
              deps: tuple[int, ...] = ()) -> int:
        return self._add(STORE, deps, nbytes=nbytes, chans=chans, path=PATH_ATTACHED, region=region, addr=addr)

    def compute(self, opcode: int, rows: int, cols: int, red: int, density: float, deps: tuple[int, ...] = (),
                work: float | None = None) -> int:
        """A matrix instruction: ``density`` of its MACs are useful (non-zero weights); ``work`` is the fraction
        of the dense cycles the engine spends (``density`` when not given)."""
        macs = int(round(rows * cols * red * density))
        return self._add(opcode, deps, rows=rows, cols=cols, red=red, density=density if work is None else work,
                         macs=macs)

    def sfu(self, func: str, rows: int, cols: int, passes: int, deps: tuple[int, ...] = ()) -> int:
        return self._add(SFU, deps, rows=rows, cols=cols, passes=passes, func=_F[func])

    def array(self) -> np.ndarray:
        return np.array(self.rows, dtype=TRACE_DTYPE)


@dataclass(frozen=True)
class _Dev:
    """Derived device parameters the lowering needs (device-wide: per-SLR values times the SLR count)."""

    n_slr: int
    a_chans: tuple[int, int, int]
    b_chans: tuple[int, int, int]
    cap_a_mv: float
    cap_a_mm: float
    cap_b: float
    cap_g: float
    op_bytes: float
    mm_tile_m: int
    mm_tile_n: int
    mv_tile: int
    rb: int
    min_depth: int
    mm_rate: float  # padded MACs per cycle, MM mode (device)
    mv_rate: float
    mm_cols_per_cycle: int  # output columns the MM/MV modes cover per cycle (dense)
    mv_cols_per_cycle: int
    sparse: SparseChainConfig
    zero_skipping: bool  # the DSP-chain style (other tensor-engine styles are dense)
    on_chip_decode: bool
    prefill_mask: AttentionSparsityConfig
    capacity: float


class FpgaCompiler:
    """Compiles graphs into :class:`Program` s for a FlightLLM-style FPGA described by a hwconfig."""

    units = UNITS

    def __init__(self, hw: HardwareConfig) -> None:
        self.hw = hw
        me, bufs, mp = hw.compute.matrix_engine, hw.buffers, hw.mapping
        n = hw.slrs.count
        group = mp.a_buffer_channels
        mem = hw.weight_memory
        if mp.b_buffer_channels not in (1, group):
            raise MappingError("b_buffer_channels must be 1 or equal to a_buffer_channels",
                               key_path="mapping.b_buffer_channels", hint=f"use 1 or {group}")
        b_chans = (0, n, group) if mp.b_buffer_channels == 1 else (0, n * group, 1)
        self.dev = _Dev(
            n_slr=n, a_chans=(0, n * group, 1), b_chans=b_chans,
            cap_a_mv=bufs.a_buffer.capacity_bytes(mv_mode=True) * n, cap_a_mm=bufs.a_buffer.capacity_bytes() * n,
            cap_b=bufs.b_buffer.capacity_bytes() * n, cap_g=bufs.global_buffer.capacity_bytes() * n,
            # another tensor-engine style gets MM tiles of at least one array-sized fold per SLR (a 128 x 16
            # tile would leave most of a 64 x 64 array, and most SLRs, idle)
            op_bytes=me.operand_bits / 8,
            mm_tile_m=max(me.mm_tile_rows, me.array.rows) if me.style != "dsp_chain" and me.array else me.mm_tile_rows,
            mm_tile_n=(max(me.mm_tile_cols, me.array.cols * n) if me.style != "dsp_chain" and me.array
                       else me.mm_tile_cols),
            mv_tile=me.mv_tile_outputs, rb=me.reduction_block, min_depth=mp.min_buffer_depth,
            mm_rate=me.mm_parallelism.macs_per_cycle * n, mv_rate=me.mv_parallelism.macs_per_cycle * n,
            mm_cols_per_cycle=me.mm_parallelism.n, mv_cols_per_cycle=me.mv_parallelism.n, sparse=me.sparse_chain,
            zero_skipping=me.style == "dsp_chain",
            on_chip_decode=mp.always_on_chip_decode, prefill_mask=hw.deployment.prefill_attention,
            capacity=mem.capacity_bytes,
        )

    # ------------------------------------------------------------------------------------------ public
    def bucket(self, phase: str, length: int) -> int:
        """Length-adaptive compilation: the token count an instruction template is compiled for."""
        b = self.hw.mapping.length_buckets.prefill if phase == "prefill" else self.hw.mapping.length_buckets.decode
        return _ceil(length, b) * b

    @staticmethod
    def _weight_offsets(graph: Graph) -> tuple[dict[str, int], int, int]:
        """The weights' memory map: (offset per parameter, layer slab bytes, bytes of the other parameters).

        A layer's parameters lie one after another, in inventory order, inside the layer's slab (the
        region's per-layer stride; names as the layer's ops know them); the other parameters (embedding,
        final norm, LM head) after the last layer's slab. Each starts on a _TENSOR_ALIGN boundary."""
        def size(t) -> int:  # type: ignore[no-untyped-def]
            return _ceil(t.bytes, _TENSOR_ALIGN) * _TENSOR_ALIGN

        layer_slab = sum(size(t) for t in graph.parameters if t.name.startswith("layers.0."))
        off: dict[str, int] = {}
        in_layer = 0
        rest = layer_slab * graph.sections[1].repeat
        for t in graph.parameters:
            if t.name.startswith("layers.0."):
                off[t.name[len("layers.0."):]] = in_layer
                in_layer += size(t)
            elif not t.name.startswith("layers."):
                off[t.name] = rest
                rest += size(t)
        return off, layer_slab, rest - layer_slab * graph.sections[1].repeat

    def _kv_addr(self, batch: int, kv_heads: int, head_dim: int, elem_bytes: float, kind: int, seq: int, head: int,
                 token: int) -> int:
        """Address in a layer's KV slab of token ``token`` of (kind 0: keys, 1: values, sequence, KV head):
        head-major, each head's tokens contiguous for the run's longest context (decode attention streams one
        head's keys or values)."""
        tok = head_dim * elem_bytes
        return int((((kind * batch + seq) * kv_heads + head) * self._kv_tokens + token) * tok)

    @staticmethod
    def _table_bytes(graph: Graph, tokens: int) -> int:
        """Bytes of the tables region for ``tokens`` positions: the sin/cos rows RoPE's epilogue loads (two
        rows per position, at each rotated projection's width), for the widest rotated projection."""
        widths = [op.outputs[0].shape[-1] * op.outputs[0].bits / 8 for op in graph.sections[1].ops if op.kind == "rope"]
        return int(2 * tokens * max(widths)) if widths else 0

    def _layout(self, graph: Graph, batch: int, kv_tokens: int) -> tuple[dict[str, int], dict[str, int], int, int]:
        """The weight memory's map with the KV cache laid out for ``kv_tokens`` tokens per sequence: (region
        sizes in bytes: weights (each tensor on a _TENSOR_ALIGN boundary), KV cache, activation scratch,
        tables, and their total; the weights' offsets; the per-layer weight and KV slab bytes). Regions lie
        in that order from address 0."""
        offsets, layer_w, other_w = self._weight_offsets(graph)
        layers = graph.sections[1].repeat
        kv_layer = kv_bytes_per_token(graph) * batch * kv_tokens
        plan = {"weights_bytes": layer_w * layers + other_w, "kv_cache_bytes": kv_layer * layers,
                "activation_scratch_bytes": _ACT_SCRATCH_BYTES, "tables_bytes": self._table_bytes(graph, kv_tokens)}
        plan["total_bytes"] = sum(plan.values())
        return plan, offsets, layer_w, kv_layer

    def memory_plan(self, graph: Graph, batch: int, max_tokens: int) -> dict[str, int]:
        """Region sizes (bytes) of the map for a run of ``batch`` sequences of up to ``max_tokens`` tokens: the
        KV cache laid out for the longest context rounded up to the decode bucket, as the run compiles it."""
        return self._layout(graph, batch, self.bucket("decode", max_tokens))[0]

    def check_capacity(self, graph: Graph, batch: int, max_tokens: int) -> None:
        """Fail clearly when the memory map (weights, the full KV cache, scratch, tables) does not fit the
        weight memory."""
        tokens = self.bucket("decode", max_tokens)
        plan = self._layout(graph, batch, tokens)[0]
        if plan["total_bytes"] > self.dev.capacity:
            name, g = self.hw.mapping.weight_memory, 2**30
            raise CapacityError(
                f"{graph.model} needs {plan['total_bytes'] / g:.2f} GiB ({plan['weights_bytes'] / g:.2f} GiB weights "
                f"in {_TENSOR_ALIGN // 1024} KiB-aligned tensors + {plan['kv_cache_bytes'] / g:.2f} GiB KV cache for "
                f"{batch} x {tokens} tokens + {plan['activation_scratch_bytes'] / g:.2f} GiB activation scratch + "
                f"{plan['tables_bytes'] / g:.3f} GiB tables) but memory {name!r} of {self.hw.name} holds "
                f"{self.dev.capacity / g:.2f} GiB",
                key_path=f"memories.{name}.channel_capacity",
                hint="use lower-precision weights (deployment.formats.weights), fewer tokens or a smaller batch, "
                     "a smaller model, or a device with more memory")

    def compile(self, graph: Graph, kv_tokens: int | None = None) -> Program:
        """Lower ``graph`` (lengths already bucketed by the caller) into a program of barrier-ended blocks.

        ``kv_tokens``: the tokens per sequence the KV cache is laid out for (default: the graph's KV length);
        give the run's longest context so that every step of a run sees the same memory map."""
        decode = graph.phase == "decode"
        self._kv_tokens = max(graph.kv_len, kv_tokens or 0)
        self._first_pos = max(0, graph.kv_len - graph.q_len)  # position of the step's first token
        plan, self._w_off, layer_w, kv_layer = self._layout(graph, graph.batch, self._kv_tokens)
        blocks: list[Block] = []
        index: dict[tuple[str, str], int] = {}
        seq: list[tuple[int, int]] = []
        for sec in graph.sections:
            compiled = [self._lower_group(grp, graph, decode) for grp in self._fuse(sec.ops)]
            ids = []
            for blk in compiled:
                if blk is None:
                    continue
                ident = (blk.key, blk.name)  # same content under another name is another block (for reports)
                if ident not in index:
                    index[ident] = len(blocks)
                    blocks.append(blk)
                ids.append(index[ident])
            for rep in range(sec.repeat):
                seq.extend((bid, rep if sec.name == "layer" else 0) for bid in ids)
        # memory map: per-layer slabs of weights and KV cache, then activations, then tables
        kv_base = plan["weights_bytes"]
        act_base = kv_base + plan["kv_cache_bytes"]
        base = (0, kv_base, act_base, act_base + plan["activation_scratch_bytes"])
        return Program(UNITS, tuple(blocks), np.array(seq, dtype=np.int64).reshape(-1, 2), base,
                       (layer_w, kv_layer, 0, 0),
                       {"phase": graph.phase, "batch": graph.batch, "q_len": graph.q_len, "kv_len": graph.kv_len})

    # ------------------------------------------------------------------------------------------ fusion
    @staticmethod
    def _fuse(ops: tuple[Op, ...]) -> list[list[Op]]:
        groups: list[list[Op]] = []
        i = 0
        while i < len(ops):
            grp = [ops[i]]
            j = i + 1
            if ops[i].kind == "linear":
                while j < len(ops) and ops[j].kind in _EPILOGUE:
                    grp.append(ops[j])
                    j += 1
            elif ops[i].kind == "attention_qk" and j < len(ops) and ops[j].kind == "softmax":
                grp.append(ops[j])
                j += 1
            elif ops[i].kind == "embedding" and j < len(ops) and ops[j].kind == "pos_embedding":
                grp.append(ops[j])
                j += 1
            groups.append(grp)
            i = j
        return groups

    def _on_chip(self, graph: Graph, decode: bool) -> bool:
        """Always-on-chip decode applies when a layer's input, output and residual fit the global buffer."""
        if not (decode and self.dev.on_chip_decode):
            return False
        widest = max(t.bytes for op in graph.sections[1].ops for t in op.outputs if t.role == "activation")
        return 3 * widest <= self.dev.cap_g

    # ------------------------------------------------------------------------------------------ lowering
    def _lower_group(self, grp: list[Op], graph: Graph, decode: bool) -> Block | None:
        tr = _Trace()
        on_chip = self._on_chip(graph, decode)
        head = grp[0]
        kind = head.kind
        if kind == "linear":
            self._linear(tr, head, grp[1:], graph, on_chip)
        elif kind in ("attention_qk", "attention_pv"):
            if decode:
                self._attention_mv(tr, head, grp[1:], graph, on_chip)
            else:
                self._attention_mm(tr, head, grp[1:], graph)
        elif kind == "kv_append":
            if on_chip:  # the new keys/values are in the global buffer: write them into the cache
                b, kvh, hd = head.attr("batch"), head.attr("kv_heads"), head.attr("head_dim")
                pos = graph.kv_len - head.attr("q_len")
                for kind, t in enumerate(head.outputs):
                    # every sequence's and head's new entries, placed at the first one's slot (the memory
                    # model stripes an access over its channels, as the heads' pieces spread over them)
                    tr.store(t.bytes, self.dev.a_chans, _R_KV, self._kv_addr(b, kvh, hd, t.bits / 8, kind, 0, 0, pos))
            # otherwise the K/V projections already stored their outputs into the cache region
        elif kind == "embedding":
            self._embedding(tr, grp, on_chip)
        elif kind in ("norm", "softmax", "moe_topk", "eltwise_add", "eltwise_mul", "activation", "rope",
                      "moe_combine"):
            self._sfu_op(tr, head, on_chip)
        else:
            raise MappingError(f"op kind {kind!r} ({head.name}) has no lowering on an FPGA target",
                               hint="remove the op from the workload or add a lowering in accelsim/compiler/fpga.py")
        if not tr.rows:
            return None
        return Block.make(tr.array(), tuple(op.name for op in grp), tuple(op.kind for op in grp))

    def _epilogue(self, tr: _Trace, fused: list[Op], rows: int, cols: int, last: int, on_chip: bool,
                  a_bytes: float) -> int:
        """SFU work of fused element-wise ops on a rows x cols output tile; loads their second operands."""
        for f in fused:
            func, passes = _EPILOGUE[f.kind]
            if f.kind == "moe_combine":
                passes = int(f.attr("top_k", 1))
            extra = -1
            if f.kind == "rope":  # the sin/cos rows of the token positions
                extra = tr.load(_ceil(2 * rows * cols * a_bytes, 1), self.dev.a_chans, PATH_ATTACHED, _R_TAB)
            elif f.kind in ("eltwise_add", "eltwise_mul") and not on_chip:
                extra = tr.load(_ceil(rows * cols * a_bytes, 1), self.dev.a_chans, PATH_ATTACHED, _R_ACT)
            last = tr.sfu(func, rows, cols, passes, deps=(last, extra))
        return last

    def _sparse_work(self, op: Op, k: int, mv: bool) -> float:
        """Fraction of the dense engine cycles a sparse weight takes on the (sparse) DSP chain.

        ``density`` weights (the FlightLLM performance model's sparse_ratio) scale the work on a sparse chain;
        an N:M block takes N/M of a dense block's cycles, capped by the columns a tile offers to the M/N
        sub-chains, and an all-zero block none. A dense chain (``sparse_chain.enabled: false``) computes every
        element."""
        spec: SparsitySpec | None = op.attr("sparsity")
        d = self.dev
        if spec is None or not d.zero_skipping:
            return 1.0  # dense weights, or an engine style that multiplies every zero
        sc = d.sparse
        if spec.kind == "density":
            return spec.density if sc.enabled else 1.0
        if spec.m != sc.block:
            raise MappingError(
                f"{op.name}: weights are N:{spec.m} sparse but the DSP chain decodes N:{sc.block} blocks",
                key_path="compute.matrix_engine.sparse_chain.block",
                hint=f"prune {op.attr('weight')} to N:{sc.block} patterns, or set sparse_chain.block to {spec.m}")
        if k % spec.m:
            raise MappingError(
                f"{op.name}: the reduction dimension {k} is not a multiple of the N:M block size {spec.m}",
                key_path=f"sparsity.{op.attr('weight')}",
                hint=f"use an M that divides {k} (e.g. 16), or leave {op.attr('weight')} dense")
        bad = [nn for nn, _f in spec.blocks if nn not in sc.n_supported]
        if bad:
            raise MappingError(
                f"{op.name}: the sparse DSP chain supports N in {list(sc.n_supported)} of every {sc.block}, "
                f"not N = {bad[0]}", key_path="compute.matrix_engine.sparse_chain.n_supported",
                hint=f"prune {op.attr('weight')} to a supported N, or add {bad[0]} to n_supported")
        if not sc.enabled:
            return 1.0
        tile = d.mv_tile if mv else d.mm_tile_n
        per_cycle = d.mv_cols_per_cycle if mv else d.mm_cols_per_cycle
        # sub-chains beyond the columns the tile offers stay idle: the speed-up of a block is at most cap
        cap = max(1, tile // per_cycle)
        return sum(f * (0.0 if nn == 0 else max(nn / spec.m, 1.0 / cap)) for nn, f in spec.blocks)

    def _check_precision(self, op: Op) -> None:
        """The matrix engine multiplies integer operands of ``operand_bits``: narrower integer weights and
        activations are unpacked to it on chip; floating-point or wider operands cannot run."""
        from ..config.formats import format_info

        bits = self.hw.compute.matrix_engine.operand_bits
        for t, key in ((op.params[0], "deployment.formats.weights"), (op.inputs[0], "deployment.formats.activations")):
            info = format_info(t.fmt)
            if info.floating or info.element_bits > bits:
                fmts = self.hw.deployment.formats
                if t.role == "weight" and fmts is not None and op.attr("weight") in fmts.per_weight:
                    key = f"deployment.formats.per_weight.{op.attr('weight')}"
                raise MappingError(
                    f"{op.name}: {t.role} format {t.fmt} is not supported by the matrix engine, which multiplies "
                    f"{bits}-bit integer operands", key_path=key,
                    hint=f"deploy the model with integer formats of at most {bits} bits (e.g. int8 or int4), or "
                         f"raise compute.matrix_engine.operand_bits")

    def _linear(self, tr: _Trace, op: Op, fused: list[Op], graph: Graph, on_chip: bool) -> None:
        d = self.dev
        self._check_precision(op)
        rows, k, n = op.attr("rows"), op.attr("k"), op.attr("n")
        groups, dens = op.attr("groups", 1), op.attr("density", 1.0)
        w = op.params[0]
        # bits streamed per element of the dense matrix: non-zeros plus their index/block metadata
        w_bits = w.bits_per_dense_element / dens
        a_bytes = op.inputs[0].bits / 8
        out_t = op.outputs[0]
        out_region, out_bytes, out_addr = _R_ACT, out_t.bits / 8, 0
        if op.name in ("k_proj", "v_proj"):  # their outputs are the new cache entries
            kv_op = next(o2 for o2 in graph.sections[1].ops if o2.kind == "kv_append")
            kv_t = kv_op.outputs[0]
            out_region, out_bytes = _R_KV, kv_t.bits / 8
            # written from the first new token's slot on (the projection's output tiles are token-major,
            # the cache head-major: the addresses are in the right part of the cache, not scattered per head)
            out_addr = self._kv_addr(kv_op.attr("batch"), kv_op.attr("kv_heads"), kv_op.attr("head_dim"), out_bytes,
                                     0 if op.name == "k_proj" else 1, 0, 0, graph.kv_len - kv_op.attr("q_len"))
        # every workload's parameters are in the inventory (tested); a hand-built graph without one streams
        # from the start of the layer's slab
        w_addr = self._w_off.get(w.name, 0)
        bias_bytes = sum(t.bytes for t in op.params[1:] if t.role == "bias")
        # engine choice: fewer padded MAC-cycles wins
        mm_cycles = _ceil(rows, d.mm_tile_m) * d.mm_tile_m * _ceil(n, d.mm_tile_n) * d.mm_tile_n / d.mm_rate
        mv_cycles = rows * _ceil(n, d.mv_tile) * d.mv_tile / d.mv_rate
        use_mv = mv_cycles <= mm_cycles
        bias = tr.load(bias_bytes, d.b_chans, PATH_ATTACHED, _R_W) if bias_bytes else -1
        work = self._sparse_work(op, k, use_mv)
        if use_mv:
            # decode on chip: outputs stay in the global buffer (kv_append writes the new K/V to the cache)
            self._linear_mv(tr, op, fused, rows, k, n, groups, dens, w_bits, a_bytes, out_bytes, out_region,
                            bias, on_chip, work, w_addr, out_addr)
        else:
            self._linear_mm(tr, op, fused, rows, k, n, groups, dens, w_bits, a_bytes, out_bytes, out_region,
                            bias, on_chip, work, w_addr, out_addr)

    def _split_k(self, op: Op, k: int, tile_cols: int, dens: float, capacity: float) -> tuple[list[tuple[int, int]], int]:
        """Reduction chunks so that min_buffer_depth weight tiles fit ``capacity``; and how many tiles fit."""
        d = self.dev
        slot = capacity / d.min_depth
        per_k = tile_cols * d.op_bytes * dens
        if per_k * min(k, d.rb) > slot:
            raise MappingError(
                f"{op.name}: a {tile_cols}-column weight tile of {d.rb} reduction rows does not fit "
                f"{d.min_depth} times in the buffer ({capacity / 2**20:.2f} MiB over all SLRs)",
                key_path="buffers", hint="enlarge the buffers, lower mapping.min_buffer_depth or the tile size")
        splits = max(1, _ceil(per_k * k, slot))
        kc = min(k, _ceil(_ceil(k, splits), d.rb) * d.rb)
        while per_k * kc > slot:
            kc -= d.rb
        chunks = [(k0, min(kc, k - k0)) for k0 in range(0, k, kc)]
        depth = max(d.min_depth, int(capacity // (per_k * kc)))
        return chunks, depth

    def _linear_mv(self, tr: _Trace, op: Op, fused: list[Op], rows: int, k: int, n: int, groups: int, dens: float,
                   w_bits: float, a_bytes: float, out_bytes: float, out_region: int, bias: int,
                   on_chip: bool, work: float, w_addr: int, out_addr: int) -> None:
        d = self.dev
        chunks, depth = self._split_k(op, k, d.mv_tile, dens, d.cap_a_mv)
        vec = k * d.op_bytes
        rows_per_pass = int(d.cap_b // vec)
        if rows_per_pass < 1:
            raise MappingError(f"{op.name}: an input vector of {k} elements does not fit the B buffer",
                               key_path="buffers.b_buffer", hint="enlarge the B buffer (depth or banks)")
        rows_per_pass = min(rows, rows_per_pass)
        inp = -1
        if not on_chip:
            inp = tr.load(_ceil(rows * groups * k * a_bytes, 1), d.b_chans, PATH_CROSS, _R_ACT)
        hist: list[int] = []
        group_bytes = _ceil(n * k * dens * w_bits / 8, 1)  # one group's (expert's) matrix in the weight map
        out_at = out_addr
        for g in range(groups):
            for r0 in range(0, rows, rows_per_pass):
                r = min(rows_per_pass, rows - r0)
                addr = w_addr + g * group_bytes  # every pass over the rows streams the same matrix again
                for c0 in range(0, n, d.mv_tile):
                    cols = min(d.mv_tile, n - c0)
                    last = -1
                    for k0, kl in chunks:
                        slot = hist[-depth] if len(hist) >= depth else -1
                        nbytes = _ceil(cols * kl * dens * w_bits / 8, 1)
                        ld = tr.load(nbytes, d.a_chans, PATH_ATTACHED, _R_W, addr, deps=(slot,))
                        addr += nbytes
                        last = tr.compute(MV, r, cols, kl, dens, deps=(ld, inp, bias), work=work)
                        hist.append(last)
                    last = self._epilogue(tr, fused, r, cols, last, on_chip, a_bytes)
                    if not on_chip:
                        ob = _ceil(r * cols * out_bytes, 1)
                        tr.store(ob, d.a_chans, out_region, out_at, deps=(last,))
                        out_at += ob

    def _linear_mm(self, tr: _Trace, op: Op, fused: list[Op], rows: int, k: int, n: int, groups: int, dens: float,
                   w_bits: float, a_bytes: float, out_bytes: float, out_region: int, bias: int, on_chip: bool,
                   work: float, w_addr: int, out_addr: int) -> None:
        d = self.dev
        tile_a = min(rows, d.mm_tile_m) * k * d.op_bytes
        depth_a = int(d.cap_a_mm // tile_a)
        if depth_a < 1:
            raise MappingError(f"{op.name}: a {min(rows, d.mm_tile_m)} x {k} activation tile does not fit the A buffer",
                               key_path="buffers.a_buffer", hint="enlarge the A buffer (depth or banks)")
        chunks, depth_b = self._split_k(op, k, d.mm_tile_n, dens, d.cap_b)
        hist: list[int] = []
        a_hist: list[int] = []
        group_bytes = _ceil(n * k * dens * w_bits / 8, 1)  # one group's (expert's) matrix in the weight map
        out_at = out_addr
        for g in range(groups):
            for r0 in range(0, rows, d.mm_tile_m):
                r = min(d.mm_tile_m, rows - r0)
                slot_a = a_hist[-depth_a] if len(a_hist) >= depth_a else -1
                lda = tr.load(_ceil(r * k * a_bytes, 1), d.a_chans, PATH_ATTACHED, _R_ACT, deps=(slot_a,))
                addr = w_addr + g * group_bytes  # every row tile streams the same matrix again
                last = -1
                for c0 in range(0, n, d.mm_tile_n):
                    cols = min(d.mm_tile_n, n - c0)
                    for k0, kl in chunks:
                        slot = hist[-depth_b] if len(hist) >= depth_b else -1
                        nbytes = _ceil(cols * kl * dens * w_bits / 8, 1)
                        ldb = tr.load(nbytes, d.b_chans, PATH_CROSS, _R_W, addr, deps=(slot,))
                        addr += nbytes
                        last = tr.compute(MM, r, cols, kl, dens, deps=(ldb, lda, bias), work=work)
                        hist.append(last)
                    tail = self._epilogue(tr, fused, r, cols, last, on_chip, a_bytes)
                    ob = _ceil(r * cols * out_bytes, 1)
                    tr.store(ob, d.a_chans, out_region, out_at, deps=(tail,))
                    out_at += ob
                a_hist.append(last)

    def _attention_mv(self, tr: _Trace, op: Op, fused: list[Op], graph: Graph, on_chip: bool) -> None:
        """Decode attention on the MV engine: per KV head, load K (or V) once, one MV per query head."""
        d = self.dev
        b, hq, hkv, hd, kv = (op.attr(x) for x in ("batch", "heads", "kv_heads", "head_dim", "kv_len"))
        group = hq // hkv
        kv_t = op.inputs[1]
        kv_bytes = kv_t.bits / 8
        a_bytes = op.outputs[0].bits / 8
        qk = op.kind == "attention_qk"
        # tokens per chunk so that min_depth chunks of one head fit the A buffer
        per_tok = hd * d.op_bytes
        tc = int(d.cap_a_mv / d.min_depth // per_tok) // d.rb * d.rb
        if tc < d.rb:
            raise MappingError(f"{op.name}: {d.rb} tokens of one head do not fit the A buffer",
                               key_path="buffers.a_buffer", hint="enlarge the A buffer")
        chunks = [(t0, min(tc, kv - t0)) for t0 in range(0, kv, tc)]
        depth = max(d.min_depth, int(d.cap_a_mv // (min(tc, kv) * per_tok)))
        inp = -1
        if not on_chip:  # queries (QK) or probabilities (PV) come from HBM
            src = hq * (hd if qk else kv) * b
            inp = tr.load(_ceil(src * a_bytes, 1), d.b_chans, PATH_CROSS, _R_ACT)
        hist: list[int] = []
        kind = 0 if qk else 1
        for s in range(b):
            for h in range(hkv):
                last_mv = [-1] * group
                for t0, tl in chunks:
                    slot = hist[-depth] if len(hist) >= depth else -1
                    ld = tr.load(_ceil(tl * hd * kv_bytes, 1), d.a_chans, PATH_ATTACHED, _R_KV,
                                 self._kv_addr(b, hkv, hd, kv_bytes, kind, s, h, t0), deps=(slot,))
                    for q in range(group):
                        if qk:  # scores of one query over tl keys: tl outputs, reduction over the head dim
                            mv = tr.compute(MV, 1, tl, hd, 1.0, deps=(ld, inp))
                        else:  # context of one query: hd outputs, reduction over tl values
                            mv = tr.compute(MV, 1, hd, tl, 1.0, deps=(ld, inp))
                        last_mv[q] = mv
                    hist.append(mv)
                for q in range(group):
                    last = last_mv[q]
                    for f in fused:  # softmax over the whole row of scores
                        last = tr.sfu("softmax", 1, kv, 2, deps=(last,))
                    if not on_chip:
                        cols = kv if qk else hd
                        tr.store(_ceil(cols * a_bytes, 1), d.a_chans, _R_ACT, deps=(last,))

    def _attention_mm(self, tr: _Trace, op: Op, fused: list[Op], graph: Graph) -> None:
        """Prefill attention on the MM engine: per head and 128-row query tile, over the kept key blocks."""
        d = self.dev
        b, hq, hkv, hd, q_len, kv = (op.attr(x) for x in ("batch", "heads", "kv_heads", "head_dim", "q_len", "kv_len"))
        group = hq // hkv
        past = kv - q_len
        kv_bytes = op.inputs[1].bits / 8
        a_bytes = op.outputs[0].bits / 8
        qk = op.kind == "attention_qk"
        # key (QK^T) or value (PV) blocks stream through the B buffer: as many in flight as fit
        block_bytes = (d.mm_tile_n * hd if qk else kv * d.mm_tile_n) * d.op_bytes
        depth = max(d.min_depth, int(d.cap_b // block_bytes))
        hist: list[int] = []
        for s in range(b):
            for h in range(hq):
                for r0 in range(0, q_len, d.mm_tile_m):
                    r = min(d.mm_tile_m, q_len - r0)
                    runs = kept_key_blocks(r0, r0 + r, past, kv, d.prefill_mask, d.mm_tile_n)
                    keys = sum(stop - start for start, stop in runs)
                    if qk:
                        # Q tile in the A buffer; K^T blocks of 16 keys stream through the B buffer
                        lda = tr.load(_ceil(r * hd * a_bytes, 1), d.a_chans, PATH_ATTACHED, _R_ACT)
                        last = -1
                        for start, stop in runs:
                            for k0 in range(start, stop, d.mm_tile_n):
                                kn = min(d.mm_tile_n, stop - k0)
                                slot = hist[-depth] if len(hist) >= depth else -1
                                ldb = tr.load(_ceil(kn * hd * kv_bytes, 1), d.b_chans, PATH_CROSS, _R_KV,
                                              self._kv_addr(b, hkv, hd, kv_bytes, 0, s, h // group, k0), deps=(slot,))
                                last = tr.compute(MM, r, kn, hd, 1.0, deps=(ldb, lda))
                                hist.append(last)
                        for _f in fused:
                            last = tr.sfu("softmax", r, keys, 2, deps=(last,))
                        tr.store(_ceil(r * keys * a_bytes, 1), d.a_chans, _R_ACT, deps=(last,))
                    else:
                        # probabilities in the A buffer; V blocks (keys x 16 head columns) through the B buffer
                        lda = tr.load(_ceil(r * keys * a_bytes, 1), d.a_chans, PATH_ATTACHED, _R_ACT)
                        for c0 in range(0, hd, d.mm_tile_n):
                            cn = min(d.mm_tile_n, hd - c0)
                            slot = hist[-depth] if len(hist) >= depth else -1
                            # head columns c0..c0+cn of the kept keys' values (placed at the column's offset)
                            v_at = self._kv_addr(b, hkv, hd, kv_bytes, 1, s, h // group, 0) + int(c0 * kv_bytes)
                            ldb = tr.load(_ceil(keys * cn * kv_bytes, 1), d.b_chans, PATH_CROSS, _R_KV, v_at,
                                          deps=(slot,))
                            mm = tr.compute(MM, r, cn, keys, 1.0, deps=(ldb, lda))
                            hist.append(mm)
                            tr.store(_ceil(r * cn * a_bytes, 1), d.a_chans, _R_ACT, deps=(mm,))

    def _sfu_op(self, tr: _Trace, op: Op, on_chip: bool) -> None:
        """A standalone SFU op (norms, ...) over rows x cols, pipelined in row chunks through the global buffer."""
        d = self.dev
        rows, cols = op.attr("rows"), op.attr("cols")
        a_bytes = op.inputs[0].bits / 8
        if op.kind == "norm":
            func, passes = "norm", 2
        elif op.kind == "softmax":
            func, passes = "softmax", 2
        elif op.kind == "moe_topk":
            func, passes = "topk", 2
        else:
            func, passes = _EPILOGUE[op.kind]
            passes = max(1, passes)
        params = sum(t.bytes for t in op.params)
        pld = tr.load(params, d.a_chans, PATH_ATTACHED, _R_W) if params else -1
        chunk = max(1, min(rows, d.rb, int(d.cap_g / d.min_depth // max(1, cols * d.op_bytes))))
        n_inputs = len(op.inputs)
        hist: list[int] = []
        for r0 in range(0, rows, chunk):
            r = min(chunk, rows - r0)
            ld = -1
            if not on_chip:
                slot = hist[-d.min_depth] if len(hist) >= d.min_depth else -1
                ld = tr.load(_ceil(n_inputs * r * cols * a_bytes, 1), d.a_chans, PATH_ATTACHED, _R_ACT, deps=(slot,))
            s = tr.sfu(func, r, cols, passes, deps=(ld, pld))
            hist.append(s)
            if not on_chip:
                tr.store(_ceil(r * cols * a_bytes, 1), d.a_chans, _R_ACT, deps=(s,))

    def _embedding(self, tr: _Trace, grp: list[Op], on_chip: bool) -> None:
        d = self.dev
        emb = grp[0]
        rows, cols = emb.attr("rows"), emb.attr("cols")
        # the gathered rows come from the embedding tables in the weights' map (token ids are data: the rows
        # are read as one run from the table's start; positions are consecutive, from the step's first one)
        last = tr.load(emb.params[0].bytes, d.a_chans, PATH_ATTACHED, _R_W, addr=self._w_off.get("embed_tokens", 0))
        for extra in grp[1:]:  # learned positions: gather and add
            row = extra.params[0].bytes / rows
            at = self._w_off.get("embed_positions", 0) + int(self._first_pos * row)
            ld = tr.load(extra.params[0].bytes, d.a_chans, PATH_ATTACHED, _R_W, addr=at)
            last = tr.sfu("eltwise", rows, cols, 1, deps=(last, ld))
        if not on_chip:
            tr.store(emb.outputs[0].bytes, d.a_chans, _R_ACT, deps=(last,))
