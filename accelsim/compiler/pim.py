"""Lowering of a workload graph onto a DRAM-PIM device (PIM units + a host chip).

The flash device's lowering (accelsim.compiler.flash) with the GEMVs on the PIM units: a weight GEMV is one
``F_GEMV`` instruction on the ``pim`` unit (its rows spread over channels and banks, PIM-GPT's mapping; the
engine's PIM model times it, accelsim.kernels.pim), on the ``host`` unit when the host has its own memory
(the weights live there, AttAcc); with ``attention: pim`` decode attention's QK^T and PV are GEMVs against the
KV cache held in the PIM DRAM (K rows per token; V laid out as rows per head dimension, AttAcc-style);
everything else runs on the ``host`` chip. Units: ``pim`` and ``host``.

GEMV columns as in accelsim.compiler.flash (rows N, cols K, red M, path weight bits) except ``passes``: the
input vectors sharing each weight row (1; a GQA group's query heads in attention); ``chan_lo``: 1
(:data:`KV_MATRIX`) when the matrix is the KV cache; ``chan_n``: the number of equal matrices stacked in the
GEMV (MoE experts) for co-processing. Where a GEMV of several rows (prefill, a batch) runs, in the PIM units
or as a GEMM on the host, the engine's PIM model decides (``dispatch``, ``coprocess``).
"""

from __future__ import annotations

import math

from ..config.formats import format_info
from ..errors import CapacityError, MappingError
from ..workload.graph import Graph, Op
from .flash import F_GEMV, FlashCompiler, _Instr
from .isa import kv_bytes_per_token

__all__ = ["UNITS", "KV_MATRIX", "PimCompiler"]

UNITS: tuple[str, ...] = ("pim", "host")
_PIM, _HOST = 0, 1
#: chan_lo of a GEMV whose matrix is the KV cache (attention: pim)
KV_MATRIX = 1


