"""The flash device (Cambricon-LLM-style NPU + NAND flash with in-flash compute): kernel timelines, the
compiler's tiling and split, bad input, and the Cambricon-LLM reference figures."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.config import load_hardware
from accelsim.errors import CapacityError, MappingError
from accelsim.kernels.nand import N_COUNTS, PARAM_NAMES, balanced_split, gemv, split_bounds
from accelsim.simulate import simulate
from accelsim.workload import Scenario

TR, BW, CORE, NPU_HZ = 30e-6, 1e9, 0.8e9, 1e9


def _params(ch: int = 1, dies: int = 1, planes: int = 2, **kw: float) -> np.ndarray:
    base = {"channels": ch, "dies_per_channel": dies, "planes": planes, "page_bytes": 16384, "t_read_s": TR,
            "bus_bytes_per_s": BW, "slice_bytes": 1024, "partial_sum_bytes": 1, "core_macs_per_s": CORE,
            "ecc_s": 0.0, "core_buffer_bytes": 2048, "npu_clock_hz": NPU_HZ, "npu_rows": 32, "npu_cols": 32,
            "npu_lanes": 64, "npu_op_latency_s": 0.0, "dram_bytes_per_s": 40e9}
    base.update(kw)
    return np.array([base[n] for n in PARAM_NAMES], dtype=np.float64)


def _gemv(n_out: int, n_in: int, th: int, tw: int, n_rc: int, p: np.ndarray, m: int = 1) -> tuple[float, np.ndarray]:
    counts = np.zeros(N_COUNTS)
    return gemv(n_out, n_in, m, 8, th, tw, n_rc, p, counts), counts


def test_one_ordinary_page_is_read_then_crosses_the_bus_then_the_npu_multiplies_it() -> None:
    # one die, one tile of 64 x 256 INT8 weights = one 16 KiB page: tR, 16 slices over a 1 GB/s bus, then the
    # NPU's 32x32 array: ceil(64 / 32) x 256 cycles plus its fill and drain (32 + 32 - 2)
    t, counts = _gemv(64, 256, 64, 256, 0, _params())
    assert t == pytest.approx(TR + 16384 / BW + (2 * 256 + 62) / NPU_HZ, rel=1e-12)
    assert counts[1] == 1 and counts[0] == 0 and counts[4] == 16384


def test_one_read_compute_tile_reads_computes_and_returns_partial_sums() -> None:
    # the input slice (256 B) crosses first; the page read (tR) overlaps it; the core multiplies 16384 MACs at
    # 0.8 GMAC/s; 64 partial sums return; the NPU adds the channel's partial sums (64 elements / 64 lanes)
    t, counts = _gemv(64, 256, 64, 256, 1, _params())
    assert t == pytest.approx(TR + 16384 / CORE + 64 / BW + 1 / NPU_HZ, rel=1e-12)
    assert counts[0] == 1 and counts[1] == 0 and counts[5] == 16384 and counts[2] == 256 and counts[3] == 64


def test_read_compute_streams_at_one_page_per_tR_per_die() -> None:
    # 100 tiles on 4 dies: the compute plane reads a page per tR (cache read overlaps the core's 20.5 us)
    t, _ = _gemv(256 * 100, 256, 256, 256, 100, _params(dies=4))
    assert t == pytest.approx(100 * TR + 16384 / CORE, rel=0.01)


def test_bus_time_is_the_bytes_it_carries() -> None:
    p = _params(ch=2, dies=4)
    t, counts = _gemv(4096, 4096, 256, 512, 100, p)
    assert counts[9] == pytest.approx((counts[2] + counts[3] + counts[4]) / BW, rel=1e-9)
    tiles = (4096 // 256) * (4096 // 512)
    assert counts[8] == tiles and counts[0] + counts[1] == tiles * 2 * 4  # one page per die and channel


def test_the_balanced_split_beats_both_extremes() -> None:
    hw = load_hardware("cambricon-llm-s")
    p = np.array(hw.params, dtype=np.float64)
    th, tw = hw.auto_tile(8, 4096)
    n_tiles = (16384 // th) * (4096 // tw)
    k, t = balanced_split(16384, 4096, 1, 8, th, tw, p)
    t_npu, _ = _gemv(16384, 4096, th, tw, 0, p)
    t_flash, _ = _gemv(16384, 4096, th, tw, n_tiles, p)
    assert 0 < k < n_tiles and t < 0.75 * min(t_npu, t_flash)
    # the steady-state balance lies near the simulated optimum (fill and drain shift it a little)
    assert abs(split_bounds(16384, 4096, 1, 8, th, tw, p) - k / n_tiles) < 0.05


def test_more_channels_are_faster() -> None:
    t8, _ = _gemv(16384, 4096, 256, 2048, 40, _params(ch=8, dies=4))
    t16, _ = _gemv(16384, 4096, 256, 4096, 20, _params(ch=16, dies=4))
    assert t16 < 0.6 * t8


def test_hardware_aware_tile_is_the_papers_and_narrows_for_small_inputs() -> None:
    # Cambricon-LLM Section V-A: H = sqrt(dies per channel x page), W = channels x H (256 x 2048 on S)
    assert load_hardware("cambricon-llm-s").auto_tile(8, 4096) == (256, 2048)
    assert load_hardware("cambricon-llm-m").auto_tile(8, 4096) == (512, 4096)  # sqrt(8 x 16384) = 362 -> 512
    hw_l = load_hardware("cambricon-llm-l")
    assert hw_l.auto_tile(8, 16384) == (512, 16384)
    assert hw_l.auto_tile(8, 5120) == (2048, 4096)  # W <= the inputs, still one page per die


def test_decode_result_reports_flash_statistics_and_is_deterministic() -> None:
    a = simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, 16, 2))
    b = simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, 16, 2), fidelity="exact")
    assert a.decode_step_s == b.decode_step_s and a.prefill_s == b.prefill_s
    d = a.to_dict()
    for key in ("prefill_s", "decode_s", "tokens_per_s", "ttft_s", "tpot_s", "breakdown_s"):
        assert key in d
    fl = a.sim["flash"]["decode"]
    # every decode step reads every weight page once, in flash or over the channels
    weights = a.sim["memory_plan"]["weights_bytes"]
    assert fl["internal_bytes"] >= 2 * 0.99 * weights
    assert 0.5 < fl["read_compute_tile_fraction"] < 0.9 and 0 < fl["channel_utilization"] <= 1
    assert fl["channel_bytes"] < fl["internal_bytes"] / 2  # in-flash compute keeps most weights in the dies
    assert all(p["tile"] == [256, 2048] for p in a.sim["gemv_plans"] if p["m"] == 1 and p["k"] >= 2048)


def test_a_model_that_does_not_fit_the_flash_names_the_capacity() -> None:
    with pytest.raises(CapacityError) as exc:
        simulate("cambricon-llm-s", "opt-66b", Scenario(1, 16, 2), hw_overrides={"flash.die_capacity": "1 GiB"})
    assert exc.value.key_path == "flash.die_capacity" and "GiB" in exc.value.message
    assert exc.value.file and exc.value.file.endswith("cambricon-llm-s.yaml")


def test_a_tile_that_is_not_one_page_per_die_is_refused() -> None:
    with pytest.raises(MappingError) as exc:
        simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, 16, 2), hw_overrides={"tiling.tile": [256, 1024]})
    assert exc.value.key_path == "tiling.tile" and "[256, 2048]" in exc.value.hint


def test_weights_the_cores_cannot_multiply_are_refused() -> None:
    with pytest.raises(MappingError) as exc:
        simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, 16, 2),
                 hw_overrides={"deployment.formats.weights": "fp16"})
    assert exc.value.key_path == "deployment.formats.weights" and "int8" in exc.value.hint


def test_npu_only_split_is_the_channel_bound_flash_offloading_baseline() -> None:
    full = simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, 16, 2))
    npu = simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, 16, 2), hw_overrides={"tiling.split": "npu_only"})
    # without in-flash compute every weight crosses the 8 x 1 GB/s channels: <= 8 GB/s / 6.7 GB per token
    assert npu.tokens_per_s < 8e9 / full.sim["memory_plan"]["weights_bytes"] * 1.01
    assert full.tokens_per_s > 2.5 * npu.tokens_per_s


def test_cambricon_llm_decode_speeds_within_15_percent() -> None:
    from accelsim.validate.cambricon import run_cambricon

    cases = run_cambricon()
    assert len(cases) == 12
    bad = [(c.case, round(c.error, 1)) for c in cases if not c.ok]
    assert not bad, bad


def test_energy_section_prices_the_counted_actions() -> None:
    e = {"page_read": "2 uJ", "bus_per_byte": "40 pJ", "core_mac": "1 pJ", "npu_mac": "0.5 pJ",
         "dram_per_byte": "30 pJ", "static_w": "0.5 W"}
    r = simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, 16, 2), hw_overrides={"energy": e})
    d = r.sim["flash"]["decode"]
    want = (d["page_reads"] * 2e-6 + d["channel_bytes"] * 40e-12 + d["core_macs"] * 1e-12 + d["npu_macs"] * 0.5e-12
            + d["dram_bytes"] * 30e-12 + 0.5 * r.decode_s)
    assert r.energy["decode"]["energy_j"] == pytest.approx(want, rel=1e-9)
    assert r.energy_j == pytest.approx(r.energy["prefill"]["energy_j"] + r.energy["decode"]["energy_j"])
    assert r.tokens_per_j == pytest.approx(2 / r.energy_j)
    assert simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, 16, 2)).energy_j is None


@pytest.mark.parametrize("case", range(24))
def test_gemv_kernel_equals_its_plain_python_twin(case: int) -> None:
    from accelsim.kernels.reference_nand import gemv_ref

    rng = np.random.default_rng(case)
    ch, dies, planes = (int(x) for x in (rng.choice([1, 2, 4]), rng.choice([1, 2, 4]), rng.choice([1, 2, 3])))
    # a fast bus (64 GB/s) makes the planes' read recurrences bind, a slow core the compute plane's
    p = _params(ch=ch, dies=dies, planes=planes, slice_bytes=float(rng.choice([512, 1024, 4096])),
                ecc_s=float(rng.choice([0.0, 2e-6, 15e-6])), core_buffer_bytes=float(rng.choice([256, 2048])),
                bus_bytes_per_s=float(rng.choice([1e9, 64e9])), core_macs_per_s=float(rng.choice([0.8e9, 0.2e9])))
    r = int(rng.choice([16, 64, 256]))
    w = 16384 // r
    th, tw = dies * r, ch * w
    n_out, n_in = int(rng.integers(1, 5 * th)), int(rng.integers(1, 4 * tw))
    n_tiles = -(-n_out // th) * -(-n_in // tw)
    n_rc = int(rng.integers(0, n_tiles + 1))
    m = int(rng.choice([1, 1, 2]))
    counts = np.zeros(N_COUNTS)
    t = gemv(n_out, n_in, m, 8, th, tw, n_rc, p, counts)
    t_ref, c = gemv_ref(n_out, n_in, m, 8, th, tw, n_rc, p.tolist())
    assert t == pytest.approx(t_ref, rel=1e-12)
    assert (counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6]) == (
        c["rc_pages"], c["rd_pages"], c["in_bytes"], c["psum_bytes"], c["w_bytes"], c["core_macs"], c["npu_macs"])
    assert counts[9] == pytest.approx(c["bus_busy"], rel=1e-12)


def test_roofline_is_a_lower_bound_of_the_flash_model() -> None:
    for hw, model in (("cambricon-llm-s", "opt-6.7b"), ("cambricon-llm-l", "llama2-7b")):
        cyc = simulate(hw, model, Scenario(1, 16, 4))
        roof = simulate(hw, model, Scenario(1, 16, 4), fidelity="roofline")
        assert 0 < roof.prefill_s <= cyc.prefill_s
        assert all(0 < r <= c for r, c in zip(roof.decode_step_s, cyc.decode_step_s))
        # in-flash compute: decode is within a few x of the array's page rate, not the channels' 8x slower rate
        assert cyc.decode_step_s[0] < 4 * roof.decode_step_s[0]


def test_a_kv_cache_that_does_not_fit_the_npu_dram_names_it() -> None:
    with pytest.raises(CapacityError) as exc:
        simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, 8, 2), hw_overrides={"npu.dram_capacity": "1 MiB"})
    assert exc.value.key_path == "npu.dram_capacity" and "MiB" in exc.value.message


def test_flash_and_pim_results_flatten_into_one_sweep_row() -> None:
    # the sweep stores Result.flat(); the GEMV plans (a list of records) once broke it
    for hw, model in (("cambricon-llm-s", "opt-6.7b"), ("pimgpt", "gpt2-small")):
        row = simulate(hw, model, Scenario(1, 8, 2)).flat()
        assert row["tokens_per_s"] > 0 and row["sim.gemv_plans.count"] >= 4
        assert row["decode_step_s.max"] >= row["decode_step_s.first"] > 0


def test_whole_page_transfers_delay_read_compute_inputs_when_the_buffer_holds_one_slice() -> None:
    # a one-slice input buffer (256 B = one tile's input on a channel of S) cannot run ahead of a 16 KiB page
    # transfer that holds the bus; 1 KiB slices let the inputs in between (the 2 KiB buffer hides it: 8 slices)
    one = {"flash.compute_core.buffer": "256 B"}
    sliced = simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, 16, 2), hw_overrides=one)
    whole = simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, 16, 2), hw_overrides={**one, "flash.slice": "16 KiB"})
    assert whole.tokens_per_s < 0.97 * sliced.tokens_per_s
    buffered = simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, 16, 2), hw_overrides={"flash.slice": "16 KiB"})
    assert buffered.tokens_per_s == pytest.approx(simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, 16, 2)).tokens_per_s,
                                                  rel=1e-3)


def test_the_slicing_study_compares_the_configured_slice_with_whole_pages() -> None:
    from accelsim.validate.cambricon import GEN, PROMPT, slicing_study

    (row,) = slicing_study(("opt-6.7b",))
    whole = simulate("cambricon-llm-s", "opt-6.7b", Scenario(1, PROMPT, GEN), hw_overrides={"flash.slice": "16384 B"})
    assert row["unsliced_tokens_per_s"] == whole.tokens_per_s
    assert row["speedup"] == pytest.approx(row["tokens_per_s"] / whole.tokens_per_s)
    assert 0 < row["channel_utilization"] <= 1 and (row["paper_low"], row["paper_high"]) == (1.6, 1.8)
