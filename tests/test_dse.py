"""Design-space exploration: experiment expansion, constraints, the result store (failures, resume after a
SIGKILL), a dask LocalCluster giving the local pool's results, Pareto fronts, the sweep and plot commands."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from accelsim.dse import check_axes, expand, load_experiment, pareto_front, pareto_mask, read_results, run_sweep
from accelsim.errors import ConfigError

from conftest import ROOT, run_cli

SMALL = {
    "version": 1, "name": "small", "devices": ["vhk158-flightllm"], "workloads": ["gpt2-small"],
    "scenario": {"batch": 1, "prompt": 16, "gen": 2}, "fidelity": "roofline",
    "sweep": {"axes": {"hw.compute.matrix_engine.mm_parallelism.m": [64, 128],
                       "hw.clocks.main": ["200 MHz", "250 MHz"]},
              "zip": [{"scenario.batch": [1, 2], "scenario.prompt": [16, 32]}]},
    "objectives": [{"metric": "tpot_s", "goal": "min"}, {"metric": "energy_j", "goal": "min"}],
}


def _write(tmp: Path, data: dict, name: str = "exp.yaml") -> str:  # type: ignore[type-arg]
    p = tmp / name
    p.write_text(yaml.safe_dump(data))
    return str(p)


def test_expansion_is_deterministic_and_complete(tmp_path: Path) -> None:
    exp = load_experiment(_write(tmp_path, SMALL))
    pts = expand(exp)
    assert len(pts) == 2 * 2 * 2 and len({p.point_id for p in pts}) == 8
    assert [p.point_id for p in pts] == [p.point_id for p in expand(load_experiment(_write(tmp_path, SMALL)))]
    assert {p.scenario for p in pts} == {(1, 16, 2), (2, 32, 2)}  # zipped axes step together
    rnd = dict(SMALL, sweep={**SMALL["sweep"], "mode": "random", "samples": 3, "seed": 7})
    a = [p.point_id for p in expand(load_experiment(_write(tmp_path, rnd, "r.yaml")))]
    b = [p.point_id for p in expand(load_experiment(_write(tmp_path, rnd, "r2.yaml")))]
    assert a == b and len(a) == 3 and set(a) <= {p.point_id for p in pts}
    shipped = expand(load_experiment("fpga-dsp-hbm-sweep"))
    assert len(shipped) >= 500


@pytest.mark.parametrize("change,where,fragment", [
    ({"sweep": {"axes": {"hw.compute.matrix_engine.mm_paralelism.m": [64]}}}, "sweep.axes", "did you mean"),
    ({"sweep": {"axes": {"hw.clocks.main": []}}}, "sweep.axes.hw.clocks.main", "empty"),
    ({"sweep": {"axes": {"clocks.main": [1]}}}, "sweep.axes.clocks.main", "must start with"),
    ({"constraints": {"limits": [{"field": "tpot_s"}]}}, "constraints.limits[0]", "neither min nor max"),
    ({"constraints": {"limits": [{"field": "tpot_s", "max": "fast"}]}}, "constraints.limits[0].max", "number"),
    ({"sweep": {"zip": [{"hw.clocks.main": [1, 2], "scenario.batch": [1]}]}}, "sweep.zip", "same length"),
    ({"scenario": {"batch": 1, "promt": 4}}, "scenario.promt", "did you mean"),
])
def test_bad_experiments_are_named(tmp_path: Path, change: dict, where: str, fragment: str) -> None:  # type: ignore[type-arg]
    data = {**SMALL, **change}
    with pytest.raises(ConfigError) as e:
        exp = load_experiment(_write(tmp_path, data))
        check_axes(exp, expand(exp))
    assert e.value.key_path is not None and e.value.key_path.startswith(where), e.value
    assert fragment in str(e.value) + str(e.value.hint)


def test_failures_and_constraints_are_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    data = dict(SMALL, sweep={"axes": {"hw.compute.matrix_engine.mm_parallelism.m": [128, 100000],
                                       "hw.memories.hbm.channel_capacity": ["1 GiB", "3 GiB"]}},
                constraints={"limits": [{"field": "hw.clocks.main", "max": 1e9}]})
    exp = load_experiment(_write(tmp_path, data))
    summary = run_sweep(expand(exp), exp, str(tmp_path / "out"), workers=1)
    df = read_results(str(tmp_path / "out"))
    assert summary["total"] == 4 and len(df) == 4
    ok, skipped, failed = (df[df["status"] == s] for s in ("ok", "skipped", "failed"))
    # m = 128 with the DRAM's 1 GiB channels runs; m = 100000 exceeds the part's DSPs; 3 GiB channels
    # contradict the DRAM organisation (an error in the point, recorded, the sweep goes on)
    assert len(ok) == 1 and ok["tpot_s"].iloc[0] > 0 and float(ok["hw.memories.hbm.channel_capacity"].iloc[0]) == 2**30
    assert len(skipped) == 1 and "FPGA part" in skipped["reason"].iloc[0]
    assert len(failed) == 2 and failed["reason"].str.contains("channel_capacity").all()
    meta = (tmp_path / "out" / "meta.json").read_text()
    assert "accelsim_version" in meta and "small" in meta
    # a second run finds every point stored and runs nothing
    again = run_sweep(expand(exp), exp, str(tmp_path / "out"), workers=1)
    assert again["done"] == 4 and len(read_results(str(tmp_path / "out"))) == 4


def test_sigkill_halfway_then_resume_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    data = dict(SMALL, fidelity="cycle", sweep={"axes": {"hw.clocks.main": [f"{f} MHz" for f in range(200, 320, 10)]}})
    path = _write(tmp_path, data)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "accelsim.cli", "sweep", path, "--workers", "1", "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    csv = out / "results.csv"
    deadline = time.time() + 240
    while time.time() < deadline:
        if csv.exists() and len(csv.read_text().splitlines()) >= 4:  # header + at least 3 finished points
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes
    proc.wait()
    partial = read_results(str(out))
    assert 3 <= len(partial) < 12
    r = run_cli("sweep", path, "--workers", "1", "--out", str(out), "--resume")
    assert r.returncode == 0, r.stderr
    final = read_results(str(out))
    assert len(final) == 12 and final["point_id"].is_unique and (final["status"] == "ok").all()
    assert set(partial["point_id"]) <= set(final["point_id"])


def test_dask_local_cluster_gives_the_local_pools_results(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    exp = load_experiment(_write(tmp_path, SMALL))
    pts = expand(exp)[:4]
    run_sweep(pts, exp, str(tmp_path / "local"), workers=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        with distributed.Client(cl) as client:
            run_sweep(pts, exp, str(tmp_path / "dask"), executor=client.get_executor())
    cols = ["point_id", "tpot_s", "prefill_s", "energy_j", "tokens_per_s"]
    a = read_results(str(tmp_path / "local"))[cols].sort_values("point_id").reset_index(drop=True)
    b = read_results(str(tmp_path / "dask"))[cols].sort_values("point_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_unreachable_scheduler_fails_fast_and_writes_nothing(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    t0 = time.time()
    r = run_cli("sweep", _write(tmp_path, SMALL), "--scheduler", "tcp://127.0.0.1:9", "--out", str(out))
    assert r.returncode == 2 and "no dask scheduler answers" in r.stderr and "Traceback" not in r.stderr
    assert time.time() - t0 < 60 and not out.exists()


def test_pareto_front() -> None:
    v = np.array([[1, 5], [2, 3], [3, 4], [4, 1], [2, 3], [np.nan, 0]], dtype=float)
    assert pareto_mask(v, ["min", "min"]).tolist() == [True, True, False, True, True, False]
    assert pareto_mask(v, ["min", "max"]).tolist() == [True, False, False, False, False, False]
    df = pd.DataFrame({"lat": [1.0, 2, 3], "tps": [10.0, 30, 20], "status": ["ok", "ok", "ok"]})
    front = pareto_front(df, [("lat", "min"), ("tps", "max")])
    assert front["lat"].tolist() == [1.0, 2.0]
    with pytest.raises(KeyError, match="did you mean"):
        pareto_front(df, [("latt", "min"), ("tps", "max")])


def test_sweep_and_plot_commands(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run_cli("sweep", _write(tmp_path, SMALL), "--workers", "1", "--out", str(out), "--max-points", "3")
    assert r.returncode == 0, r.stderr
    assert len(read_results(str(out))) == 3
    p = run_cli("plot", str(out), "--x", "tpot_s", "--y", "energy_j", "--color", "hw.clocks.main")
    assert p.returncode == 0, p.stderr
    assert (out / "energy_j_vs_tpot_s.png").stat().st_size > 1000
    bad = run_cli("plot", str(out), "--x", "tpot", "--y", "energy_j")
    assert bad.returncode == 2 and "did you mean 'tpot_s'" in bad.stderr


def test_fidelity_override_keeps_the_file_and_separates_the_points() -> None:
    from accelsim.dse.experiment import expand, load_experiment, with_fidelity

    exp = load_experiment("fpga-dsp-hbm-sweep")
    roof = with_fidelity(exp, "roofline")
    assert roof.fidelity == "roofline" and roof.file == exp.file and exp.fidelity == "cycle"
    a, b = expand(exp)[0], expand(roof)[0]
    assert a.point_id != b.point_id and b.fidelity == "roofline"
    assert with_fidelity(exp, None) is exp
    with pytest.raises(ConfigError) as info:
        with_fidelity(exp, "fast")
    assert info.value.key_path == "fidelity" and "roofline" in info.value.hint


def test_shipped_experiments_expand() -> None:
    from accelsim.dse.experiment import expand, load_experiment

    sizes = {name: len(expand(load_experiment(name)))
             for name in ("fpga-dsp-hbm-sweep", "fpga-vs-gpu-vs-pim", "quant-formats")}
    assert sizes["fpga-vs-gpu-vs-pim"] == 21 and sizes["quant-formats"] == 15
    assert sizes["fpga-dsp-hbm-sweep"] >= 500
