"""Structured sparsity and the FlightLLM sparse DSP chain: the N:M / block-sparse weight format (storage with
its index metadata), the chain's skipped work and its limits, the dense-chain baseline, mixed precision per
weight, and the errors for patterns the hardware cannot run."""

from __future__ import annotations

import math

import pytest

from accelsim.config import load_hardware, load_workload
from accelsim.config.schema import Source
from accelsim.config.workload import SparsitySpec, parse_sparsity
from accelsim.errors import AccelsimError, ConfigError, MappingError
from accelsim.simulate import compile_step, simulate
from accelsim.workload import Scenario, build_prefill, resolve_numerics

SRC = Source("test.yaml")
LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate", "up", "down")


def _ops(graph):  # type: ignore[no-untyped-def]
    return {op.name: op for op in graph.sections[1].ops}


def _all_linear(pattern) -> dict:  # type: ignore[no-untyped-def]
    return {f"deployment.sparsity.{w}": pattern for w in LINEAR}


# ---------------------------------------------------------------------------------------------- the format
def test_sparsity_forms_and_densities() -> None:
    assert parse_sparsity(0.7, "s", SRC) == SparsitySpec("density", 0.7)
    nm = parse_sparsity({"n": 8, "m": 16}, "s", SRC)
    assert nm.kind == "nm" and nm.density == 0.5 and nm.describe() == "8:16"
    mix = parse_sparsity({"m": 16, "blocks": {16: 0.25, 8: 0.5, 0: 0.25}}, "s", SRC)
    assert mix.density == pytest.approx(0.25 + 0.25)
    blk = parse_sparsity({"m": 16, "block_density": 0.4}, "s", SRC)
    assert blk.blocks == ((16, 0.4), (0, pytest.approx(0.6))) and blk.density == pytest.approx(0.4)


def test_metadata_bits_follow_the_flightllm_layout() -> None:
    """Per 16x16 block: the non-zeros, a 4-bit index per non-zero of a sparse block, an 8-bit block code."""
    nm = parse_sparsity({"n": 8, "m": 16}, "s", SRC)
    assert nm.overhead_bits_per_element == pytest.approx(4 * 0.5 + 8 / 256)
    dense_blocks = parse_sparsity({"m": 16, "block_density": 0.5}, "s", SRC)
    assert dense_blocks.overhead_bits_per_element == pytest.approx(8 / 256)  # kept blocks are dense: no index
    assert SparsitySpec("density", 0.7).overhead_bits_per_element == 0.0  # the performance model's sparse_ratio
    m = load_workload("llama2-7b")
    hw = load_hardware("vhk158-flightllm", {"deployment.sparsity.up": {"n": 2, "m": 16}})
    up = _ops(build_prefill(m, 1, 16, resolve_numerics(m, hw.deployment)))["up"]
    w = up.params[0]
    assert w.bytes == math.ceil(4096 * 11008 * (2 / 16 * 4 + 2 / 16 * 4 + 8 / 256) / 8)  # INT4 values + indices
    assert up.macs == round(16 * 4096 * 11008 * 2 / 16)


