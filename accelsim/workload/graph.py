"""The op graph of a transformer step: immutable ops with shapes, MACs and bytes per tensor.

A :class:`Graph` describes one forward pass of a decoder-only model: the prefill of a prompt, or one decode
step at a given KV length. It is organised in :class:`Section` s (prologue, one decoder layer repeated
``layers`` times, epilogue), so that identical layers are described, and later compiled, once. Each
:class:`Op` lists its input, output and parameter :class:`Tensor` s in their number formats, its MACs
(non-zero work, after structured sparsity) and its attributes (dimensions the compiler needs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator

__all__ = ["Tensor", "Op", "Section", "Graph", "OP_KINDS"]

#: every op kind a graph may contain, with what it computes
OP_KINDS: dict[str, str] = {
    "embedding": "gather rows of the token-embedding table",
    "pos_embedding": "gather rows of a learned position table and add them to the input",
    "norm": "RMSNorm or LayerNorm over the hidden dimension (attrs: norm)",
    "linear": "rows x K input times a K x N weight (optional bias); attrs rows, k, n, density",
    "rope": "rotary position embedding applied to Q or K",
    "kv_append": "write the new tokens' keys and values into the KV cache",
    "attention_qk": "scores = Q K^T per head over the cached keys (attrs heads, kv_heads, head_dim, q_len, kv_len)",
    "softmax": "row-wise softmax of the attention scores",
    "attention_pv": "context = P V per head over the cached values",
    "activation": "element-wise non-linearity (attrs fn: silu, gelu, relu)",
    "eltwise_mul": "element-wise product (gated FFN)",
    "eltwise_add": "element-wise sum (residual connections)",
    "moe_topk": "choose the top-k experts per token from the router logits and normalise their weights",
    "moe_combine": "weighted sum of the chosen experts' outputs",
}


@dataclass(frozen=True)
class Tensor:
    """A tensor in a number format; ``density`` < 1 for structurally sparse weights (only non-zeros stored)."""

    name: str
    shape: tuple[int, ...]
    fmt: str
    bits: float
    role: str  # weight | bias | norm | table | activation | kv_cache
    density: float = 1.0
    overhead_bits: float = 0.0  # sparse weights: index and block-code bits per element of the dense matrix

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def bits_per_dense_element(self) -> float:
        """Stored bits per element of the dense shape: non-zeros at ``bits`` plus the sparsity metadata."""
        return self.density * self.bits + self.overhead_bits

    @property
    def bytes(self) -> int:
        """Bytes stored/moved: non-zero elements at ``bits`` each plus their metadata, rounded up to bytes."""
        return math.ceil(self.elements * self.bits_per_dense_element / 8)


@dataclass(frozen=True)
class Op:
    """One operation: kind, tensors (inputs, outputs, parameters), non-zero MACs and attributes."""

    name: str
    kind: str
    inputs: tuple[Tensor, ...]
    outputs: tuple[Tensor, ...]
    params: tuple[Tensor, ...] = ()
    macs: int = 0
    attrs: tuple[tuple[str, Any], ...] = ()

    def attr(self, key: str, default: Any = None) -> Any:
        for k, v in self.attrs:
            if k == key:
                return v
        return default

    @property
    def bytes_read(self) -> int:
        return sum(t.bytes for t in self.inputs) + sum(t.bytes for t in self.params)

    @property
    def bytes_written(self) -> int:
        return sum(t.bytes for t in self.outputs)


@dataclass(frozen=True)
class Section:
    """A run of ops executed ``repeat`` times in a row (a decoder layer is one section repeated per layer)."""

    name: str
    ops: tuple[Op, ...]
    repeat: int = 1


@dataclass(frozen=True)
class Graph:
    """One forward pass (prefill or a decode step) of a model for a batch of sequences."""

    model: str
    phase: str  # prefill | decode
    batch: int
    q_len: int  # new tokens per sequence in this pass
    kv_len: int  # attended (cached + new) tokens per sequence at the end of this pass
    sections: tuple[Section, ...]
    parameters: tuple[Tensor, ...] = field(default=(), repr=False)  # the model's whole parameter inventory
    formats: tuple[tuple[str, str], ...] = ()

    def iter_ops(self) -> Iterator[tuple[int, Section, Op]]:
        """Every op instance in execution order as (repeat index, section, op)."""
        for sec in self.sections:
            for rep in range(sec.repeat):
                for op in sec.ops:
                    yield rep, sec, op

    @property
    def op_count(self) -> int:
        return sum(len(s.ops) * s.repeat for s in self.sections)

    @property
    def macs(self) -> int:
        return sum(op.macs * s.repeat for s in self.sections for op in s.ops)

    @property
    def parameter_count(self) -> int:
        """Total parameters of the model (all experts, tied tables once)."""
        return sum(t.elements for t in self.parameters)

    @property
    def parameter_bytes(self) -> int:
        return sum(t.bytes for t in self.parameters)

    @property
    def weight_bytes_touched(self) -> int:
        """Parameter bytes the ops of this pass read (embedding rows gathered, active experts only)."""
        return sum(t.bytes * s.repeat for s in self.sections for op in s.ops for t in op.params)
