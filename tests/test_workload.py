"""Workload graphs: parameter counts match the published ones; shapes, MACs and bytes follow the model."""

from __future__ import annotations

import pytest

from accelsim.config import load_hardware, load_workload, shipped
from accelsim.workload import Scenario, active_experts, build_decode, build_prefill, resolve_numerics
from accelsim.errors import AccelsimError


@pytest.mark.parametrize("name", shipped("workloads"))
def test_parameter_count_matches_published(name: str) -> None:
    m = load_workload(name)
    g = build_decode(m, 1, 16, resolve_numerics(m))
    assert abs(g.parameter_count / m.published_parameters - 1) < m.published_parameters_precision, (
        g.parameter_count, m.published_parameters)


@pytest.mark.parametrize("name,expected", [("llama2-7b", 6.74e9), ("opt-6.7b", 6.66e9), ("gpt2-small", 124e6),
                                           ("mixtral-8x7b", 46.7e9)])
def test_issue_examples(name: str, expected: float) -> None:
    m = load_workload(name)
    assert build_decode(m, 1, 16, resolve_numerics(m)).parameter_count == pytest.approx(expected, rel=0.005)


def _ops(g):  # type: ignore[no-untyped-def]
    return {op.name: op for op in g.sections[1].ops}


def test_llama_decode_shapes_and_macs() -> None:
    m = load_workload("llama2-7b")
    g = build_decode(m, 2, 300, resolve_numerics(m))
    ops = _ops(g)
    assert [s.name for s in g.sections] == ["prologue", "layer", "epilogue"] and g.sections[1].repeat == 32
    q = ops["q_proj"]
    assert (q.attr("rows"), q.attr("k"), q.attr("n")) == (2, 4096, 4096) and q.macs == 2 * 4096 * 4096
    assert ops["gate"].attr("n") == 11008 and ops["down"].attr("k") == 11008
    qk = ops["attn_qk"]
    assert qk.macs == 2 * 32 * 128 * 300  # one query per sequence attends to all 300 positions
    assert qk.inputs[1].shape == (2, 300, 32, 128)
    assert {"q_rope", "k_rope", "kv_append", "softmax", "attn_pv", "ffn_act", "gate_mul", "attn_residual",
            "ffn_residual"} <= set(ops)
    # decode touches every weight once (plus the gathered embedding rows)
    assert g.weight_bytes_touched == pytest.approx(g.parameter_bytes - 32000 * 4096 * 2 + 2 * 4096 * 2, rel=1e-6)


def test_prefill_is_causal() -> None:
    m = load_workload("gpt2-small")
    g = build_prefill(m, 1, 64, resolve_numerics(m))
    qk = _ops(g)["attn_qk"]
    assert qk.macs == 12 * 64 * (64 * 65 // 2)
    lm = g.sections[2].ops[-1]
    assert lm.attr("rows") == 1 and lm.attr("n") == 50257  # logits of the last row only by default
    g_all = build_prefill(m, 1, 64, resolve_numerics(m), logits_rows="all")
    assert g_all.sections[2].ops[-1].attr("rows") == 64


def test_gqa_shapes() -> None:
    m = load_workload("llama2-70b")
    ops = _ops(build_decode(m, 1, 100, resolve_numerics(m)))
    assert ops["k_proj"].attr("n") == 8 * 128 and ops["q_proj"].attr("n") == 64 * 128
    assert ops["attn_qk"].attr("kv_heads") == 8 and ops["attn_qk"].macs == 64 * 128 * 100


def test_moe_routes_to_active_experts() -> None:
    m = load_workload("mixtral-8x7b")
    num = resolve_numerics(m)
    dec = _ops(build_decode(m, 1, 64, num))
    assert dec["router"].attr("n") == 8 and dec["gate"].attr("groups") == 2  # top-2 of 8 for one token
    assert dec["gate"].macs == 2 * 4096 * 14336
    pre = _ops(build_prefill(m, 1, 128, num))
    assert pre["gate"].attr("groups") == 8 and pre["gate"].attr("rows") == 32  # 128 tokens x 2 experts / 8
    assert pre["gate"].macs == 128 * 2 * 4096 * 14336
    assert active_experts(8, 2, 1) == 2 and active_experts(8, 2, 1000) == 8
    assert 2 < active_experts(8, 2, 3) <= 6


def test_opt_and_gpt2_structure() -> None:
    m = load_workload("opt-6.7b")
    g = build_decode(m, 1, 10, resolve_numerics(m))
    ops = _ops(g)
    assert "gate" not in ops and ops["ffn_act"].attr("fn") == "relu"
    assert any(t.role == "bias" for t in ops["q_proj"].params)
    assert [op.kind for op in g.sections[0].ops] == ["embedding", "pos_embedding"]
    assert g.sections[2].ops[-1].params[0].name == "embed_tokens"  # tied LM head
    assert _ops(build_decode(load_workload("gpt2-xl"), 1, 10, resolve_numerics(load_workload("gpt2-xl"))))[
        "ffn_act"].attr("fn") == "gelu"


def test_deployment_overrides_formats_and_sparsity() -> None:
    m = load_workload("llama2-7b")
    hw = load_hardware("vhk158-flightllm")
    num = resolve_numerics(m, hw.deployment, hw.name)
    assert num.formats.weights == "int4" and num.density("q_proj") == 0.7 and num.density("v_proj") == 1.0
    assert num.describe()["from"] == "deployment:vhk158-flightllm"
    g = build_decode(m, 1, 10, num)
    q = _ops(g)["q_proj"]
    assert q.params[0].bytes == pytest.approx(4096 * 4096 * 0.7 * 0.5, abs=1)
    assert q.macs == round(4096 * 4096 * 0.7)
    assert dict(g.formats)["weights"] == "int4"
    native = resolve_numerics(m)
    assert native.formats.weights == "fp16" and native.describe()["from"] == "workload"


def test_scenario_rejects_bad_sizes() -> None:
    for bad in (0, -1, 1.5):
        with pytest.raises(AccelsimError):
            Scenario(batch=bad)  # type: ignore[arg-type]


def test_moe_macs_count_routed_tokens_only() -> None:
    m = load_workload("mixtral-8x7b")
    ops = _ops(build_prefill(m, 1, 3, resolve_numerics(m)))
    assert ops["up"].macs == 3 * 2 * 4096 * 14336  # 3 tokens x top-2, whatever the expert padding
    assert ops["up"].attr("groups") * ops["up"].attr("rows") >= 6
