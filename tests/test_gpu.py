"""GPU devices: config schema, the kernel mechanisms and their twin, validation against measured data, the
comparison with FlightLLM's FPGAs, and bad input (a model that does not fit, a precision without tensor cores)."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import typing
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.compare import compare
from accelsim.compiler.gpu import PrecisionFallbackWarning
from accelsim.config import load_hardware, load_workload, shipped
from accelsim.config.gpu import (KERNEL_LATENCY_S, PRECISIONS, SUSTAINED_BANDWIDTH_FRACTION, TENSOR_CORE_EFFICIENCY,
                                 GpuConfig)
from accelsim.engine.registry import gpu_params
from accelsim.errors import CapacityError, MappingError
from accelsim.kernels.gpu import gpu_durations_ps, kernel_utilization
from accelsim.kernels.reference_gpu import gpu_durations_ps_ref, kernel_utilization_ref
from accelsim.simulate import simulate
from accelsim.validate.gpu import fit_gemv_constants, load_gpu_reference, projection_kernel_s, run_gpu
from accelsim.workload import Scenario
from conftest import ROOT, run_cli

GPUS = ("v100s", "a100-40gb", "a100-80gb", "h100-sxm", "h200", "t4")


def _classes(cls: type, seen: set[type] | None = None) -> set[type]:
    seen = set() if seen is None else seen
    if cls in seen:
        return seen
    seen.add(cls)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        for arg in (tp, *typing.get_args(tp)):
            if isinstance(arg, type) and dataclasses.is_dataclass(arg):
                _classes(arg, seen)
    return seen


def test_gpu_hwconfigs_ship_load_and_document_every_field() -> None:
    assert set(GPUS) <= set(shipped("hwconfigs"))
    for name in GPUS:
        hw = load_hardware(name)
        assert isinstance(hw, GpuConfig) and hw.kind == "gpu" and hw.sm.tensor_tflops["fp16"] > 0
        assert hw.memory.bandwidth > 0 and hw.power.idle_w < hw.power.tdp_w
    for cls in _classes(GpuConfig):
        assert cls.__doc__, cls
        for f in dataclasses.fields(cls):
            assert f.metadata.get("help"), f"{cls.__name__}.{f.name} has no help string"
    proc = run_cli("list")
    assert all(name in proc.stdout for name in GPUS)


def test_fitted_constants_are_the_fit_of_the_restated_data() -> None:
    """The two GEMV constants re-fit from accelsim/validate/data (Vidur, 1 token) and the tensor-core efficiency
    from the 4096-token rows (tile/wave model, 128x256 tiles) equal the named constants."""
    frac, lat = fit_gemv_constants()
    assert frac == pytest.approx(SUSTAINED_BANDWIDTH_FRACTION, abs=5e-4)
    assert lat == pytest.approx(KERNEL_LATENCY_S, abs=0.01e-6)
    hw = load_hardware("a100-80gb")
    rate_sm = hw.tensor_rate_flops("fp16") / hw.sm.count
    shapes = {"attn_pre_proj": (3 * 4096, 4096), "attn_post_proj": (4096, 4096), "mlp_up_proj": (22016, 4096),
              "mlp_down_proj": (4096, 11008)}
    effs = []
    for r in load_gpu_reference("calibration"):
        if r["framework"] == "op" and r["prompt"] == "4096":
            n, k = shapes[r["metric"]]
            waves = math.ceil(math.ceil(4096 / 128) * math.ceil(n / 256) / hw.sm.count)
            effs.append(waves * 2 * 128 * 256 * k / rate_sm / (float(r["value"]) * 1e-3))
    assert len(effs) == 4
    assert math.exp(sum(map(math.log, effs)) / 4) == pytest.approx(TENSOR_CORE_EFFICIENCY, abs=5e-4)


_i = st.integers


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(_i(5, 6), _i(0, 3), _i(1, 4096), _i(1, 30000), _i(1, 12000), _i(0, 40), _i(0, 10**9),
                          _i(0, 10**8), _i(0, 300), _i(0, 6), _i(0, 10**10)), min_size=1, max_size=30),
       st.sampled_from(GPUS))
def test_gpu_kernel_matches_reference(rows, gpu) -> None:  # type: ignore[no-untyped-def]
    a = np.array(rows, dtype=np.int64)
    op, func = a[:, 0].copy(), a[:, 1].copy()
    func[op == 6] %= 3
    passes = a[:, 5].copy()
    passes[(op == 6) & (func == 1)] %= 3
    params = gpu_params(load_hardware(gpu))
    args = (op, func, a[:, 2].copy(), a[:, 3].copy(), a[:, 4].copy(), passes, a[:, 6].copy(), a[:, 7].copy(),
            a[:, 8].copy(), a[:, 9].copy(), params)
    got = gpu_durations_ps(*args)
    np.testing.assert_array_equal(got, gpu_durations_ps_ref(*args))
    u = kernel_utilization(op, a[:, 10].copy(), a[:, 6].copy(), a[:, 7].copy(), a[:, 9].copy(), got, params)
    r = kernel_utilization_ref(op, a[:, 10].copy(), a[:, 6].copy(), a[:, 7].copy(), a[:, 9].copy(), got, params)
    np.testing.assert_allclose(u[0], r[0], rtol=1e-12)
    np.testing.assert_allclose(u[1], r[1], rtol=1e-12)


def _kernel_s(hw_name: str, func: int, rows: int, cols: int, red: int, passes: int = 1, read: int = 0,
              written: int = 0, grid: int = 0) -> float:
    p = gpu_params(load_hardware(hw_name))
    one = lambda v: np.array([v], dtype=np.int64)  # noqa: E731
    return float(gpu_durations_ps(one(5), one(func), one(rows), one(cols), one(red), one(passes), one(read),
                                  one(written), one(grid), one(0), p)[0]) * 1e-12


def test_gemm_mechanisms_wave_and_tile_quantisation_and_gemv_efficiency() -> None:
    # compute-bound: one more 128-row tile than fits a wave costs a whole extra wave (A100: 108 SMs)
    k = 8192
    t_full = _kernel_s("a100-80gb", 0, 128 * 6, 256 * 18, k, read=0)   # 108 tiles of 128x256: one wave
    t_over = _kernel_s("a100-80gb", 0, 128 * 6 + 1, 256 * 18, k, read=0)
    assert t_over > 1.1 * t_full
    # GEMV: bandwidth efficiency grows with size towards the sustained fraction (fixed latency amortised)
    peak = load_hardware("a100-80gb").memory.bandwidth
    eff = [b / _kernel_s("a100-80gb", 0, 1, n, 4096, read=b) / peak
           for n, b in ((512, 2 * 512 * 4096), (4096, 2 * 4096 * 4096), (22016, 2 * 22016 * 4096))]
    assert eff[0] < eff[1] < eff[2] < SUSTAINED_BANDWIDTH_FRACTION
    # the Vidur projections at 128 and 512 tokens (validation rows): a regression bound of 25 %; the 10 %
    # target is missed by gate+up at 128 tokens (-24 %, the compute/memory ridge; README, GPU validation)
    hw = load_hardware("a100-80gb")
    for r in load_gpu_reference("validation"):
        if r["framework"] == "op":
            sim = projection_kernel_s(hw, r["metric"], int(r["prompt"])) * 1e3
            assert abs(sim / float(r["value"]) - 1) <= 0.25, (r["case"], sim)


def test_attention_mechanisms() -> None:
    # decode: time grows with the KV bytes; a grid smaller than the SMs' L2 feed limits the bandwidth
    small = _kernel_s("a100-80gb", 3, 32, 1024, 128, read=2 * 1024 * 32 * 128 * 2, grid=32)
    big = _kernel_s("a100-80gb", 3, 32, 4096, 128, read=2 * 4096 * 32 * 128 * 2, grid=32)
    assert big > 3 * (small - KERNEL_LATENCY_S)
    starved = _kernel_s("a100-80gb", 3, 2, 4096, 128, read=2 * 4096 * 2 * 128 * 2, grid=2)
    assert starved > 2 * _kernel_s("a100-80gb", 3, 2, 4096, 128, read=2 * 4096 * 2 * 128 * 2, grid=108)
    # prefill (FA-2): causal work grows quadratically with the prompt
    t1 = _kernel_s("a100-80gb", 2, 32, 2048, 128, passes=2048)
    t2 = _kernel_s("a100-80gb", 2, 32, 4096, 128, passes=4096)
    assert 3.0 < (t2 - KERNEL_LATENCY_S) / (t1 - KERNEL_LATENCY_S) < 4.5


def test_vllm_validation_decode_within_10_percent_and_memory_plan() -> None:
    """Every vLLM decode case within the GPU issue's 10 %; the KV-cache pages vLLM allocated within 5 %; the
    fitted per-op rows within their fit. Prefill misses are bounded and explained (README: 'where it misses')."""
    cases = run_gpu()
    by = {c.case.split(" ")[0]: c for c in cases}
    for name, c in by.items():
        if name.startswith("vllm_") and c.metric == "decode":
            assert abs(c.error_pct) <= 10, (name, c.error_pct)
        if name.startswith("vllm_") and c.metric == "prefill":
            assert -25 <= c.error_pct <= 0, (name, c.error_pct)  # under-predicted: see README
        if "[calib]" in c.case:
            assert c.ok, (name, c.error_pct)
    assert abs(by["vllm_kv_blocks"].error_pct) <= 5
    # HF eager is slower than vLLM for the mechanisms' reasons: more kernels, the KV concat, host launches
    assert by["hf_128_512_decode"].simulated > 1.3 * by["vllm_128_512_decode"].simulated


def test_launch_bound_host_leaves_the_gpu_idle() -> None:
    """With slower host launches the GPU waits: eager HF becomes launch-bound while vLLM's decode does not move."""
    slow = {"framework.torch_op_host": "16 us", "framework.module_call_host": "10 us"}
    sc = Scenario(1, 64, 8)
    hf = simulate("a100-80gb", "llama2-7b", sc, hw_overrides={"framework.name": "hf_eager"})
    hf_slow = simulate("a100-80gb", "llama2-7b", sc, hw_overrides={"framework.name": "hf_eager", **slow})
    vl = simulate("a100-80gb", "llama2-7b", sc)
    vl_slow = simulate("a100-80gb", "llama2-7b", sc, hw_overrides=slow)
    assert hf_slow.sim["gpu_busy_fraction"] < 0.75 < hf.sim["gpu_busy_fraction"]
    assert hf_slow.decode_s > 1.3 * hf.decode_s
    assert vl_slow.decode_s < 1.06 * vl.decode_s  # hidden behind the GEMVs except at the step edges
    assert vl.breakdown_s["decode"]["gpu_idle"] > 0


