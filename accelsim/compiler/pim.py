"""Lowering of a workload graph onto a DRAM-PIM device (bank MAC units + a host chip).

The flash device's lowering (accelsim.compiler.flash) with the GEMVs on the banks: a weight GEMV is one
``F_GEMV`` instruction on the ``pim`` unit (its rows spread over channels and banks, PIM-GPT's mapping; the
engine's PIM model times it, accelsim.kernels.pim); with ``attention: pim`` decode attention's QK^T and PV
are GEMVs against the KV cache held in the banks (K rows per token; V laid out as rows per head dimension,
AttAcc-style); everything else runs on the ``host`` chip. Units: ``pim`` and ``host``.

GEMV columns as in accelsim.compiler.flash (rows N, cols K, red M, path weight bits) except ``passes``: the
input vectors sharing each weight row (1; a GQA group's query heads in attention); ``chan_lo`` / ``chan_n``
are unused. A GEMV of several rows (prefill, a batch) runs as M passes in the banks or as a GEMM on the
host reading the weights over the channels, whichever the PIM model finds faster.
"""

from __future__ import annotations

from ..config.formats import format_info
from ..errors import CapacityError, MappingError
from ..workload.graph import Graph, Op
from .flash import F_GEMV, FlashCompiler, _Instr
from .isa import kv_bytes_per_token

__all__ = ["UNITS", "PimCompiler"]

UNITS: tuple[str, ...] = ("pim", "host")
_PIM = 0


class PimCompiler(FlashCompiler):
    """Compiles graphs into one-block-per-step programs for a PIM hwconfig."""

    units = UNITS

    def memory_plan(self, graph: Graph, batch: int, max_tokens: int) -> dict[str, float]:
        per_token = kv_bytes_per_token(graph) * graph.sections[1].repeat
        return {"weights_bytes": float(graph.parameter_bytes), "kv_cache_bytes": float(per_token * max_tokens * batch),
                "dram_capacity_bytes": float(self.hw.dram.derive().capacity_bytes)}

    def check_capacity(self, graph: Graph, batch: int, max_tokens: int) -> None:
        plan = self.memory_plan(graph, batch, max_tokens)
        need = plan["weights_bytes"] + plan["kv_cache_bytes"]
        if need > plan["dram_capacity_bytes"]:
            g = 2.0**30
            d = self.hw.dram.derive()
            raise CapacityError(
                f"{graph.model} needs {need / g:.2f} GiB ({plan['weights_bytes'] / g:.2f} GiB weights + "
                f"{plan['kv_cache_bytes'] / g:.2f} GiB KV cache for {batch} x {max_tokens} tokens) but "
                f"{self.hw.name}'s PIM DRAM holds {plan['dram_capacity_bytes'] / g:.2f} GiB ({d.channels} channels)",
                key_path="memory.dram.system.channels",
                hint="use more PIM channels or a denser DRAM preset, narrower weights, fewer tokens or a smaller model")

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
        return _Instr(name, _PIM, F_GEMV, rows=n, cols=head.attr("k"), red=head.attr("rows"),
                      path=self._weight_bits(head), macs=sum(o.macs for o in ops))

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
        return _Instr(op.name, _PIM, F_GEMV, rows=n, cols=k, red=1, passes=group, path=bits, macs=op.macs)
