"""A device's numerics against the float64 reference: pruning rules, error ordering of formats, the
`accelsim numerics` command and `accelsim run --numerics`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from accelsim.config import load_hardware, load_workload
from accelsim.config.schema import Source
from accelsim.config.workload import FormatsConfig, parse_sparsity
from accelsim.functional import compare_runs, dims, random_weights
from accelsim.functional.device import DeviceNumerics, accumulator_check, prune

from conftest import run_cli

SRC = Source("t.yaml")


def test_nm_pruning_keeps_the_n_largest_of_every_m() -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((24, 64))  # outputs x reduction
    p = prune(w, parse_sparsity({"n": 2, "m": 16}, "s", SRC))
    blocks = p.reshape(24, 4, 16)
    assert ((blocks != 0).sum(axis=2) == 2).all()
    kept = np.abs(w.reshape(24, 4, 16))[blocks != 0].min()
    assert kept >= np.sort(np.abs(w.reshape(24, 4, 16)), axis=2)[:, :, -2].min()
    w2 = rng.standard_normal((32, 64))  # 2 x 4 whole 16 x 16 blocks
    mix = prune(w2, parse_sparsity({"m": 16, "blocks": {16: 0.5, 0: 0.5}}, "s", SRC))
    assert (mix != 0).mean() == 0.5  # half the blocks kept whole, the others zero
    norms = [np.linalg.norm(w2[j:j + 16, i:i + 16]) for j in (0, 16) for i in range(0, 64, 16)]
    kept_b = [bool(mix[j:j + 16, i:i + 16].any()) for j in (0, 16) for i in range(0, 64, 16)]
    assert min(n for n, k in zip(norms, kept_b) if k) > max(n for n, k in zip(norms, kept_b) if not k)
    dens = prune(w2, parse_sparsity(0.25, "s", SRC))
    assert ((dens != 0).sum(axis=1) == 16).all()  # a quarter of every output row's 64 weights


def _report(**fmt):  # type: ignore[no-untyped-def]
    d = dims(load_workload("llama2-7b"), layers=1, hidden=512, vocab=200)
    f = FormatsConfig(**{"weights": "fp32", "activations": "fp32", "kv_cache": "fp32", "special_functions": "fp32",
                         **fmt})
    sp = {k: parse_sparsity(v, "s", SRC) for k, v in fmt.pop("sparsity", {}).items()} if "sparsity" in fmt else {}
    return compare_runs(d, random_weights(d, seed=2), DeviceNumerics(f, sp), prompt=6, steps=4)


def test_error_follows_the_formats() -> None:
    fp32 = _report()
    assert fp32.logits.rel_l2 < 1e-5 and fp32.top1_agreement == 1.0
    fp16 = _report(special_functions="fp16")
    int8 = _report(weights="int8", activations="int8")
    int4 = _report(weights="int4", activations="int8")
    assert fp32.logits.rel_l2 < fp16.logits.rel_l2 < int8.logits.rel_l2 < int4.logits.rel_l2
    assert int4.logits.cosine < int8.logits.cosine < 1.0
    grouped = _report(weights="int4", activations="int8", weight_group_size=64)
    assert grouped.logits.rel_l2 < int4.logits.rel_l2  # finer scales, less error


def test_accumulator_width_check() -> None:
    f = FormatsConfig(weights="int8", activations="int8")
    assert accumulator_check(f, 4096)["fits"]
    assert not accumulator_check(f, 2**20)["fits"]  # 7 + 7 + 20 + 1 bits > 32
    assert accumulator_check(FormatsConfig(), 4096) == {"integer": False}


def test_numerics_command_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = run_cli("numerics", "vhk158-flightllm", "llama2-7b", "--layers", "1", "--tokens", "3", "--hidden", "256",
                "--vocab", "128", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert len(d["layers"]) == 1 and set(d["logits"]) == {"rel_l2", "max_abs", "cosine"}
    assert 0 <= d["top1_agreement"] <= 1 and "int4" in d["numerics"]
    bad = run_cli("numerics", "vhk158-flightllm", "llama3-8b", "--hidden", "250")
    assert bad.returncode == 2 and "--hidden" in bad.stderr and "Traceback" not in bad.stderr


def test_run_with_numerics_reports_both() -> None:
    from accelsim.simulate import simulate
    from accelsim.workload import Scenario

    r = simulate("u280-flightllm", "gpt2-small", Scenario(1, 16, 2), numerics={"layers": 1, "tokens": 2})
    assert r.tokens_per_s > 0 and r.numerics["logits"]["cosine"] > 0.5 and len(r.numerics["layers"]) == 1
    assert "numerics vs float64" in r.table()
    flat = r.flat()
    assert "numerics.logits.rel_l2" in flat  # lands in sweep rows as a dotted column