def test_gpu_run_reports_energy_bytes_and_is_fast_and_deterministic() -> None:
    sc = Scenario(1, 128, 512)
    a = simulate("a100-80gb", "llama2-7b", sc)
    b = simulate("a100-80gb", "llama2-7b", sc)
    assert a.sim_wall_s < 5.0
    da, db = a.to_dict(), b.to_dict()
    da.pop("sim_wall_s"), db.pop("sim_wall_s")
    assert da == db
    hw = load_hardware("a100-80gb")
    assert hw.power.idle_w < a.power_w < hw.power.tdp_w
    assert a.tokens_per_j == pytest.approx(512 / a.energy_j)
    assert a.energy["decode_energy_per_token_j"] > 0 and a.energy["run"]["static_j"] > 0
    # every decode step streams the FP16 weights once (13.5 GB for LLaMA-2-7B)
    assert a.bytes["hbm"]["read"] > 512 * 13.0e9
    assert set(a.utilization) == {"host", "gpu"} and 0.8 < a.utilization["gpu"] <= 1.0
    exact = simulate("a100-80gb", "llama2-7b", Scenario(1, 40, 20), fidelity="exact")
    cycle = simulate("a100-80gb", "llama2-7b", Scenario(1, 40, 20))
    assert exact.decode_step_s == cycle.decode_step_s and exact.prefill_s == cycle.prefill_s
    roof = simulate("a100-80gb", "llama2-7b", Scenario(1, 40, 20), fidelity="roofline")
    assert roof.prefill_s <= cycle.prefill_s and roof.decode_s <= cycle.decode_s


