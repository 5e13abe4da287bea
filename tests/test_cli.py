"""The command line: run (--json, --out, --timeline), list, trace, validate."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from conftest import run_cli


def test_run_json_has_the_documented_fields() -> None:
    proc = run_cli("run", "vhk158-flightllm", "llama2-7b", "--prompt", "128", "--gen", "20", "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    for key in ("prefill_s", "decode_s", "e2e_s", "ttft_s", "tpot_s", "tokens_per_s", "decode_step_s", "utilization",
                "bytes", "sim_wall_s", "formats", "cycles", "breakdown_s"):
        assert key in r, key
    assert len(r["decode_step_s"]) == 20
    assert abs(sum(r["decode_step_s"]) - r["decode_s"]) < 1e-9
    assert abs(r["e2e_s"] - r["prefill_s"] - r["decode_s"]) < 1e-9
    assert r["tokens_per_s"] == 20 / r["decode_s"]
    assert set(r["utilization"]) == {"load", "store", "mm", "mv", "sfu"}
    assert all(0 <= u <= 1 for u in r["utilization"].values())
    assert r["bytes"]["hbm"]["read"] > 20 * 3.0e9  # every decode step streams the ~3.3 GB of INT4 weights
    assert r["formats"]["weights"] == "int4" and r["formats"]["sparsity_density"] == {"k_proj": 0.7, "q_proj": 0.7}


def test_run_table_out_and_timeline(tmp_path: Path) -> None:
    out, tl = tmp_path / "out", tmp_path / "tl.json"
    proc = run_cli("run", "vhk158-flightllm", "gpt2-small", "--prompt", "64", "--gen", "8", "--out", str(out),
                   "--timeline", str(tl))
    assert proc.returncode == 0, proc.stderr
    assert "time per output token" in proc.stdout and "tokens/s" in proc.stdout and "ms" in proc.stdout
    j = json.loads((out / "result.json").read_text())
    row = next(csv.DictReader((out / "result.csv").open()))
    assert float(row["e2e_s"]) == j["e2e_s"] and "utilization.mv" in row
    steps = list(csv.DictReader((out / "decode_steps.csv").open()))
    assert len(steps) == 8 and steps[0]["kv_len"] == "65"
    trace = json.loads(tl.read_text())
    ev = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert ev and all({"ts", "dur", "pid", "tid", "name"} <= set(e) for e in ev)
    phases = [e for e in ev if e["tid"] == 0]
    assert [e["name"] for e in phases] == ["prefill"] + [f"decode.{i}" for i in range(1, 9)]
    assert abs(sum(e["dur"] for e in phases) * 1e-6 - j["e2e_s"]) < 1e-9


def test_list_names_shipped_files() -> None:
    proc = run_cli("list")
    assert proc.returncode == 0
    assert "vhk158-flightllm" in proc.stdout and "u280-flightllm" in proc.stdout and "mixtral-8x7b" in proc.stdout


def test_trace_writes_one_step_as_csv(tmp_path: Path) -> None:
    out = tmp_path / "trace.csv"
    proc = run_cli("trace", "vhk158-flightllm", "llama2-7b", "--phase", "decode", "--context", "300", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(out.open()))
    assert {"opcode", "unit", "bytes", "macs", "dep0", "layer", "op", "addr"} <= set(rows[0])
    assert {r["layer"] for r in rows} == {str(i) for i in range(32)}
    assert {r["opcode"] for r in rows} >= {"load", "mv", "sfu", "store"}
    mv_macs = sum(int(r["macs"]) for r in rows if r["opcode"] == "mv")
    assert mv_macs > 6e9  # the whole model's matrix-vector work of one step


def test_roofline_fidelity_is_a_lower_bound() -> None:
    args = ("run", "vhk158-flightllm", "llama2-7b", "--prompt", "128", "--gen", "16", "--json")
    roof = json.loads(run_cli(*args, "--fidelity", "roofline").stdout)
    cyc = json.loads(run_cli(*args).stdout)
    assert 0 < roof["prefill_s"] <= cyc["prefill_s"] and 0 < roof["decode_s"] <= cyc["decode_s"]


def test_out_writes_meta_and_dotted_counters(tmp_path: Path) -> None:
    out = tmp_path / "o"
    proc = run_cli("run", "vhk158-flightllm", "gpt2-small", "--prompt", "32", "--gen", "4", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    meta = json.loads((out / "meta.json").read_text())
    r = json.loads(proc.stdout)
    assert meta["config_hash"] == r["config_hash"] and len(r["config_hash"]) == 16 and meta["accelsim_version"]
    c = r["counters"]
    assert c["unit.mv.instructions"] == r["instructions"]["mv"]
    assert sum(c[f"hbm.ch{i}.bytes_read"] for i in range(32)) == r["bytes"]["hbm"]["read"]
    assert c["unit.mm.busy_cycles"] > 0
