"""Every YAML in the repository loads, and every workload runs on every device it fits (tiny scenario)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from accelsim.config import load_hardware, load_workload, shipped
from accelsim.errors import CapacityError
from accelsim.simulate import simulate
from accelsim.workload import Scenario, resolve_numerics

ROOT = Path(__file__).resolve().parent.parent


def test_every_yaml_parses() -> None:
    files = [p for p in ROOT.rglob("*.yaml") if ".git" not in p.parts and "venv" not in str(p)]
    assert files
    for p in files:
        assert isinstance(yaml.safe_load(p.read_text()), dict), p


@pytest.mark.parametrize("hw", shipped("hwconfigs"))
@pytest.mark.parametrize("model", shipped("workloads"))
def test_every_workload_on_every_device(hw: str, model: str) -> None:
    m, h = load_workload(model), load_hardware(hw)
    try:
        r = simulate(hw, model, Scenario(1, 32, 2))
    except CapacityError as exc:
        # only models whose weights really exceed the device memory may be refused (FPGAs: INT4 weights; GPUs:
        # the deployment's weight format in the memory the framework may use)
        per_param = 0.5 if h.kind == "fpga" else resolve_numerics(m, h.deployment).weight_bits / 8
        usable = getattr(h, "usable_memory_bytes", h.weight_memory.capacity_bytes)
        assert "GiB" in exc.message and usable < m.published_parameters * per_param + 1
        return
    assert r.prefill_s > 0 and len(r.decode_step_s) == 2 and all(s > 0 for s in r.decode_step_s)
    assert r.e2e_s == pytest.approx(r.prefill_s + r.decode_s)
