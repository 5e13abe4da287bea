"""Schema of ``workloads/*.yaml``: a transformer model's shape and its default number formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

from .formats import FORMATS
from .schema import Source, flag, items, num, sub, text

__all__ = ["FfnConfig", "MoeConfig", "BiasConfig", "FormatsConfig", "ModelConfig", "check_format", "WEIGHT_NAMES"]

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

    def validate(self, src: Source, path: str) -> None:
        for key in ("weights", "activations", "kv_cache", "special_functions"):
            check_format(getattr(self, key), f"{path}.{key}", src)


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
    tied_embeddings: bool = flag("LM head reuses the token-embedding matrix")
    bias: BiasConfig = sub("bias vectors", default_factory=BiasConfig)
    moe: Optional[MoeConfig] = sub("mixture-of-experts FFN (omit for dense models)", default=None)
    formats: FormatsConfig = sub("native number formats (a hwconfig deployment may override)",
                                 default_factory=FormatsConfig)
    sparsity: dict[str, float] = items(
        "structured-sparsity density per weight name (q_proj, k_proj, v_proj, o_proj, gate, up, down, lm_head)",
        default_factory=dict, positive=True, hi=1.0)
    published_parameters: float = num("parameter count the authors publish (for the graph's self-check)",
                                      positive=True)

    def validate(self, src: Source, path: str) -> None:
        if self.heads % self.kv_heads:
            raise src.error("kv_heads", f"heads ({self.heads}) is not a multiple of kv_heads ({self.kv_heads})",
                            "GQA needs every KV head to serve the same number of query heads")
        for name in self.sparsity:
            if name not in WEIGHT_NAMES:
                import difflib

                close = difflib.get_close_matches(name, WEIGHT_NAMES, n=1)
                raise src.error(f"sparsity.{name}", f"unknown weight name {name!r}",
                                f"did you mean {close[0]!r}?" if close else "use one of " + ", ".join(WEIGHT_NAMES))