class PimCompiler(FlashCompiler):
    """Compiles graphs into one-block-per-step programs for a PIM hwconfig."""

    units = UNITS

    def memory_plan(self, graph: Graph, batch: int, max_tokens: int) -> dict[str, float]:
        per_token = kv_bytes_per_token(graph) * graph.sections[1].repeat
        plan = {"weights_bytes": float(graph.parameter_bytes), "kv_cache_bytes": float(per_token * max_tokens * batch),
                "dram_capacity_bytes": self.hw.pim_capacity}
        if self.hw.host.memory is not None:
            plan["host_memory_capacity_bytes"] = float(self.hw.host.memory.capacity)
        return plan

    def check_capacity(self, graph: Graph, batch: int, max_tokens: int) -> None:
        plan = self.memory_plan(graph, batch, max_tokens)
        g = 2.0**30
        weights, kv = plan["weights_bytes"], plan["kv_cache_bytes"]
        host = self.hw.host.memory
        # where each part lives: the weights in the host's memory when it has one; the KV cache in the PIM DRAM
        # when attention runs there (or when the host has no memory of its own)
        weights_in_host = host is not None
        kv_in_pim = self.hw.attention == "pim" or not weights_in_host
        in_pim = (0.0 if weights_in_host else weights) + (kv if kv_in_pim else 0.0)
        in_host = (weights + (0.0 if kv_in_pim else kv)) if weights_in_host else 0.0
        if in_pim > plan["dram_capacity_bytes"]:
            what = ("" if weights_in_host else f"{weights / g:.2f} GiB weights + ") + f"{kv / g:.2f} GiB KV cache"
            raise CapacityError(
                f"{graph.model} needs {in_pim / g:.2f} GiB in the PIM DRAM ({what} for {batch} x {max_tokens} "
                f"tokens) but {self.hw.name}'s PIM DRAM holds {plan['dram_capacity_bytes'] / g:.2f} GiB "
                f"({self.hw.pim_channels} channels)", key_path="memory.stacks",
                hint="use more stacks or PIM channels, a denser DRAM preset, narrower weights, fewer tokens or a smaller model")
        if not weights_in_host:
            self._check_bank_share(graph, kv if kv_in_pim else 0.0)
        elif in_host > host.capacity:
            raise CapacityError(
                f"{graph.model} needs {in_host / g:.2f} GiB in the host's memory ({weights / g:.2f} GiB weights"
                + ("" if kv_in_pim else f" + {kv / g:.2f} GiB KV cache")
                + f") but {self.hw.name}'s host memory holds {host.capacity / g:.2f} GiB",
                key_path="host.memory.capacity",
                hint="use a host with more memory, narrower weights or a smaller model")

    def _weight_bits(self, op: Op) -> int:
        w = op.params[0].fmt if op.params else op.inputs[0].fmt
        allowed = self.hw.memory.pim.formats
        if w not in allowed:
            raise MappingError(f"{op.name}'s weights are {w}, but the bank MAC units multiply "
                               + ", ".join(allowed), key_path="deployment.formats.weights",
                               hint="deploy with weights in one of: " + ", ".join(allowed))
        return int(format_info(w).element_bits)

    def _gemv(self, name: str, ops: list[Op]) -> _Instr:
        head = ops[0]
        n = sum(o.attr("n") * o.attr("groups", 1) for o in ops)
        # tile_w (chan_n): the number of equal matrices stacked in this GEMV (MoE experts, for co-processing)
        groups = sum(o.attr("groups", 1) for o in ops) if head.attr("groups", 1) > 1 else 1
        # with a host memory the weights live there and the host runs the GEMV (PimComputeModel)
        unit = _PIM if self.hw.host.memory is None else _HOST
        return _Instr(name, unit, F_GEMV, rows=n, cols=head.attr("k"), red=head.attr("rows"),
                      path=self._weight_bits(head), macs=sum(o.macs for o in ops), tile_w=groups)

    def _decode_attention(self, op: Op, kv_bytes: int) -> _Instr:
        if self.hw.attention != "pim":
            return super()._decode_attention(op, kv_bytes)
        b, kvh, d, kvl = op.attr("batch"), op.attr("kv_heads"), op.attr("head_dim"), op.attr("kv_len")
        fmt = next(t.fmt for t in op.inputs if t.role == "kv_cache")
        if fmt not in self.hw.memory.pim.formats:
            raise MappingError(f"the KV cache is {fmt}, but the bank MAC units multiply "
                               + ", ".join(self.hw.memory.pim.formats), key_path="deployment.formats.kv_cache",
                               hint="store the KV cache in a format the banks multiply, or set attention: host")
        bits = int(format_info(fmt).element_bits)
        # K: one row of head_dim per cached token; V: one row of kv_len per head dimension. Each sequence's
        # cache is its own matrix: b x kv_heads of them, as one GEMV of that many rows; the query heads of a
        # GQA group share every K/V row (``passes`` = vectors per row)
        if op.kind == "attention_qk":
            n, k = b * kvh * kvl, d
        else:
            n, k = b * kvh * d, kvl
        group = max(1, op.attr("heads") // kvh)
        # tile_h (chan_lo) 1: the matrix is the KV cache, held in the PIM DRAM wherever the weights are
        return _Instr(op.name, _PIM, F_GEMV, rows=n, cols=k, red=1, passes=group, path=bits, macs=op.macs,
                      tile_h=KV_MATRIX)

    def _check_bank_share(self, graph: Graph, kv_bytes: float) -> None:
        """The busiest bank's share must fit its rows: each weight matrix's output rows are spread over the channels
        and banks (PIM-GPT's mapping), so a bank holds ceil(ceil(rows / channels) / banks) rows of every matrix
        (padding when they do not divide), plus its share of the KV cache."""
        d = self.hw.dram.derive()
        ch, banks = self.hw.pim_channels, d.banks * d.ranks
        share = kv_bytes / (ch * banks)
        for t in graph.parameters:
            if t.role != "weight" or len(t.shape) < 2:
                continue
            *lead, k, n = t.shape
            rows_per_bank = math.ceil(math.ceil(n / ch) / banks)
            share += math.prod(lead) * rows_per_bank * math.ceil(k * t.bits_per_dense_element / 8)
        bank = float(d.rows * d.page_bytes)
        if share > bank:
            raise MappingError(
                f"{graph.model}'s weights do not fit a bank's rows: the busiest bank holds {share / 2**20:.2f} MiB "
                f"(each matrix's output rows spread over {ch} channels x {banks} banks, padded where they do not "
                f"divide) but a bank has {d.rows} rows x {d.page_bytes} B = {bank / 2**20:.2f} MiB",
                key_path="memory.dram.dram_structure.rows",
                hint="use a DRAM with more rows per bank, more stacks or channels, or a smaller model")
