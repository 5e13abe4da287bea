"""The float64 reference decoder: its consistency (KV cache, GQA, MoE), and agreement with Hugging Face
transformers' implementations of LLaMA and OPT when that package is installed (extra `hf`)."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.config import load_workload
from accelsim.errors import AccelsimError
from accelsim.functional import Decoder, Numerics, compare_runs, dims, random_weights
from accelsim.functional.compare import error_metrics

MODELS = ("llama2-7b", "llama3-8b", "opt-6.7b", "gpt2-small", "mixtral-8x7b")


@pytest.mark.parametrize("name", MODELS)
def test_prefill_equals_token_by_token_decode(name: str) -> None:
    """The KV cache is exact: one prefill of T tokens gives the logits of T single-token steps."""
    d = dims(load_workload(name), layers=2, hidden=256, vocab=300, experts=4)
    w = random_weights(d, seed=3)
    toks = np.array([5, 17, 2, 250, 9, 9, 33])
    whole = Decoder(d, w).forward(toks)
    step = Decoder(d, w)
    parts = np.concatenate([step.forward(toks[i:i + 1]) for i in range(len(toks))])
    np.testing.assert_allclose(whole, parts, rtol=0, atol=1e-12)
    # causality: the first token's logits do not depend on later tokens
    np.testing.assert_allclose(Decoder(d, w).forward(toks[:1])[0], whole[0], rtol=0, atol=1e-12)


def test_gqa_shares_key_value_heads() -> None:
    d = dims(load_workload("llama3-8b"), layers=1, hidden=512, vocab=64)
    assert d.heads == 4 and d.kv_heads == 1  # the 4:1 query-to-KV-head ratio of LLaMA-3-8B is kept
    w = random_weights(d)
    assert w["layers.0.k_proj.weight"].shape == (128, 512)  # outputs x inputs
    dec = Decoder(d, w)
    dec.forward(np.arange(3))
    assert dec.k_cache[0].shape == (3, 1, 128)


def test_moe_routes_each_token_to_top_k_experts() -> None:
    d = dims(load_workload("mixtral-8x7b"), layers=1, hidden=256, vocab=64, experts=4)
    assert d.experts == 4 and d.top_k == 2
    w = random_weights(d)
    # zeroing an expert nobody routes to changes nothing; zeroing every expert leaves only attention
    dec = Decoder(d, w)
    x = dec.forward(np.arange(6))
    w0 = {k: (v * 0 if ".expert" in k and k.endswith("down.weight") else v) for k, v in w.items()}
    y = Decoder(d, w0).forward(np.arange(6))
    assert not np.allclose(x, y)


def test_metrics_and_self_comparison() -> None:
    m = error_metrics(np.array([1.0, 2.0, 2.0]), np.array([1.0, 2.0, 3.0]))
    assert m.max_abs == 1.0 and m.rel_l2 == pytest.approx(1 / np.sqrt(14)) and m.cosine == pytest.approx(11 / (3 * np.sqrt(14)))
    d = dims(load_workload("gpt2-small"), layers=2, hidden=128, vocab=100)
    r = compare_runs(d, random_weights(d), Numerics(), prompt=4, steps=5)
    assert r.logits.rel_l2 == 0.0 and r.top1_agreement == 1.0 and r.top5_agreement == 1.0
    assert len(r.layers) == 2 and "top-1 agreement 100.0 %" in r.table()


def test_bad_dimensions_are_named() -> None:
    with pytest.raises(AccelsimError) as e:
        dims(load_workload("llama3-8b"), hidden=258)
    assert e.value.key_path == "--hidden"
    with pytest.raises(AccelsimError):
        dims(load_workload("llama2-7b"), layers=0)


# ---------------------------------------------------------------------------------------------- transformers
def _hf_llama(d, w):  # type: ignore[no-untyped-def]
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(vocab_size=d.vocab, hidden_size=d.hidden, intermediate_size=d.ffn, num_hidden_layers=d.layers,
                      num_attention_heads=d.heads, num_key_value_heads=d.kv_heads, head_dim=d.head_dim,
                      rms_norm_eps=d.model.norm_eps, rope_theta=d.model.rope_theta, max_position_embeddings=256,
                      tie_word_embeddings=False, attention_bias=False, mlp_bias=False, attn_implementation="sdpa")
    model = LlamaForCausalLM(cfg).double().eval()
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    sd = {"model.embed_tokens.weight": t(w["embed_tokens"]), "model.norm.weight": t(w["final_norm.weight"]),
          "lm_head.weight": t(w["lm_head.weight"])}
    for i in range(d.layers):
        p, q = f"layers.{i}.", f"model.layers.{i}."
        sd[q + "input_layernorm.weight"] = t(w[p + "attn_norm.weight"])
        sd[q + "post_attention_layernorm.weight"] = t(w[p + "ffn_norm.weight"])
        for ours, theirs in (("q_proj", "self_attn.q_proj"), ("k_proj", "self_attn.k_proj"),
                             ("v_proj", "self_attn.v_proj"), ("o_proj", "self_attn.o_proj"),
                             ("gate", "mlp.gate_proj"), ("up", "mlp.up_proj"), ("down", "mlp.down_proj")):
            sd[q + theirs + ".weight"] = t(w[p + ours + ".weight"])
    model.load_state_dict(sd, strict=False)
    _float64_everywhere(model, d)
    return model


def _float64_everywhere(model, d) -> None:  # type: ignore[no-untyped-def]
    """transformers computes RMSNorm in float32 and RoPE frequencies from a float32 buffer whatever the
    model's dtype; redo both in float64 so that the comparison tests the structure, not float32 rounding."""
    import torch

    for mod in model.modules():
        if type(mod).__name__.endswith("RMSNorm"):
            eps = mod.variance_epsilon

            def fwd(x, _m=mod, _eps=eps):  # type: ignore[no-untyped-def]
                return _m.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + _eps))
            mod.forward = fwd
        if type(mod).__name__.endswith("RotaryEmbedding"):
            hd = d.head_dim
            inv = 1.0 / (d.model.rope_theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
            mod.inv_freq = inv

            def rot(x, position_ids, _inv=inv):  # type: ignore[no-untyped-def]
                freqs = position_ids[:, :, None].to(torch.float64) * _inv[None, None, :]
                emb = torch.cat((freqs, freqs), dim=-1)
                return emb.cos().to(x.dtype), emb.sin().to(x.dtype)
            mod.forward = rot


def _hf_opt(d, w):  # type: ignore[no-untyped-def]
    import torch
    from transformers import OPTConfig, OPTForCausalLM

    m = d.model
    cfg = OPTConfig(vocab_size=d.vocab, hidden_size=d.hidden, ffn_dim=d.ffn, num_hidden_layers=d.layers,
                    num_attention_heads=d.heads, max_position_embeddings=m.max_positions, do_layer_norm_before=True,
                    word_embed_proj_dim=d.hidden, activation_function="relu", enable_bias=True,
                    layer_norm_elementwise_affine=True, dropout=0.0, attention_dropout=0.0, attn_implementation="sdpa")
    model = OPTForCausalLM(cfg).double().eval()
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    sd = {"model.decoder.embed_tokens.weight": t(w["embed_tokens"]),
          "model.decoder.embed_positions.weight": t(w["embed_positions"]),
          "model.decoder.final_layer_norm.weight": t(w["final_norm.weight"]),
          "model.decoder.final_layer_norm.bias": t(w["final_norm.bias"])}
    for i in range(d.layers):
        p, q = f"layers.{i}.", f"model.decoder.layers.{i}."
        for ours, theirs in (("attn_norm", "self_attn_layer_norm"), ("ffn_norm", "final_layer_norm")):
            sd[q + theirs + ".weight"] = t(w[p + ours + ".weight"])
            sd[q + theirs + ".bias"] = t(w[p + ours + ".bias"])
        for ours, theirs in (("q_proj", "self_attn.q_proj"), ("k_proj", "self_attn.k_proj"),
                             ("v_proj", "self_attn.v_proj"), ("o_proj", "self_attn.out_proj"),
                             ("up", "fc1"), ("down", "fc2")):
            sd[q + theirs + ".weight"] = t(w[p + ours + ".weight"])
            sd[q + theirs + ".bias"] = t(w[p + ours + ".bias"])
    model.load_state_dict(sd, strict=False)
    model.tie_weights()
    return model


@pytest.mark.parametrize("name,build", [("llama2-7b", _hf_llama), ("llama3-8b", _hf_llama), ("opt-6.7b", _hf_opt)])
def test_reference_matches_transformers(name: str, build) -> None:  # type: ignore[no-untyped-def]
    """Same random weights in transformers (float64) and in the reference: logits agree to 1e-9 relative."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    d = dims(load_workload(name), layers=2, hidden=256, vocab=200)
    w = random_weights(d, seed=7)
    model = build(d, w)
    toks = np.array([[3, 141, 59, 26, 5, 35, 89, 79]])
    with torch.no_grad():
        theirs = model(torch.from_numpy(toks)).logits[0].numpy()
    ours = Decoder(d, w).forward(toks[0])
    rel = np.linalg.norm(ours - theirs) / np.linalg.norm(theirs)
    assert rel < 1e-9, rel
