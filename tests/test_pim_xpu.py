"""PIM beside an xPU: logic-die units (Duplex; their kernel timelines are in test_pim.py), weights in the host's
memory (AttAcc), op/B dispatch, expert co-processing, input buffers, PIM energy, and the bad input these add."""

from __future__ import annotations

import pytest

from accelsim.config import load_hardware
from accelsim.errors import AccelsimError, CapacityError, ConfigError, MappingError
from accelsim.simulate import simulate
from accelsim.workload import Scenario

def test_attacc_runs_weights_on_the_gpu_and_attention_in_the_banks() -> None:
    r = simulate("attacc", "llama2-7b", Scenario(4, 256, 4))
    plans = r.sim["gemv_plans"]
    assert {p["on"] for p in plans if p["matrix"] == "weights"} == {"host"}
    assert {p["on"] for p in plans if p["matrix"] == "kv_cache"} == {"pim"}
    weights = r.sim["memory_plan"]["weights_bytes"]
    # the weights come from the GPU's HBM once per step (and once for the prefill); the KV cache stays in AttAcc
    assert r.bytes["host_memory"]["read"] == pytest.approx(5 * weights, rel=0.02)
    # every step reads the whole cache (>= 257 of the 260 tokens it is laid out for) inside the banks
    assert r.sim["pim"]["decode"]["internal_bytes"] >= 4 * r.sim["memory_plan"]["kv_cache_bytes"] * 257 / 260
    assert r.utilization["host"] > r.utilization["pim"]


def test_attention_in_attacc_beats_the_gpu_reading_its_cache_at_long_contexts() -> None:
    pim = simulate("attacc", "llama2-7b", Scenario(16, 2000, 2))
    gpu = simulate("attacc", "llama2-7b", Scenario(16, 2000, 2), hw_overrides={"attention": "host"})
    assert pim.decode_s < gpu.decode_s


def test_weights_larger_than_the_hosts_memory_are_refused() -> None:
    with pytest.raises(CapacityError) as exc:
        simulate("attacc", "mixtral-8x7b", Scenario(1, 16, 2))
    assert exc.value.key_path == "host.memory.capacity" and "GiB" in exc.value.message


def test_duplex_dispatches_by_op_per_byte() -> None:
    hw = load_hardware("duplex")
    r = simulate("duplex", "llama3-8b", Scenario(8, 64, 2))
    thr = r.sim["op_per_byte_threshold"]
    assert thr == pytest.approx(hw.pim_peak_flops / hw.host_bandwidth)
    for p in r.sim["gemv_plans"]:
        if p["matrix"] == "weights":
            opb = 2 * p["m"] * p["vectors"] / (p["weight_bits"] / 8)
            assert p["on"] == ("pim" if opb < thr else "host"), p


def test_duplex_splits_experts_between_xpu_and_logic_pim() -> None:
    from accelsim.engine.registry import PimComputeModel

    hw = load_hardware("duplex")
    model = PimComputeModel(hw)
    n, k, m, bits, groups = 8 * 14336, 4096, 8, 8, 8
    on, t, _ = model._gemv(n, k, m, bits, 1, 0, groups)
    t_pim, _ = model._on_pim(n, k, m, bits, 1)
    t_host, _ = model._on_host(n, k, m, bits, 1)
    assert on.startswith("pim ") and t < min(t_pim, t_host)
    r = simulate("duplex", "mixtral-8x7b", Scenario(32, 64, 2))
    assert any(p["on"].startswith("pim ") for p in r.sim["gemv_plans"])


def test_an_input_buffer_makes_one_pass_per_buffer_of_rows() -> None:
    from accelsim.engine.registry import PimComputeModel

    model = PimComputeModel(load_hardware("duplex"))
    _, c32 = model._on_pim(4096, 4096, 32, 16, 1)
    _, c64 = model._on_pim(4096, 4096, 64, 16, 1)
    _, c40 = model._on_pim(4096, 4096, 40, 16, 1)
    assert c64[1] == 2 * c32[1] and c40[1] == 2 * c32[1]  # column reads: one sweep of the weights per pass
    assert c40[5] == 40 * 4096 * 4096


def test_pim_energy_prices_each_segment_of_the_path() -> None:
    from accelsim.stats.pim import pim_energy

    counts = {"internal_bytes": 1e6, "channel_bytes": 1e3, "host_dram_bytes": 2e3, "macs": 5e5, "host_macs": 7e3}
    for name in ("neupims", "duplex", "attacc"):
        hw = load_hardware(name)
        e, d = hw.energy, hw.dram.derive()
        logic = hw.memory.pim.level == "logic"
        got = pim_energy(hw, counts, 1e-3)
        path = e.act_pre + e.cell
        assert got["dram_array"] == pytest.approx(
            8e6 * (path + ((e.bank_datapath + e.tsv) if logic else 0))
            + (0 if hw.host.memory else 16e3 * path))
        assert got["pim_macs"] == pytest.approx(5e5 * e.pim_mac) and got["host_macs"] == pytest.approx(7e3 * e.host_mac)
        assert ("host_memory" in got) == (hw.host.memory is not None)
        # active standby of every rank: V x IDD3N x devices, in W
        p = hw.dram.power
        assert got["dram_background"] == pytest.approx(
            hw.pim_channels * d.ranks * p.VDD * p.IDD3N * d.devices_per_rank * 1e-3 * 1e-3)
        assert got["energy_j"] == pytest.approx(sum(v for k, v in got.items() if k != "energy_j"))


