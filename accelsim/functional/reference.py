"""A float64 numpy decoder built from a workload YAML, with seeded random weights.

:class:`Decoder` runs a decoder-only transformer the way the published models define it: pre-norm blocks
(RMSNorm or LayerNorm), rotary (RoPE, half-split as in LLaMA/Mixtral) or learned positions (with OPT's
offset), multi-head or grouped-query attention with a KV cache, SwiGLU/GeGLU/GELU/ReLU feed-forward blocks
or a mixture of experts with softmax top-k routing over the router logits, a final norm and an LM head
(tied to the embedding or not). Weights come from a seeded generator (normal, std 0.02 as GPT-2/OPT
initialise, norms at 1), so runs are deterministic and need no download. Linear weights are stored
``outputs x inputs`` (the PyTorch ``nn.Linear`` layout: the reduction is the last, contiguous axis).

Every arithmetic step goes through a :class:`Numerics` policy. The base policy is exact float64; a device
policy (``accelsim.functional.device``) quantizes weights, activations and the KV cache and rounds the
special functions to the device's formats, so the same code computes the reference and the device's
numerics and the two can be compared layer by layer.

``dims(model, hidden=..., layers=...)`` scales a model down (keeping head_dim, heads/kv_heads ratio, FFN
ratio) so a functional run of a large model's structure stays fast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
import numpy as np

from ..config.workload import ModelConfig
from ..errors import AccelsimError

__all__ = ["Dims", "dims", "Numerics", "Weights", "random_weights", "Decoder", "weight_kind", "with_numerics"]

_INIT_STD = 0.02  # normal initialisation of GPT-2 / OPT (config.json initializer_range 0.02)


@dataclass(frozen=True)
class Dims:
    """The shape the functional model runs at (a workload's, or a scaled-down copy of it)."""

    model: ModelConfig
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    vocab: int
    experts: int
    top_k: int

    @property
    def q_width(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_width(self) -> int:
        return self.kv_heads * self.head_dim


def dims(model: ModelConfig, *, layers: int | None = None, hidden: int | None = None, vocab: int | None = None,
         experts: int | None = None) -> Dims:
    """The model's dimensions, optionally scaled down: ``hidden`` keeps head_dim and the heads / kv_heads
    and FFN / hidden ratios (heads = hidden / head_dim, rounded to whole KV groups)."""
    for name, v in (("layers", layers), ("hidden", hidden), ("vocab", vocab), ("experts", experts)):
        if v is not None and v < 1:
            raise AccelsimError(f"{name} must be at least 1, got {v}", key_path=f"--{name}", hint=f"pass --{name} N")
    h = hidden or model.hidden_size
    group = model.heads // model.kv_heads
    if hidden is None:
        hd, heads = model.head_dim, model.heads
    elif h % (model.head_dim * group) == 0:
        hd, heads = model.head_dim, h // model.head_dim  # keep the head width, fewer heads
    elif h % group == 0:
        hd, heads = h // group, group                  # narrower heads: one KV group
    else:
        raise AccelsimError(f"hidden {h} cannot hold {group}-query-head groups (heads / kv_heads of {model.name})",
                            key_path="--hidden", hint=f"use a multiple of {group * model.head_dim}")
    ffn = model.ffn.size if hidden is None else max(1, round(model.ffn.size * h / model.hidden_size))
    e = model.moe.experts if model.moe else 1
    return Dims(model, layers or model.layers, h, heads, heads // group, hd, ffn, vocab or model.vocab_size,
                experts if (experts and model.moe) else e, min(model.moe.top_k, experts or e) if model.moe else 1)


class Numerics:
    """How each step is computed. The base class is exact float64 (the reference).

    Hooks: ``weight(name, w)`` transforms a weight matrix (outputs x inputs) once (quantize, prune),
    ``linear(name, x, w, b)`` computes x w^T + b, ``kv(t)`` stores keys/values, ``sfu(x)`` rounds the output of a special function
    (softmax, norms, activations, RoPE, residual adds) to the unit's precision.
    """

    name = "float64"

    def weight(self, name: str, w: np.ndarray) -> np.ndarray:
        return w

    def linear(self, name: str, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        y = x @ w.T
        return y + b if b is not None else y

    def kv(self, t: np.ndarray) -> np.ndarray:
        return t

    def sfu(self, x: np.ndarray) -> np.ndarray:
        return x

    def softmax(self, s: np.ndarray) -> np.ndarray:
        """Softmax over the last axis (masked entries are -inf)."""
        s = s - np.max(s, axis=-1, keepdims=True)
        e = self.sfu(np.exp(s))
        return self.sfu(e / np.sum(e, axis=-1, keepdims=True))

    def norm(self, kind: str, x: np.ndarray, g: np.ndarray, b: np.ndarray | None, eps: float) -> np.ndarray:
        """RMSNorm or LayerNorm over the last axis with gain ``g`` (and shift ``b``)."""
        if kind == "rmsnorm":
            return self.sfu(x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * g)
        mu = np.mean(x, axis=-1, keepdims=True)
        var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
        y = (x - mu) / np.sqrt(var + eps) * g
        return self.sfu(y + b if b is not None else y)


Weights = dict[str, np.ndarray]


def random_weights(d: Dims, seed: int = 0) -> Weights:
    """Seeded random weights for every parameter of the model at dimensions ``d`` (float64)."""
    m = d.model
    rng = np.random.Generator(np.random.PCG64(seed))

    def normal(*shape: int) -> np.ndarray:
        a = rng.standard_normal(shape)
        a *= _INIT_STD  # in place: no second large array
        return a

    w: Weights = {"embed_tokens": normal(d.vocab, d.hidden)}
    if m.position_encoding == "learned":
        w["embed_positions"] = normal(m.max_positions + m.position_offset, d.hidden)

    def norm(prefix: str) -> None:
        w[f"{prefix}.weight"] = 1.0 + 0.1 * rng.standard_normal(d.hidden)
        if m.bias.norm:
            w[f"{prefix}.bias"] = 0.1 * rng.standard_normal(d.hidden)

    def lin(name: str, k: int, n: int, bias: bool) -> None:
        w[f"{name}.weight"] = normal(n, k)  # outputs x inputs
        if bias:
            w[f"{name}.bias"] = normal(n)

    for layer in range(d.layers):
        p = f"layers.{layer}."
        norm(p + "attn_norm")
        lin(p + "q_proj", d.hidden, d.q_width, m.bias.qkv)
        lin(p + "k_proj", d.hidden, d.kv_width, m.bias.qkv)
        lin(p + "v_proj", d.hidden, d.kv_width, m.bias.qkv)
        lin(p + "o_proj", d.q_width, d.hidden, m.bias.out)
        norm(p + "ffn_norm")
        if m.moe:
            lin(p + "router", d.hidden, d.experts, False)
        for e in range(d.experts):
            ep = f"{p}expert{e}." if m.moe else p
            if m.ffn.gated:
                lin(ep + "gate", d.hidden, d.ffn, m.bias.ffn)
            lin(ep + "up", d.hidden, d.ffn, m.bias.ffn)
            lin(ep + "down", d.ffn, d.hidden, m.bias.ffn)
    norm("final_norm")
    if not m.tied_embeddings:
        w["lm_head.weight"] = normal(d.vocab, d.hidden)
    return w


def weight_kind(name: str) -> str | None:
    """The workload's weight name (q_proj ... lm_head) of a parameter, None for tables, norms, biases."""
    if not name.endswith(".weight"):
        return None
    base = name[: -len(".weight")].rsplit(".", 1)[-1]
    return base if base in ("q_proj", "k_proj", "v_proj", "o_proj", "gate", "up", "down", "router", "lm_head") else None


class Decoder:
    """The model at dimensions ``dims`` with ``weights``, computed under ``numerics``; keeps a KV cache.

    ``forward(tokens)`` appends tokens (prefill: many, decode: one) and returns their logits; ``trace`` holds
    every layer's output hidden states of the last call (for per-layer comparisons).
    """

    def __init__(self, d: Dims, weights: Weights, numerics: Numerics | None = None) -> None:
        self.d = d
        self.num = numerics or Numerics()
        self.w = {k: (self.num.weight(k, v) if weight_kind(k) else v) for k, v in weights.items()}
        if d.model.tied_embeddings:
            self.w["lm_head.weight"] = self.num.weight("lm_head.weight", weights["embed_tokens"])
        self.k_cache: list[np.ndarray] = [np.zeros((0, d.kv_heads, d.head_dim)) for _ in range(d.layers)]
        self.v_cache: list[np.ndarray] = [np.zeros((0, d.kv_heads, d.head_dim)) for _ in range(d.layers)]
        self.trace: list[np.ndarray] = []

    @property
    def position(self) -> int:
        return self.k_cache[0].shape[0] if self.d.layers else 0

    # ------------------------------------------------------------------------------------------ pieces
    def _norm(self, x: np.ndarray, prefix: str) -> np.ndarray:
        m = self.d.model
        b = self.w.get(f"{prefix}.bias") if m.norm == "layernorm" and m.bias.norm else None
        return self.num.norm(m.norm, x, self.w[f"{prefix}.weight"], b, m.norm_eps)

    def _lin(self, name: str, x: np.ndarray) -> np.ndarray:
        return self.num.linear(name, x, self.w[f"{name}.weight"], self.w.get(f"{name}.bias"))

    def _rope(self, x: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Rotary embedding on (tokens, heads, head_dim), the half-split form of LLaMA/Mixtral."""
        hd = self.d.head_dim
        half = hd // 2
        inv = self.d.model.rope_theta ** (-np.arange(half, dtype=np.float64) * 2 / hd)
        ang = positions[:, None] * inv[None, :]
        cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
        x1, x2 = x[..., :half], x[..., half:]
        return self.num.sfu(np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1))

    def _act(self, x: np.ndarray) -> np.ndarray:
        t = self.d.model.ffn.type
        if t == "swiglu":
            y = x / (1.0 + np.exp(-x))
        elif t in ("gelu", "geglu"):
            y = 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
        else:
            y = np.maximum(x, 0.0)
        return self.num.sfu(y)

    def _ffn(self, x: np.ndarray, p: str) -> np.ndarray:
        m = self.d.model
        if m.ffn.gated:
            h = self.num.sfu(self._act(self._lin(p + "gate", x)) * self._lin(p + "up", x))
        else:
            h = self._act(self._lin(p + "up", x))
        return self._lin(p + "down", h)

    def _softmax(self, s: np.ndarray) -> np.ndarray:
        return self.num.softmax(s)

    def _moe(self, x: np.ndarray, p: str) -> np.ndarray:
        logits = self._lin(p + "router", x)
        k = self.d.top_k
        top = np.argsort(-logits, axis=-1, kind="stable")[:, :k]
        chosen = np.take_along_axis(logits, top, axis=-1)
        gates = self._softmax(chosen)
        out = np.zeros_like(x)
        for e in range(self.d.experts):
            rows, slot = np.nonzero(top == e)
            if rows.size:
                out[rows] += gates[rows, slot][:, None] * self._ffn(x[rows], f"{p}expert{e}.")
        return self.num.sfu(out)

    def _attention(self, x: np.ndarray, layer: int, positions: np.ndarray) -> np.ndarray:
        d, m = self.d, self.d.model
        p = f"layers.{layer}."
        t = x.shape[0]
        q = self._lin(p + "q_proj", x).reshape(t, d.heads, d.head_dim)
        k = self._lin(p + "k_proj", x).reshape(t, d.kv_heads, d.head_dim)
        v = self._lin(p + "v_proj", x).reshape(t, d.kv_heads, d.head_dim)
        if m.position_encoding == "rope":
            q, k = self._rope(q, positions), self._rope(k, positions)
        self.k_cache[layer] = np.concatenate([self.k_cache[layer], self.num.kv(k)], axis=0)
        self.v_cache[layer] = np.concatenate([self.v_cache[layer], self.num.kv(v)], axis=0)
        keys, vals = self.k_cache[layer], self.v_cache[layer]
        group = d.heads // d.kv_heads
        kk = np.repeat(keys, group, axis=1)   # (kv_len, heads, hd)
        vv = np.repeat(vals, group, axis=1)
        scores = np.einsum("thd,khd->htk", q, kk) / math.sqrt(d.head_dim)
        kv_len = keys.shape[0]
        causal = positions[:, None] >= np.arange(kv_len)[None, :]  # query at position p sees keys <= p
        scores = np.where(causal[None, :, :], scores, -np.inf)
        probs = self._softmax(scores)
        ctx = np.einsum("htk,khd->thd", probs, vv).reshape(t, d.q_width)
        return self._lin(p + "o_proj", ctx)

    # ------------------------------------------------------------------------------------------ forward
    def forward(self, tokens: np.ndarray) -> np.ndarray:
        """Logits (tokens x vocab) of ``tokens`` appended at the current position."""
        d, m = self.d, self.d.model
        tokens = np.asarray(tokens, dtype=np.int64)
        if tokens.min() < 0 or tokens.max() >= d.vocab:
            raise AccelsimError(f"token ids must be in [0, {d.vocab})", key_path="tokens", hint="draw tokens below vocab")
        start = self.position
        positions = np.arange(start, start + tokens.shape[0], dtype=np.float64)
        x = self.w["embed_tokens"][tokens]
        if m.position_encoding == "learned":
            x = x + self.w["embed_positions"][positions.astype(np.int64) + m.position_offset]
        self.trace = []
        for layer in range(d.layers):
            p = f"layers.{layer}."
            x = self.num.sfu(x + self._attention(self._norm(x, p + "attn_norm"), layer, positions))
            h = self._norm(x, p + "ffn_norm")
            x = self.num.sfu(x + (self._moe(h, p) if m.moe else self._ffn(h, p)))
            self.trace.append(x)
        return self._lin("lm_head", self._norm(x, "final_norm"))


def with_numerics(dec: Decoder, weights: Weights, numerics: Numerics) -> Decoder:
    """A fresh decoder of the same dimensions and weights under other numerics (empty KV cache)."""
    return Decoder(replace(dec.d), weights, numerics)