def test_newer_gpus_are_faster_in_decode() -> None:
    sc = Scenario(1, 64, 4)
    tps = {g: simulate(g, "llama2-7b", sc).tokens_per_s for g in ("t4", "v100s", "a100-80gb", "h100-sxm", "h200")}
    assert tps["t4"] < tps["v100s"] < tps["a100-80gb"] < tps["h100-sxm"] < tps["h200"]


def test_model_that_does_not_fit_says_how_much_is_needed() -> None:
    with pytest.raises(CapacityError) as err:
        simulate("a100-80gb", "llama2-70b", Scenario(1, 32, 2))
    msg = str(err.value)
    assert "needs 128." in msg and "GiB weights" in msg and "KV cache" in msg and "71.41 GiB" in msg
    assert err.value.key_path == "memory.capacity" and "a100-80gb.yaml" in (err.value.file or "")
    proc = run_cli("run", "t4", "llama2-13b", "--gen", "2")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "llama2-13b needs" in proc.stderr and "GiB" in proc.stderr and "fix:" in proc.stderr
    # a long context's KV cache can be what does not fit
    with pytest.raises(CapacityError, match="KV cache for 64 x 4000 tokens"):
        simulate("a100-40gb", "llama2-7b", Scenario(64, 3000, 1000))


def _hw_file(tmp_path: Path, name: str, mutate) -> str:  # type: ignore[no-untyped-def]
    d = yaml.safe_load((ROOT / "hwconfigs" / f"{name}.yaml").read_text())
    mutate(d)
    p = tmp_path / f"{name}-variant.yaml"
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    return str(p)


