"""Bad input through the command line: one clear message naming file, key path and fix; exit 2; no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_cli


def _hw(tmp_path: Path, mutate) -> str:  # type: ignore[no-untyped-def]
    d = yaml.safe_load((ROOT / "hwconfigs" / "vhk158-flightllm.yaml").read_text())
    mutate(d)
    p = tmp_path / "bad-hw.yaml"
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    return str(p)


def _check(proc, *fragments: str) -> None:  # type: ignore[no-untyped-def]
    assert proc.returncode == 2, proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    err = proc.stderr.strip()
    assert err.startswith("accelsim: error:"), err
    for f in fragments:
        assert f in err, (f, err)


def test_malformed_yaml(tmp_path: Path) -> None:
    p = tmp_path / "broken.yaml"
    p.write_text("version: 1\nname: x\nclocks:\n  main: [225 MHz\n")
    _check(run_cli("run", str(p), "llama2-7b", "--gen", "1"), str(p), "malformed YAML", "fix:")


def test_unknown_key_with_did_you_mean(tmp_path: Path) -> None:
    path = _hw(tmp_path, lambda d: d["memories"]["hbm"].update(chanels=32))
    _check(run_cli("run", path, "llama2-7b", "--gen", "1"), path, "memories.hbm.chanels", "did you mean 'channels'")


def test_missing_required_field(tmp_path: Path) -> None:
    path = _hw(tmp_path, lambda d: d["compute"].pop("sfu"))
    _check(run_cli("run", path, "llama2-7b", "--gen", "1"), path, "compute", "missing required key 'sfu'", "fix:")


@pytest.mark.parametrize("key,value", [("channels", 0), ("channels", -8)])
def test_zero_or_negative_size(tmp_path: Path, key: str, value: int) -> None:
    path = _hw(tmp_path, lambda d: d["memories"]["hbm"].update({key: value}))
    _check(run_cli("run", path, "llama2-7b", "--gen", "1"), path, f"memories.hbm.{key}", "greater than zero")


def test_unit_that_does_not_parse(tmp_path: Path) -> None:
    path = _hw(tmp_path, lambda d: d["clocks"].update(main="225 MBs"))
    _check(run_cli("run", path, "llama2-7b", "--gen", "1"), path, "clocks.main", "frequency", "225 MHz")


def test_workload_does_not_fit_memory() -> None:
    proc = run_cli("run", "u280-flightllm", "llama2-70b", "--gen", "1")
    _check(proc, "u280-flightllm.yaml", "memories.hbm.channel_capacity", "GiB", "fix:")


def test_shape_that_cannot_be_tiled(tmp_path: Path) -> None:
    path = _hw(tmp_path, lambda d: d["buffers"]["a_buffer"].update(depth=1))
    _check(run_cli("run", path, "llama2-7b", "--gen", "1"), path, "buffers", "does not fit", "fix:")


def test_context_longer_than_the_model() -> None:
    _check(run_cli("run", "vhk158-flightllm", "gpt2-small", "--prompt", "1000", "--gen", "100"), "1024 positions")


def test_unknown_name_and_bad_numbers() -> None:
    _check(run_cli("run", "vhk158-flightlm", "llama2-7b"), "did you mean 'vhk158-flightllm'")
    proc = run_cli("run", "vhk158-flightllm", "llama2-7b", "--batch", "0")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "must be at least 1" in proc.stderr
