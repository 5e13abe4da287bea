"""Schema of ``workloads/*.yaml``: a transformer model's shape and its default number formats."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from .formats import FORMATS
from .schema import Source, flag, items, num, sub, text

__all__ = ["FfnConfig", "MoeConfig", "BiasConfig", "FormatsConfig", "ModelConfig", "check_format", "WEIGHT_NAMES",
           "SparsitySpec", "parse_sparsity", "check_weight_names"]

#: names of a layer's weight matrices, used by sparsity settings and the workload graph
WEIGHT_NAMES: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate", "up", "down", "router", "lm_head")


def check_format(name: str | None, path: str, src: Source) -> None:
    """Fail with a did-you-mean if ``name`` is not a known number format."""
    if name is None or name in FORMATS:
        return
    import difflib

    close = difflib.get_close_matches(name, list(FORMATS), n=1)
    hint = f"did you mean {close[0]!r}?" if close else "known formats: " + ", ".join(sorted(FORMATS))
    raise src.error(path, f"unknown number format {name!r}", hint)


#: bits of the per-block sparsity code (FlightLLM's "FSB info": one byte per M x M weight block, which says how
#: many of every M weights are non-zero; artifact profile/inst_gen/layer_support/IR_linear_mm.py)
BLOCK_CODE_BITS = 8


@dataclass(frozen=True)
class SparsitySpec:
    """How one weight matrix is sparse.

    ``density``: a fraction of non-zeros that is stored and processed as if the zeros did not exist, with no
    index overhead; this is how the FlightLLM authors' performance model treats a layer's ``sparse_ratio``.

    ``nm``: structured N:M sparsity over the reduction dimension. The matrix is cut into M x M blocks
    (M reduction elements by M output columns); in a block every column keeps N of its M weights, and
    ``blocks`` gives the fraction of blocks with each N (N = M: a dense block; N = 0: an all-zero block,
    i.e. block sparsity). Storage: the non-zeros, a log2(M)-bit index per non-zero of every sparse block
    (N < M), and a :data:`BLOCK_CODE_BITS` code per block (FlightLLM's weight/meta/FSB layout).
    """

    kind: Literal["density", "nm"]
    value: float = 1.0
    m: int = 16
    blocks: tuple[tuple[int, float], ...] = ()

    @property
    def density(self) -> float:
        """Fraction of the matrix's elements that are non-zero."""
        if self.kind == "density":
            return self.value
        return sum(f * n / self.m for n, f in self.blocks)

    @property
    def overhead_bits_per_element(self) -> float:
        """Index and block-code bits stored per element of the dense matrix (0 for ``density``)."""
        if self.kind == "density":
            return 0.0
        index_bits = math.ceil(math.log2(self.m)) if self.m > 1 else 0
        sparse_nonzeros = sum(f * n / self.m for n, f in self.blocks if n < self.m)
        return index_bits * sparse_nonzeros + BLOCK_CODE_BITS / (self.m * self.m)

    def describe(self) -> object:
        if self.kind == "density":
            return self.value
        if len(self.blocks) == 1:
            return f"{self.blocks[0][0]}:{self.m}"
        return {f"{n}:{self.m}": f for n, f in self.blocks}


def parse_sparsity(value: Any, path: str, src: Source) -> SparsitySpec:
    """Read one weight's sparsity: a density (0 < d <= 1) or a mapping ``{n: N, m: M}``,
    ``{m: M, blocks: {N: fraction, ...}}`` or ``{m: M, block_density: f}`` (a fraction f of dense blocks, the
    rest all-zero)."""
    if isinstance(value, SparsitySpec):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 0 < value <= 1:
            raise src.error(path, f"a density must be in (0, 1], got {value!r}",
                            "write the fraction of non-zero weights, e.g. 0.5")
        return SparsitySpec("density", float(value))
    if not isinstance(value, dict):
        raise src.error(path, f"expected a density or a mapping, got {type(value).__name__}",
                        "write e.g. 0.7, {n: 8, m: 16} or {m: 16, blocks: {16: 0.5, 8: 0.5}}")
    known = {"n", "m", "blocks", "block_density"}
    for key in value:
        if key not in known:
            import difflib

            close = difflib.get_close_matches(str(key), sorted(known), n=1)
            raise src.error(f"{path}.{key}", f"unknown key {key!r}",
                            f"did you mean {close[0]!r}?" if close else "use n and m, blocks, or block_density")
    m = value.get("m", 16)
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise src.error(f"{path}.m", f"m must be a whole number >= 1, got {m!r}", "use the block size, e.g. 16")
    given = [k for k in ("n", "blocks", "block_density") if k in value]
    if len(given) != 1:
        raise src.error(path, "give exactly one of n, blocks or block_density",
                        "e.g. {n: 8, m: 16} for 8:16 sparsity everywhere")
    raw: dict[Any, Any]
    if "n" in value:
        raw = {value["n"]: 1.0}
    elif "block_density" in value:
        f = value["block_density"]
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not 0 < f <= 1:
            raise src.error(f"{path}.block_density", f"block_density must be in (0, 1], got {f!r}",
                            "write the fraction of blocks that are kept (dense)")
        raw = {m: float(f)} if f == 1 else {m: float(f), 0: 1.0 - float(f)}
    else:
        raw = value["blocks"]
        if not isinstance(raw, dict) or not raw:
            raise src.error(f"{path}.blocks", "blocks must map N to the fraction of blocks with N non-zeros",
                            "write e.g. {16: 0.25, 8: 0.5, 0: 0.25}")
    blocks: list[tuple[int, float]] = []
    for n, f in raw.items():
        key = f"{path}.blocks.{n}" if "blocks" in value else f"{path}.n"
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise src.error(key, f"N must be a whole number >= 0, got {n!r}", "N counts the non-zeros of M weights")
        if n > m:
            raise src.error(key, f"N ({n}) exceeds M ({m})", f"keep N between 0 and {m}")
        if isinstance(f, bool) or not isinstance(f, (int, float)) or f < 0:
            raise src.error(key, f"a block fraction must be a number >= 0, got {f!r}", "fractions sum to 1")
        if f > 0:
            blocks.append((n, float(f)))
    total = sum(f for _, f in blocks)
    if abs(total - 1.0) > 1e-6:
        raise src.error(f"{path}.blocks", f"block fractions sum to {total:g}, not 1", "make the fractions add up to 1")
    spec = SparsitySpec("nm", m=m, blocks=tuple(sorted(blocks, reverse=True)))
    if spec.density <= 0:
        raise src.error(path, "every block is all-zero", "keep some non-zero blocks (a density above 0)")
    return spec


def check_weight_names(names: Any, path: str, src: Source) -> None:
    """Fail with a did-you-mean for a key that is not a weight name."""
    import difflib

    for name in names:
        if name not in WEIGHT_NAMES:
            close = difflib.get_close_matches(name, WEIGHT_NAMES, n=1)
            raise src.error(f"{path}.{name}" if path else name, f"unknown weight name {name!r}",
                            f"did you mean {close[0]!r}?" if close else "use one of " + ", ".join(WEIGHT_NAMES))


@dataclass(frozen=True, kw_only=True)
class FfnConfig:
    """The feed-forward block: its inner size and type (gated SwiGLU/GeGLU use three matrices)."""

    size: int = num("inner (intermediate) size of the FFN", positive=True)
    type: Literal["swiglu", "geglu", "gelu", "relu"] = text(
        "swiglu/geglu: gate, up and down matrices with a gated activation; gelu/relu: up and down matrices")

    @property
    def gated(self) -> bool:
        return self.type in ("swiglu", "geglu")


@dataclass(frozen=True, kw_only=True)
class MoeConfig:
    """Mixture of experts: every layer's FFN is one of ``experts`` FFNs, ``top_k`` chosen per token by a router."""

    experts: int = num("number of expert FFNs per layer", positive=True)
    top_k: int = num("experts each token is routed to", positive=True)

    def validate(self, src: Source, path: str) -> None:
        if self.top_k > self.experts:
            raise src.error(f"{path}.top_k", f"top_k ({self.top_k}) exceeds experts ({self.experts})",
                            "set top_k to at most the number of experts")


@dataclass(frozen=True, kw_only=True)
class BiasConfig:
    """Which linear layers carry a bias vector (OPT and GPT-2 do, LLaMA does not)."""

    qkv: bool = flag("Q/K/V projections have biases", default=False)
    out: bool = flag("attention output projection has a bias", default=False)
    ffn: bool = flag("FFN matrices have biases", default=False)
    norm: bool = flag("norms have a shift (beta) besides the scale (LayerNorm does)", default=False)


@dataclass(frozen=True, kw_only=True)
class FormatsConfig:
    """Number formats of the weights, activations, KV cache and special functions (names from accelsim.config.formats)."""

    weights: str = text("format weights are stored and streamed in", default="fp16")
    activations: str = text("format of activations between layers", default="fp16")
    kv_cache: str = text("format of the cached keys and values", default="fp16")
    special_functions: str = text("precision of softmax, norms and activations in the special-function unit",
                                  default="fp16")
    weight_group_size: int = num("elements per weight scale (0: per-tensor/channel scales, no stream overhead)",
                                 default=0, nonneg=True)
    scale_bits: int = num("bits of one group scale", default=16, positive=True)
    per_weight: dict[str, str] = items(
        "mixed precision: format of particular weight matrices (q_proj, ..., down, lm_head), overriding weights",
        default_factory=dict)

    def validate(self, src: Source, path: str) -> None:
        for key in ("weights", "activations", "kv_cache", "special_functions"):
            check_format(getattr(self, key), f"{path}.{key}", src)
        check_weight_names(self.per_weight, f"{path}.per_weight", src)
        for name, fmt in self.per_weight.items():
            check_format(fmt, f"{path}.per_weight.{name}", src)

    def weight_format(self, weight_name: str | None) -> str:
        """The format a weight matrix is stored in (its per-weight override, else ``weights``)."""
        if weight_name is not None and weight_name in self.per_weight:
            return self.per_weight[weight_name]
        return self.weights


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """A decoder-only transformer as published (layers, widths, heads, FFN, norms, vocabulary, formats)."""

    version: int = num("schema version of this file (1)", lo=1, hi=1)
    name: str = text("short name, e.g. llama2-7b")
    source: str = text("where these numbers come from (model card / config.json / paper)")
    layers: int = num("number of decoder layers", positive=True)
    hidden_size: int = num("model (residual stream) width", positive=True)
    heads: int = num("attention (query) heads", positive=True)
    kv_heads: int = num("key/value heads (= heads for MHA, fewer for GQA/MQA)", positive=True)
    head_dim: int = num("width of one attention head", positive=True)
    ffn: FfnConfig = sub("feed-forward block")
    norm: Literal["rmsnorm", "layernorm"] = text("normalisation before attention and FFN")
    vocab_size: int = num("vocabulary size (rows of the embedding, columns of the LM head)", positive=True)
    max_positions: int = num("longest supported sequence (tokens)", positive=True)
    position_encoding: Literal["rope", "learned", "alibi"] = text(
        "rope: rotary on Q/K; learned: a position-embedding table added to the input; alibi: attention bias")
    position_offset: int = num("extra rows in a learned position table (OPT reserves 2)", default=0, nonneg=True)
    rope_theta: float = num("RoPE base frequency (config.json rope_theta; 10000 unless the model says)",
                            default=10000.0, positive=True)
    norm_eps: float = num("epsilon of the norms (config.json rms_norm_eps / layer_norm_epsilon)", default=1e-5,
                          positive=True)
    tied_embeddings: bool = flag("LM head reuses the token-embedding matrix")
    bias: BiasConfig = sub("bias vectors", default_factory=BiasConfig)
    moe: Optional[MoeConfig] = sub("mixture-of-experts FFN (omit for dense models)", default=None)
    formats: FormatsConfig = sub("native number formats (a hwconfig deployment may override)",
                                 default_factory=FormatsConfig)
    sparsity: dict[str, Any] = items(
        "sparsity per weight name (q_proj, k_proj, v_proj, o_proj, gate, up, down, lm_head): a density, or N:M "
        "blocks {n: N, m: M} / {m: M, blocks: {N: fraction}} / {m: M, block_density: f}", default_factory=dict)
    published_parameters: float = num("parameter count the authors publish (for the graph's self-check)",
                                      positive=True)
    published_parameters_precision: float = num(
        "relative precision of published_parameters (the self-check's tolerance): 0.005 for a count given to "
        "three or more digits; larger only where the authors round their count to a name such as '350M'",
        default=0.005, positive=True, hi=0.05)

    def validate(self, src: Source, path: str) -> None:
        if self.heads % self.kv_heads:
            raise src.error("kv_heads", f"heads ({self.heads}) is not a multiple of kv_heads ({self.kv_heads})",
                            "GQA needs every KV head to serve the same number of query heads")
        check_weight_names(self.sparsity, "sparsity", src)
        object.__setattr__(self, "sparsity", {name: parse_sparsity(v, f"sparsity.{name}", src)
                                              for name, v in self.sparsity.items()})