@pytest.mark.parametrize("value,fragment", [
    ({"n": 20, "m": 16}, "exceeds M"),
    ({"m": 16, "blocks": {16: 0.5, 8: 0.4}}, "sum to"),
    ({"n": 4, "mm": 16}, "unknown key"),
    ({"n": 4, "block_density": 0.5}, "exactly one"),
    (1.5, "(0, 1]"),
    ({"m": 0, "n": 0}, "m must be"),
])
def test_bad_patterns_are_named(value, fragment: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as e:
        parse_sparsity(value, "deployment.sparsity.up", SRC)
    assert fragment in str(e.value) and e.value.key_path.startswith("deployment.sparsity.up")


def test_patterns_the_chain_cannot_run_fail_at_compile_time() -> None:
    m = load_workload("llama2-7b")
    cases = [
        ({"deployment.sparsity.up": {"n": 6, "m": 16}}, "supports N in"),  # N not in n_supported
        ({"deployment.sparsity.up": {"n": 4, "m": 8}}, "decodes N:16"),  # another block size
        ({"deployment.sparsity.down": {"n": 8, "m": 16}, "compute.matrix_engine.sparse_chain.block": 16}, None),
    ]
    for ov, fragment in cases:
        hw = load_hardware("vhk158-flightllm", ov)
        if fragment is None:
            compile_step(hw, m, "decode", 1, 64)
            continue
        with pytest.raises(MappingError) as e:
            compile_step(hw, m, "decode", 1, 64)
        assert fragment in str(e.value) and e.value.hint
    # M must divide the reduction dimension: GPT-2 small's FFN down projection reduces over 3072 = 16 x 192,
    # but a 7:7 pattern on a 768-wide reduction does not tile
    hw = load_hardware("vhk158-flightllm", {"deployment.sparsity.q_proj": {"n": 7, "m": 7},
                                            "compute.matrix_engine.sparse_chain.block": 7,
                                            "compute.matrix_engine.sparse_chain.n_supported": [7]})
    with pytest.raises(MappingError) as e:
        compile_step(hw, load_workload("gpt2-small"), "decode", 1, 64)
    assert "not a multiple of the N:M block size 7" in str(e.value) and e.value.key_path == "sparsity.q_proj"


def test_the_cli_names_the_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import yaml

    from conftest import ROOT, run_cli

    d = yaml.safe_load((ROOT / "hwconfigs" / "vhk158-flightllm.yaml").read_text())
    d["deployment"]["sparsity"]["up"] = {"n": 17, "m": 16}
    p = tmp_path / "hw.yaml"
    p.write_text(yaml.safe_dump(d))
    r = run_cli("run", str(p), "llama2-7b", "--prompt", "16", "--gen", "1")
    assert r.returncode == 2 and "deployment.sparsity.up" in r.stderr and "Traceback" not in r.stderr


# ---------------------------------------------------------------------------------------------- the chain
def _mm_work(hw_overrides: dict, weight: str = "up") -> tuple[float, int]:  # type: ignore[type-arg]
    """(fraction of dense cycles, useful MACs) of the first MM instruction of a weight's prefill block."""
    from accelsim.compiler.isa import MM

    hw = load_hardware("vhk158-flightllm", hw_overrides)
    prog = compile_step(hw, load_workload("llama2-7b"), "prefill", 1, 128)
    blk = next(b for b in prog.blocks if b.name.startswith(weight))
    mm = blk.trace[blk.trace["opcode"] == MM][0]
    return mm["density_ppm"] / 1e6, int(mm["macs"])


def test_n_of_m_blocks_take_n_over_m_of_the_cycles() -> None:
    for n in (16, 8, 4, 2):
        work, _ = _mm_work({"deployment.sparsity.up": {"n": n, "m": 16}})
        assert work == pytest.approx(n / 16)
    work, _ = _mm_work({"deployment.sparsity.up": {"m": 16, "block_density": 0.5}})
    assert work == pytest.approx(0.5)  # all-zero blocks are skipped


def test_sub_chains_need_columns_to_work_on() -> None:
    """A 2:16 block splits each chain into 8 sub-chains; a tile of 8 columns at 2 per cycle feeds only 4."""
    work, _ = _mm_work({"deployment.sparsity.up": {"n": 2, "m": 16}, "compute.matrix_engine.mm_tile_cols": 8})
    assert work == pytest.approx(1 / 4)


def test_dense_chain_multiplies_every_zero() -> None:
    ov = {"deployment.sparsity.up": {"n": 4, "m": 16}, "compute.matrix_engine.sparse_chain.enabled": False}
    work, macs = _mm_work(ov)
    sparse_work, sparse_macs = _mm_work({"deployment.sparsity.up": {"n": 4, "m": 16}})
    assert work == 1.0 and sparse_work == 0.25 and macs == sparse_macs  # same useful work, 4x the cycles
    # the performance model's plain density behaves the same way
    assert _mm_work({"deployment.sparsity.up": 0.5, "compute.matrix_engine.sparse_chain.enabled": False})[0] == 1.0


def test_sparse_chain_computation_efficiency_on_llama2_7b_prefill() -> None:
    """FlightLLM (FPGA'24) reports that the sparse DSP chain raises computation efficiency 1.6x.

    Computation efficiency = useful (non-zero) MACs / (peak MACs per cycle x cycles). With every linear
    layer of LLaMA-2-7B pruned to 8:16 and the same weights (values, indices, block codes) streamed either
    way, the dense chain multiplies the zeros and the sparse chain skips them: the linear layers take half
    the MM cycles, while attention (dense Q K^T and P V), the special functions and the dense LM head do not
    shrink, so prefill speeds up by less than the ideal 2x. accelsim measures ~1.9x for uniform 8:16 and
    ~1.7x for a 16/8/4 mix; the paper's 1.6x is for its own sparsified model, whose per-layer patterns are
    not published, and for a whole measured system.
    """
    sc = Scenario(1, 128, 1)
    ratios = {}
    for label, pattern in (("8:16", {"n": 8, "m": 16}), ("mix", {"m": 16, "blocks": {16: 0.25, 8: 0.5, 4: 0.25}})):
        ov = _all_linear(pattern)
        sparse = simulate("vhk158-flightllm", "llama2-7b", sc, hw_overrides=ov)
        dense = simulate("vhk158-flightllm", "llama2-7b", sc,
                         hw_overrides={**ov, "compute.matrix_engine.sparse_chain.enabled": False})
        assert sparse.macs == dense.macs and sparse.bytes == dense.bytes  # same useful work, same traffic
        ratios[label] = dense.prefill_s / sparse.prefill_s
        print(f"{label}: dense chain {dense.prefill_s * 1e3:.1f} ms, sparse chain {sparse.prefill_s * 1e3:.1f} ms, "
              f"computation efficiency x{ratios[label]:.2f}")
    assert 1.5 < ratios["8:16"] < 2.0  # below the ideal 2x: attention, SFU and the LM head stay dense
    assert 1.3 < ratios["mix"] < ratios["8:16"]  # density 0.5 too, but the dense quarter of blocks weighs more


def test_index_metadata_cancels_the_int4_saving_of_8_of_16() -> None:
    """8:16 at INT4: 4-bit values plus 4-bit indices per non-zero = 4 bits per dense element (+ block codes)."""
    m = load_workload("llama2-7b")
    hw = load_hardware("vhk158-flightllm", _all_linear({"n": 8, "m": 16}))
    dense_hw = load_hardware("vhk158-flightllm", {f"deployment.sparsity.{w}": 1.0 for w in LINEAR})
    sp = _ops(build_prefill(m, 1, 16, resolve_numerics(m, hw.deployment)))["up"].params[0]
    dn = _ops(build_prefill(m, 1, 16, resolve_numerics(m, dense_hw.deployment)))["up"].params[0]
    assert sp.bytes == pytest.approx(dn.bytes * (1 + 8 / 256 / 4), rel=1e-6)


def test_mixed_precision_per_weight() -> None:
    m = load_workload("llama2-7b")
    hw = load_hardware("vhk158-flightllm", {"deployment.formats.per_weight": {"down": "int8"}})
    num = resolve_numerics(m, hw.deployment)
    ops = _ops(build_prefill(m, 1, 16, num))
    assert ops["down"].params[0].fmt == "int8" and ops["up"].params[0].fmt == "int4"
    assert ops["down"].params[0].bytes == 2 * ops["up"].params[0].bytes  # same shape, twice the bits
    assert num.describe()["per_weight"] == {"down": "int8"}
    with pytest.raises(AccelsimError) as e:
        load_hardware("vhk158-flightllm", {"deployment.formats.per_weight": {"dwn": "int8"}})
    assert "did you mean 'down'" in str(e.value.hint)


def test_a_precision_the_engine_cannot_multiply_is_an_error() -> None:
    m = load_workload("llama2-7b")
    for ov, key in (({"deployment.formats.weights": "fp16"}, "deployment.formats.weights"),
                    ({"deployment.formats.activations": "int16"}, "deployment.formats.activations"),
                    ({"deployment.formats.per_weight": {"down": "fp8_e4m3"}}, "deployment.formats.per_weight.down")):
        hw = load_hardware("vhk158-flightllm", ov)
        with pytest.raises(MappingError) as e:
            compile_step(hw, m, "decode", 1, 64)
        assert e.value.key_path == key and "8-bit integer" in str(e.value)
