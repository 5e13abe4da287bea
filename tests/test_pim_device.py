"""The DRAM-PIM device (kind: pim, hwconfigs/pimgpt.yaml): lowering, statistics, bad input, bounds."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.config import load_hardware
from accelsim.errors import CapacityError, MappingError
from accelsim.kernels.pim import N_COUNTS, pim_gemv
from accelsim.simulate import simulate
from accelsim.workload import Scenario


def test_decode_reads_every_weight_once_inside_the_banks() -> None:
    r = simulate("pimgpt", "gpt2-medium", Scenario(1, 16, 2))
    d = r.sim["pim"]["decode"]
    weights = r.sim["memory_plan"]["weights_bytes"]
    # two steps; the busiest bank of each channel sets the count (rows that do not divide evenly are padded)
    assert 2 * weights <= d["internal_bytes"] <= 2 * 1.1 * weights + 2 * r.sim["memory_plan"]["kv_cache_bytes"]
    assert d["channel_bytes"] < d["internal_bytes"] / 20  # only inputs and partial sums cross the channels
    assert d["acts"] > 0 and d["mac_commands"] > 0
    assert all(p["on"] == "pim" for p in r.sim["gemv_plans"] if p["m"] == 1)
    assert r.breakdown_s["decode"] and r.tokens_per_s > 0


def test_a_step_is_its_gemvs_on_the_banks_plus_host_work() -> None:
    hw = load_hardware("pimgpt")
    p = np.array(hw.pim_params, dtype=np.float64)
    r = simulate("pimgpt", "gpt2-small", Scenario(1, 16, 1))
    c = np.zeros(N_COUNTS)
    h = 768
    # one layer's weight GEMVs (QKV fused, O, FC1, FC2) x 12 layers, plus the LM head
    gemvs = 12 * (pim_gemv(3 * h, h, 16, 1, p, c) + pim_gemv(h, h, 16, 1, p, c) + pim_gemv(4 * h, h, 16, 1, p, c)
                  + pim_gemv(h, 4 * h, 16, 1, p, c)) + pim_gemv(50257, h, 16, 1, p, c)
    step = r.decode_step_s[0]
    assert gemvs < step < 1.5 * gemvs


def test_attention_in_the_banks_beats_reading_the_cache_over_the_channels() -> None:
    pim = simulate("pimgpt", "gpt2-small", Scenario(1, 900, 2))
    host = simulate("pimgpt", "gpt2-small", Scenario(1, 900, 2), hw_overrides={"attention": "host"})
    assert pim.decode_s < host.decode_s


def test_roofline_bounds_the_pim_model() -> None:
    cyc = simulate("pimgpt", "gpt2-small", Scenario(1, 16, 4))
    roof = simulate("pimgpt", "gpt2-small", Scenario(1, 16, 4), fidelity="roofline")
    assert 0 < roof.prefill_s <= cyc.prefill_s
    assert all(0 < a <= b for a, b in zip(roof.decode_step_s, cyc.decode_step_s))


def test_a_format_the_bank_macs_cannot_multiply_is_refused() -> None:
    with pytest.raises(MappingError) as exc:
        simulate("pimgpt", "gpt2-small", Scenario(1, 16, 2), hw_overrides={"deployment.formats.weights": "int8"})
    assert exc.value.key_path == "deployment.formats.weights" and "bf16" in exc.value.hint


def test_a_model_larger_than_the_pim_dram_is_refused() -> None:
    with pytest.raises(CapacityError) as exc:
        simulate("pimgpt", "llama2-7b", Scenario(1, 16, 2))
    assert exc.value.key_path == "memory.stacks" and "GiB" in exc.value.message


def test_a_kv_cache_format_the_banks_cannot_multiply_needs_host_attention() -> None:
    ov = {"deployment.formats.kv_cache": "int8"}
    with pytest.raises(MappingError) as exc:
        simulate("pimgpt", "gpt2-small", Scenario(1, 16, 2), hw_overrides=ov)
    assert exc.value.key_path == "deployment.formats.kv_cache" and "attention: host" in exc.value.hint
    host = simulate("pimgpt", "gpt2-small", Scenario(1, 16, 2), hw_overrides={**ov, "attention": "host"})
    assert host.tokens_per_s > 0


def test_gqa_attention_multiplies_each_kv_row_for_every_query_head_of_its_group() -> None:
    from accelsim.config import load_workload
    from accelsim.workload import build_decode, resolve_numerics
    from accelsim.compiler import compiler_for

    hw = load_hardware("pimgpt")
    m = load_workload("llama3-8b", {"layers": 1})
    graph = build_decode(m, 1, 64, resolve_numerics(m, hw.deployment, hw.name))
    blk = compiler_for(hw).compile(graph).blocks[0]
    qk = [i for i, o in enumerate(blk.trace["op"]) if blk.op_names[o] == "attn_qk"][0]
    assert blk.trace["passes"][qk] == m.heads // m.kv_heads and blk.trace["rows"][qk] == m.kv_heads * 64


def test_neupims_organisation_is_the_authors_simulator_config() -> None:
    # casys-kaist/NeuPIMs configs/memory_configs/neupims.json: 32 channels x 32 banks, 1 KB pages, 64 B
    # requests, 32 GB, 16 multipliers per bank at 1 GHz; HBM2 timing tCK 1 ns, tRCD = tRP = 14, tRAS 34, tFAW 30
    hw = load_hardware("neupims")
    d = hw.dram.derive()
    assert (d.channels, d.banks * d.ranks, d.page_bytes, d.request_bytes) == (32, 32, 1024, 64)
    assert d.capacity_bytes == 32 * 2**30
    p = dict(zip(__import__("accelsim.kernels.pim", fromlist=["PARAM_NAMES"]).PARAM_NAMES, hw.pim_params))
    assert (p["tRCD"], p["tRP"], p["tRAS"], p["tFAW"], p["tCK_s"], p["macs_per_bank"]) == (14, 14, 34, 30, 1e-9, 16)
    r = simulate("neupims", "llama2-7b", Scenario(1, 32, 2))
    # batch 1: every weight GEMV in the banks, far above the 1 TB/s the channels could carry to the NPU
    assert all(p["on"] == "pim" for p in r.sim["gemv_plans"] if p["m"] == 1)
    assert r.decode_step_s[-1] < r.sim["memory_plan"]["weights_bytes"] / 1024e9 / 4
