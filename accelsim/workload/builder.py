"""Build the op graph of a model's prefill or decode step for a scenario.

The numerics (number formats per tensor class and structured-sparsity densities per weight name) come from
the workload's defaults, overridden by a hwconfig's ``deployment`` section when one is given; every graph
records the formats it was built with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..config.formats import format_bits
from ..config.hardware import DeploymentConfig
from ..config.workload import FormatsConfig, ModelConfig, SparsitySpec
from ..errors import AccelsimError
from .graph import Graph, Op, Section, Tensor

__all__ = ["Scenario", "Numerics", "resolve_numerics", "build_prefill", "build_decode", "parameters_of",
           "active_experts"]


@dataclass(frozen=True)
class Scenario:
    """What is run: ``batch`` sequences, a ``prompt`` of tokens each, then ``gen`` decode steps."""

    batch: int = 1
    prompt: int = 128
    gen: int = 128

    def __post_init__(self) -> None:
        for key in ("batch", "prompt", "gen"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise AccelsimError(f"{key} must be a positive whole number, got {value!r}", key_path=f"--{key}",
                                    hint=f"pass --{key} N with N >= 1")

    @property
    def total_tokens(self) -> int:
        return self.prompt + self.gen


@dataclass(frozen=True)
class Numerics:
    """The number formats and sparsity a model runs with, and where they came from."""

    formats: FormatsConfig
    sparsity: tuple[tuple[str, SparsitySpec], ...]
    origin: str  # "workload" or "deployment:<hwconfig name>"

    def spec(self, weight_name: str | None) -> SparsitySpec | None:
        """The sparsity of a weight matrix, None if it is dense."""
        for k, v in self.sparsity:
            if k == weight_name:
                return v
        return None

    def density(self, weight_name: str) -> float:
        s = self.spec(weight_name)
        return s.density if s is not None else 1.0

    @property
    def weight_bits(self) -> float:
        f = self.formats
        return format_bits(f.weights, f.weight_group_size, f.scale_bits)

    def weight_bits_of(self, weight_name: str | None) -> float:
        """Storage bits per element of one weight matrix (mixed precision: its per-weight format)."""
        f = self.formats
        return format_bits(f.weight_format(weight_name), f.weight_group_size, f.scale_bits)

    def bits(self, fmt: str) -> float:
        return format_bits(fmt)

    def describe(self) -> dict[str, object]:
        f = self.formats
        out: dict[str, object] = {
            "weights": f.weights, "activations": f.activations, "kv_cache": f.kv_cache,
            "special_functions": f.special_functions, "from": self.origin,
        }
        if f.weight_group_size:
            out["weight_group_size"] = f.weight_group_size
        if f.per_weight:
            out["per_weight"] = dict(f.per_weight)
        if self.sparsity:
            out["sparsity_density"] = {k: v.density for k, v in self.sparsity}
            if any(v.kind == "nm" for _, v in self.sparsity):
                out["sparsity_pattern"] = {k: v.describe() for k, v in self.sparsity}
        return out


def resolve_numerics(model: ModelConfig, deployment: DeploymentConfig | None = None,
                     device_name: str = "") -> Numerics:
    """The workload's formats/sparsity, with a hwconfig deployment's settings taking precedence."""
    formats = model.formats
    sparsity = dict(model.sparsity)
    origin = "workload"
    if deployment is not None:
        if deployment.formats is not None:
            formats = deployment.formats
            origin = f"deployment:{device_name}" if device_name else "deployment"
        if deployment.sparsity:
            sparsity.update(deployment.sparsity)
            origin = f"deployment:{device_name}" if device_name else "deployment"
    return Numerics(formats, tuple(sorted(sparsity.items())), origin)


def active_experts(experts: int, top_k: int, tokens: int) -> int:
    """Distinct experts a batch of ``tokens`` routes to, assuming uniform independent routing.

    Each expert is missed by one token with probability 1 - k/E, so E (1 - (1 - k/E)^T) experts are
    expected to be active (exactly k for a single token); rounded up to whole experts.
    """
    expected = experts * (1.0 - (1.0 - top_k / experts) ** tokens)
    return min(experts, max(top_k, math.ceil(expected - 1e-9)))


class _Ctx:
    """Tensor factory bound to one model and its numerics."""

    def __init__(self, model: ModelConfig, num: Numerics) -> None:
        self.m = model
        self.num = num
        f = num.formats
        self.w_bits = num.weight_bits
        self.a_fmt, self.a_bits = f.activations, format_bits(f.activations)
        self.kv_fmt, self.kv_bits = f.kv_cache, format_bits(f.kv_cache)
        self.s_fmt, self.s_bits = f.special_functions, format_bits(f.special_functions)

    def weight(self, name: str, shape: tuple[int, ...], density_name: str | None = None) -> Tensor:
        spec = self.num.spec(density_name)
        d = spec.density if spec is not None else 1.0
        overhead = spec.overhead_bits_per_element if spec is not None else 0.0
        return Tensor(name, shape, self.num.formats.weight_format(density_name), self.num.weight_bits_of(density_name),
                      "weight", d, overhead)

    def vec(self, name: str, n: int, role: str) -> Tensor:
        return Tensor(name, (n,), self.s_fmt, self.s_bits, role)

    def act(self, name: str, shape: tuple[int, ...]) -> Tensor:
        return Tensor(name, shape, self.a_fmt, self.a_bits, "activation")

    def kv(self, name: str, shape: tuple[int, ...]) -> Tensor:
        return Tensor(name, shape, self.kv_fmt, self.kv_bits, "kv_cache")


def _layer_params(c: _Ctx, prefix: str = "") -> dict[str, list[Tensor]]:
    """Parameters of one decoder layer grouped by the op that reads them."""
    m = c.m
    h, d = m.hidden_size, m.head_dim
    qn, kvn, f = m.heads * d, m.kv_heads * d, m.ffn.size
    p: dict[str, list[Tensor]] = {}

    def norm(name: str) -> list[Tensor]:
        out = [c.vec(f"{prefix}{name}.weight", h, "norm")]
        if m.bias.norm:
            out.append(c.vec(f"{prefix}{name}.bias", h, "norm"))
        return out

    def lin(name: str, k: int, n: int, has_bias: bool) -> list[Tensor]:
        out = [c.weight(f"{prefix}{name}.weight", (k, n), name)]
        if has_bias:
            out.append(c.vec(f"{prefix}{name}.bias", n, "bias"))
        return out

    p["attn_norm"] = norm("attn_norm")
    p["q_proj"] = lin("q_proj", h, qn, m.bias.qkv)
    p["k_proj"] = lin("k_proj", h, kvn, m.bias.qkv)
    p["v_proj"] = lin("v_proj", h, kvn, m.bias.qkv)
    p["o_proj"] = lin("o_proj", qn, h, m.bias.out)
    p["ffn_norm"] = norm("ffn_norm")
    experts = m.moe.experts if m.moe else 1
    if m.moe:
        p["router"] = lin("router", h, m.moe.experts, False)
    for name, k, n in (("gate", h, f), ("up", h, f), ("down", f, h)):
        if name == "gate" and not m.ffn.gated:
            continue
        tensors: list[Tensor] = []
        for e in range(experts):
            ep = f"expert{e}." if m.moe else ""
            t = c.weight(f"{prefix}{ep}{name}.weight", (k, n), name)
            tensors.append(t)
            if m.bias.ffn:
                tensors.append(c.vec(f"{prefix}{ep}{name}.bias", n, "bias"))
        p[name] = tensors
    return p


def parameters_of(model: ModelConfig, numerics: Numerics) -> tuple[Tensor, ...]:
    """The whole parameter inventory of the model (every layer, every expert; tied tables counted once)."""
    c = _Ctx(model, numerics)
    m = model
    out = [Tensor("embed_tokens", (m.vocab_size, m.hidden_size), numerics.formats.weights, c.w_bits, "table")]
    if m.position_encoding == "learned":
        out.append(Tensor("embed_positions", (m.max_positions + m.position_offset, m.hidden_size),
                          numerics.formats.weights, c.w_bits, "table"))
    for layer in range(m.layers):
        for tensors in _layer_params(c, f"layers.{layer}.").values():
            out.extend(tensors)
    out.append(c.vec("final_norm.weight", m.hidden_size, "norm"))
    if m.bias.norm:
        out.append(c.vec("final_norm.bias", m.hidden_size, "norm"))
    if not m.tied_embeddings:
        out.append(c.weight("lm_head.weight", (m.hidden_size, m.vocab_size), "lm_head"))
    return tuple(out)


def _causal_pairs(q_len: int, kv_len: int) -> int:
    """(query, key) pairs under a causal mask when the last ``q_len`` of ``kv_len`` positions are queries."""
    past = kv_len - q_len
    return q_len * past + q_len * (q_len + 1) // 2


def _build(model: ModelConfig, num: Numerics, phase: str, batch: int, q_len: int, kv_len: int,
           logits_rows: str) -> Graph:
    c = _Ctx(model, num)
    m = model
    h, d, hq, hkv = m.hidden_size, m.head_dim, m.heads, m.kv_heads
    qn, kvn, f = hq * d, hkv * d, m.ffn.size
    rows = batch * q_len
    x = c.act("x", (rows, h))

    def linear(name: str, inp: Tensor, n: int, params: list[Tensor], groups: int = 1,
               rows_per_group: int | None = None, routed_rows: int | None = None) -> Op:
        """A linear layer; MoE experts are ``groups`` weight matrices sharing ``routed_rows`` token rows."""
        k = inp.shape[-1]
        r = rows_per_group if rows_per_group is not None else inp.shape[0]
        useful_rows = routed_rows if routed_rows is not None else r * groups
        w = params[0]
        out = c.act(f"{name}.out", (useful_rows, n))
        attrs = (("rows", r), ("k", k), ("n", n), ("density", w.density), ("groups", groups),
                 ("bias", any(t.role == "bias" for t in params)), ("weight", name),
                 ("sparsity", c.num.spec(name)))
        return Op(name, "linear", (inp,), (out,), tuple(params), int(round(useful_rows * k * n * w.density)), attrs)

    def sfu(name: str, kind: str, inputs: tuple[Tensor, ...], shape: tuple[int, ...], params: tuple[Tensor, ...] = (),
            **attrs: object) -> Op:
        out = c.act(f"{name}.out", shape)
        return Op(name, kind, inputs, (out,), params, 0,
                  (("rows", shape[0]), ("cols", math.prod(shape[1:]))) + tuple(attrs.items()))

    lp = _layer_params(c)
    layer_ops: list[Op] = []
    layer_ops.append(sfu("attn_norm", "norm", (x,), (rows, h), tuple(lp["attn_norm"]), norm=m.norm))
    xn = layer_ops[-1].outputs[0]
    q = linear("q_proj", xn, qn, lp["q_proj"])
    layer_ops.append(q)
    if m.position_encoding == "rope":
        layer_ops.append(sfu("q_rope", "rope", q.outputs, (rows, qn)))
    k = linear("k_proj", xn, kvn, lp["k_proj"])
    layer_ops.append(k)
    if m.position_encoding == "rope":
        layer_ops.append(sfu("k_rope", "rope", k.outputs, (rows, kvn)))
    v = linear("v_proj", xn, kvn, lp["v_proj"])
    layer_ops.append(v)
    k_new, v_new = c.kv("k_new", (batch, q_len, hkv, d)), c.kv("v_new", (batch, q_len, hkv, d))
    layer_ops.append(Op("kv_append", "kv_append", (k.outputs[0], v.outputs[0]), (k_new, v_new), (), 0,
                        (("batch", batch), ("q_len", q_len), ("kv_heads", hkv), ("head_dim", d))))
    k_cache, v_cache = c.kv("k_cache", (batch, kv_len, hkv, d)), c.kv("v_cache", (batch, kv_len, hkv, d))
    pairs = _causal_pairs(q_len, kv_len)
    att_attrs = (("batch", batch), ("heads", hq), ("kv_heads", hkv), ("head_dim", d), ("q_len", q_len),
                 ("kv_len", kv_len), ("causal", True))
    scores = c.act("scores", (batch * hq * q_len, kv_len))
    layer_ops.append(Op("attn_qk", "attention_qk", (c.act("q", (rows, qn)), k_cache), (scores,), (), batch * hq * d * pairs,
                        att_attrs))
    layer_ops.append(sfu("softmax", "softmax", (scores,), scores.shape, causal=True, q_len=q_len, kv_len=kv_len))
    layer_ops.append(Op("attn_pv", "attention_pv", (layer_ops[-1].outputs[0], v_cache), (c.act("ctx", (rows, qn)),), (),
                        batch * hq * d * pairs, att_attrs))
    o = linear("o_proj", layer_ops[-1].outputs[0], h, lp["o_proj"])
    layer_ops.append(o)
    layer_ops.append(sfu("attn_residual", "eltwise_add", (x, o.outputs[0]), (rows, h)))
    layer_ops.append(sfu("ffn_norm", "norm", (layer_ops[-1].outputs[0],), (rows, h), tuple(lp["ffn_norm"]),
                         norm=m.norm))
    xn2 = layer_ops[-1].outputs[0]
    act_fn = {"swiglu": "silu", "geglu": "gelu", "gelu": "gelu", "relu": "relu"}[m.ffn.type]
    if m.moe:
        router = linear("router", xn2, m.moe.experts, lp["router"])
        layer_ops.append(router)
        layer_ops.append(sfu("moe_topk", "moe_topk", router.outputs, (rows, m.moe.experts), top_k=m.moe.top_k))
        active = active_experts(m.moe.experts, m.moe.top_k, rows)
        per_expert = math.ceil(rows * m.moe.top_k / active)
        per_w = 2 if m.bias.ffn else 1
        expert_params = {name: lp[name][: active * per_w] for name in ("gate", "up", "down") if name in lp}
        grp: dict[str, int] = {"groups": active, "rows_per_group": per_expert, "routed_rows": rows * m.moe.top_k}
    else:
        expert_params = {name: lp[name] for name in ("gate", "up", "down") if name in lp}
        grp = {}
    if m.ffn.gated:
        g = linear("gate", xn2, f, expert_params["gate"], **grp)
        layer_ops.append(g)
        layer_ops.append(sfu("ffn_act", "activation", g.outputs, g.outputs[0].shape, fn=act_fn))
        u = linear("up", xn2, f, expert_params["up"], **grp)
        layer_ops.append(u)
        layer_ops.append(sfu("gate_mul", "eltwise_mul", (layer_ops[-2].outputs[0], u.outputs[0]), u.outputs[0].shape))
    else:
        u = linear("up", xn2, f, expert_params["up"], **grp)
        layer_ops.append(u)
        layer_ops.append(sfu("ffn_act", "activation", u.outputs, u.outputs[0].shape, fn=act_fn))
    hidden = layer_ops[-1].outputs[0]
    dn = linear("down", hidden, h, expert_params["down"], **grp)
    layer_ops.append(dn)
    if m.moe:
        layer_ops.append(sfu("moe_combine", "moe_combine", dn.outputs, (rows, h), top_k=m.moe.top_k))
    layer_ops.append(sfu("ffn_residual", "eltwise_add", (x, layer_ops[-1].outputs[0]), (rows, h)))

    # prologue: token (and position) embedding gathers
    table = Tensor("embed_tokens", (m.vocab_size, h), num.formats.weights, c.w_bits, "table")
    gathered = Tensor("embed_tokens.rows", (rows, h), num.formats.weights, c.w_bits, "table")
    pro: list[Op] = [Op("embedding", "embedding", (c.act("tokens", (rows,)),), (x,), (gathered,), 0,
                        (("rows", rows), ("cols", h), ("vocab", m.vocab_size)))]
    if m.position_encoding == "learned":
        pos_rows = Tensor("embed_positions.rows", (rows, h), num.formats.weights, c.w_bits, "table")
        pro.append(Op("pos_embedding", "pos_embedding", (x,), (x,), (pos_rows,), 0, (("rows", rows), ("cols", h))))
    # epilogue: final norm and the LM head on the rows that need logits
    head_rows = rows if logits_rows == "all" else batch
    hx = c.act("x_last", (head_rows, h))
    final_params = [c.vec("final_norm.weight", h, "norm")] + ([c.vec("final_norm.bias", h, "norm")] if m.bias.norm else [])
    epi: list[Op] = [sfu("final_norm", "norm", (hx,), (head_rows, h), tuple(final_params), norm=m.norm)]
    head_w = table if m.tied_embeddings else c.weight("lm_head.weight", (h, m.vocab_size), "lm_head")
    epi.append(linear("lm_head", epi[-1].outputs[0], m.vocab_size, [head_w]))
    sections = (Section("prologue", tuple(pro)), Section("layer", tuple(layer_ops), m.layers),
                Section("epilogue", tuple(epi)))
    fmt = tuple((k, str(v)) for k, v in num.describe().items() if k not in ("sparsity_density", "sparsity_pattern"))
    return Graph(m.name, phase, batch, q_len, kv_len, sections, parameters_of(m, num), fmt)


def build_prefill(model: ModelConfig, batch: int, prompt: int, numerics: Numerics, logits_rows: str = "last") -> Graph:
    """The prefill of ``batch`` prompts of ``prompt`` tokens each (causal attention over the prompt)."""
    return _build(model, numerics, "prefill", batch, prompt, prompt, logits_rows)


def build_decode(model: ModelConfig, batch: int, kv_len: int, numerics: Numerics) -> Graph:
    """One decode step: one new token per sequence, attending over ``kv_len`` tokens (itself included)."""
    return _build(model, numerics, "decode", batch, 1, kv_len, "last")