def test_precision_without_tensor_cores_falls_back_with_a_warning_or_errors(tmp_path: Path) -> None:
    sc = Scenario(1, 128, 2)
    # BF16 on a V100S (Volta multiplies FP16 only): warned, and run on the FP32 CUDA cores (much slower prefill)
    bf16 = _hw_file(tmp_path, "v100s", lambda d: d["deployment"]["formats"].update(weights="bf16", activations="bf16"))
    with pytest.warns(PrecisionFallbackWarning, match="no BF16 tensor-core path"):
        slow = simulate(bf16, "llama2-7b", sc)
    assert slow.prefill_s > 2 * simulate("v100s", "llama2-7b", sc).prefill_s
    # FP8 on an A100 (no FP8 tensor cores): widened to FP16 with a warning
    fp8 = _hw_file(tmp_path, "a100-80gb", lambda d: d["deployment"]["formats"].update(weights="fp8_e4m3",
                                                                                      activations="fp8_e4m3"))
    with pytest.warns(PrecisionFallbackWarning, match="runs on FP16 tensor cores"):
        simulate(fp8, "llama2-7b", sc)
    # ... and an error when the config says so
    strict = _hw_file(tmp_path, "v100s", lambda d: (d["deployment"]["formats"].update(weights="bf16",
                                                                                      activations="bf16"),
                                                     d["framework"].update(precision_fallback="error")))
    with pytest.raises(MappingError, match="no BF16 tensor-core path") as err:
        simulate(strict, "llama2-7b", sc)
    assert err.value.key_path == "deployment.formats.activations"
    # a native path gives no warning (FP8 on H100)
    h_fp8 = _hw_file(tmp_path, "h100-sxm", lambda d: d["deployment"]["formats"].update(weights="fp8_e4m3",
                                                                                      activations="fp8_e4m3"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", PrecisionFallbackWarning)
        assert simulate(h_fp8, "llama2-7b", sc).prefill_s < simulate("h100-sxm", "llama2-7b", sc).prefill_s


def test_bad_gpu_config_values_are_reported(tmp_path: Path) -> None:
    bad = _hw_file(tmp_path, "a100-80gb", lambda d: d["sm"]["tensor_tflops"].update(fp61=10))
    proc = run_cli("run", bad, "llama2-7b", "--gen", "1")
    assert proc.returncode == 2 and "sm.tensor_tflops.fp61" in proc.stderr and "unknown tensor-core precision" in proc.stderr
    bad_kind = _hw_file(tmp_path, "a100-80gb", lambda d: d.update(kind="gpuu"))
    proc = run_cli("run", bad_kind, "llama2-7b", "--gen", "1")
    assert proc.returncode == 2 and "did you mean 'gpu'" in proc.stderr


def test_compare_table_csv_png_and_capacity_rows(tmp_path: Path) -> None:
    comp = compare("llama2-13b", ["a100-80gb", "t4", "h100-sxm"], Scenario(1, 64, 8))
    assert comp.row("t4").error and "needs" in comp.row("t4").error
    a, h = comp.row("a100-80gb"), comp.row("h100-sxm")
    assert h.tokens_per_s > a.tokens_per_s and a.cost_per_mtok_usd and a.energy_per_token_j
    table = comp.table()
    assert "does not run" in table and "amortised over 3 years" in table and "$/1M tok" in table
    paths = comp.write(str(tmp_path / "out"))
    rows = list(csv.DictReader(open(paths[0])))
    assert [r["device"] for r in rows] == ["a100-80gb", "t4", "h100-sxm"]
    assert Path(paths[2]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    proc = run_cli("compare", "gpt2-small", "a100-80gb", "v100s", "--prompt", "32", "--gen", "4", "--json")
    assert proc.returncode == 0, proc.stderr
    j = json.loads(proc.stdout)
    assert [r["device"] for r in j["rows"]] == ["a100-80gb", "v100s"] and j["assumptions"]["lifetime_years"] == 3.0
    proc = run_cli("compare", "gpt2-small", "a100-80gb", "--lifetime-years", "0")
    assert proc.returncode == 2 and "--lifetime-years" in proc.stderr


def test_flightllm_comparison_ratios() -> None:
    """FlightLLM (FPGA'24): U280 vs V100S / A100 energy efficiency 6.0x / 4.2x; VHK158 vs A100 throughput 1.2x.
    The mechanisms justify: both FPGAs beat the GPUs in tokens per joule at batch 1 (they stream INT4 weights at
    ~50 W), and the VHK158 decodes LLaMA-2-7B faster than the A100 with vLLM (its INT4 weights at 819 GB/s vs
    FP16 weights at 2 TB/s). The energy ratios come out below the paper's (README explains why)."""
    fast = {"memories.hbm.model": "bandwidth"}  # the FPGAs' artifact bandwidth model (fast; within 3 % of DRAM)
    comp = compare("llama2-7b", ["u280-flightllm", "vhk158-flightllm", "v100s", "a100-80gb"], Scenario(1, 128, 128),
                   hw_overrides={"u280-flightllm": fast, "vhk158-flightllm": fast})
    u280, vhk, v100s, a100 = (comp.row(n) for n in ("u280-flightllm", "vhk158-flightllm", "v100s", "a100-80gb"))
    e_v100s = u280.tokens_per_j / v100s.tokens_per_j
    e_a100 = u280.tokens_per_j / a100.tokens_per_j
    thr = vhk.tokens_per_s / a100.tokens_per_s
    assert 1.5 < e_v100s < 6.0 and 1.5 < e_a100 < 4.2
    assert 1.0 < thr < 1.4  # paper: 1.2x
    assert u280.tokens_per_j > a100.tokens_per_j > v100s.tokens_per_j * 0.9


def test_trace_and_timeline_work_for_gpus(tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    proc = run_cli("trace", "a100-80gb", "llama2-7b", "--phase", "decode", "--context", "200", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(out.open()))
    assert {r["unit"] for r in rows} == {"host", "gpu"} and {r["opcode"] for r in rows} == {"host", "kernel"}
    assert sum(r["op"] == "qkv_proj" and r["opcode"] == "kernel" for r in rows) == 32
    tl = tmp_path / "tl.json"
    proc = run_cli("run", "a100-80gb", "gpt2-small", "--prompt", "16", "--gen", "2", "--timeline", str(tl))
    assert proc.returncode == 0, proc.stderr
    assert any(e.get("name") == "decode step" for e in json.loads(tl.read_text())["traceEvents"])
    assert PRECISIONS[0] == "fp16"


def test_flash_decoding_fills_the_sms_when_heads_are_few() -> None:
    """Paged attention v1 has one CTA per query head: a 12-head model at batch 1 feeds only 12 of the H100's 132
    SMs; FlashDecoding's 512-token partitions restore the bandwidth (and add a reduction kernel)."""
    kv_bytes = 2 * 8192 * 12 * 64 * 2
    v1 = _kernel_s("h100-sxm", 3, 12, 8192, 64, read=kv_bytes, grid=12)
    split = _kernel_s("h100-sxm", 3, 12, 8192, 64, read=kv_bytes, grid=12 * 16)
    assert split - KERNEL_LATENCY_S < 0.5 * (v1 - KERNEL_LATENCY_S)
    sc = Scenario(1, 1000, 8)
    r1 = simulate("h100-sxm", "gpt2-small", sc)
    fd = simulate("h100-sxm", "gpt2-small", sc, hw_overrides={"framework.decode_attention": "flash_decoding"})
    assert fd.breakdown_s["decode"]["attention"] < 0.9 * r1.breakdown_s["decode"]["attention"]
    assert fd.breakdown_s["decode"]["attention_reduce"] > 0 and "attention_reduce" not in r1.breakdown_s["decode"]