def test_a_run_reports_energy_per_phase_and_per_token() -> None:
    r = simulate("neupims", "llama2-7b", Scenario(1, 32, 4))
    assert r.energy_j == pytest.approx(r.energy["prefill"]["energy_j"] + r.energy["decode"]["energy_j"])
    assert r.tokens_per_j == pytest.approx(4 / r.energy_j)
    assert r.energy["decode"]["dram_array"] > r.energy["decode"]["dram_io"]  # bank PIM keeps the weights inside
    # without an energy section a run has no energy
    assert simulate("neupims", "llama2-7b", Scenario(1, 32, 2), hw_overrides={"energy": None}).energy_j is None


@pytest.mark.parametrize("overrides, key", [
    ({"memory.pim.macs_per_bank": None}, "memory.pim.macs_per_bank"),
    ({"memory.pim.macs_per_channel": 64}, "memory.pim.macs_per_channel"),
    ({"memory.pim.bandwidth_scale": 4}, "memory.pim.bandwidth_scale"),
    ({"energy.cell": "-1 pJ/bit"}, "energy.cell"),
    ({"dispatch": "random"}, "dispatch"),
    ({"memory.pim.banks_per_unit": 3}, "memory.pim.banks_per_unit"),
    ({"memory.pim.macs_per_bank": 0}, "memory.pim.macs_per_bank"),
    ({"memory.stacks": 0}, "memory.stacks"),
    ({"memory.pim.mac_per_bank": 16}, "memory.pim.mac_per_bank"),
])
def test_bad_pim_unit_and_energy_settings_name_their_key(overrides: dict, key: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_hardware("neupims", overrides)
    assert exc.value.key_path == key


def test_weights_that_do_not_fit_a_banks_rows_are_refused() -> None:
    from accelsim.compiler import compiler_for
    from accelsim.workload.graph import Graph, Tensor

    hw = load_hardware("pimgpt", {"memory.dram.system.channels": 1})
    comp = compiler_for(hw)
    bank = hw.dram.derive().rows * hw.dram.derive().page_bytes  # 32 MiB
    # 1025 matrices of 17 output rows: 2 rows (32 KiB) of each in the busiest of 16 banks = 32.03 MiB, although
    # all of them (285 MB) fill only half the channel
    w = Tensor("experts", (1025, 8192, 17), "bf16", 16, "weight")
    g = Graph("toy", "decode", 1, 1, 1, (), (w,))
    assert w.bytes < hw.pim_capacity
    with pytest.raises(MappingError) as exc:
        comp._check_bank_share(g, 0.0)
    assert exc.value.key_path == "memory.dram.dram_structure.rows" and f"{bank / 2**20:.2f} MiB" in exc.value.message
    comp._check_bank_share(Graph("toy", "decode", 1, 1, 1, (), (Tensor("e", (1023, 8192, 17), "bf16", 16,
                                                                        "weight"),)), 0.0)


def test_dram_rows_too_few_for_a_megabyte_rank_are_a_clear_error() -> None:
    with pytest.raises(AccelsimError) as exc:
        load_hardware("pimgpt", {"memory.dram.dram_structure.rows": 16})
    assert exc.value.key_path.endswith("dram_structure.rows")


@pytest.mark.parametrize("hw", ["attacc", "duplex"])
def test_roofline_bounds_the_xpu_pim_models(hw: str) -> None:
    cyc = simulate(hw, "llama3-8b", Scenario(8, 64, 3))
    roof = simulate(hw, "llama3-8b", Scenario(8, 64, 3), fidelity="roofline")
    assert 0 < roof.prefill_s <= cyc.prefill_s
    assert all(0 < a <= b for a, b in zip(roof.decode_step_s, cyc.decode_step_s))


def test_a_logic_die_unit_has_no_bank_pairs() -> None:
    with pytest.raises(ConfigError) as exc:
        load_hardware("duplex", {"memory.pim.banks_per_unit": 2})
    assert exc.value.key_path == "memory.pim.banks_per_unit"


def test_a_unit_per_bank_pair_halves_the_units_and_their_bandwidth() -> None:
    one, pair = load_hardware("neupims"), load_hardware("neupims", {"memory.pim.banks_per_unit": 2})
    assert pair.pim_peak_flops == pytest.approx(one.pim_peak_flops / 2)
    assert pair.pim_internal_bandwidth == pytest.approx(one.pim_internal_bandwidth / 2)
    a = simulate("neupims", "llama2-7b", Scenario(1, 16, 2))
    b = simulate("neupims", "llama2-7b", Scenario(1, 16, 2), hw_overrides={"memory.pim.banks_per_unit": 2})
    # GEMV-bound decode with half the units: slower, but less than 2x, as a pair's two rows share one row switch
    # (ACT, tRCD, PRE, tRP) where single-bank units pay one per row
    assert 1.3 * a.decode_s < b.decode_s < 2 * a.decode_s
    assert b.sim["pim"]["decode"]["acts"] == pytest.approx(a.sim["pim"]["decode"]["acts"], rel=0.05)


def test_a_host_memory_of_zero_bytes_is_refused() -> None:
    with pytest.raises(ConfigError) as exc:
        load_hardware("attacc", {"host.memory.capacity": "0 GiB"})
    assert exc.value.key_path == "host.memory.capacity" and "greater than zero" in exc.value.message
