"""Energy, power and FPGA resources of a run: what `accelsim run` reports and how it is formed."""

from __future__ import annotations

import json

import pytest
import yaml

from accelsim.config import load_hardware
from accelsim.errors import ConfigError
from accelsim.simulate import simulate
from accelsim.stats.device import check_part_fit, device_energy, fpga_resources
from accelsim.workload import Scenario

from conftest import ROOT, run_cli

SC = Scenario(1, 64, 8)


@pytest.fixture(scope="module")
def vhk():  # type: ignore[no-untyped-def]
    return simulate("vhk158-flightllm", "gpt2-medium", SC)


def test_energy_adds_up(vhk) -> None:  # type: ignore[no-untyped-def]
    e = vhk.energy["run"]
    parts = e["compute_j"] + e["sfu_j"] + e["buffers_j"] + e["dram_j"] + e["static_j"]
    assert vhk.energy_j == pytest.approx(parts, rel=1e-12)
    assert vhk.power_w == pytest.approx(vhk.energy_j / vhk.e2e_s)
    assert vhk.tokens_per_j == pytest.approx(SC.gen / vhk.energy_j)
    assert e["static_j"] == pytest.approx(40.0 * vhk.e2e_s)  # the hwconfig's 40 W static power
    # the off-chip part is the cycle-level DRAM model's IDD-based energy
    assert e["dram_j"] == pytest.approx(vhk.memory["hbm"]["energy_j"], rel=1e-9)
    # phases partition the run (static x time and every action)
    pre, dec = vhk.energy["prefill"], vhk.energy["decode"]
    assert pre["energy_j"] + dec["energy_j"] == pytest.approx(vhk.energy_j, rel=1e-6)
    assert vhk.energy["decode_energy_per_token_j"] == pytest.approx(dec["energy_j"] / SC.gen)


def test_busy_engines_cost_energy_in_proportion(vhk) -> None:  # type: ignore[no-untyped-def]
    """Compute energy = busy cycles x MACs per cycle x SLRs x the DSP58 INT8 MAC energy of the tables."""
    from accelsim.stats.energy import fpga_mac_energy_pj

    hw = load_hardware("vhk158-flightllm")
    me = hw.compute.matrix_engine
    slots = (vhk.counters["unit.mm.busy_cycles"] * me.mm_parallelism.macs_per_cycle
             + vhk.counters["unit.mv.busy_cycles"] * me.mv_parallelism.macs_per_cycle) * hw.slrs.count
    assert vhk.energy["run"]["compute_j"] == pytest.approx(slots * fpga_mac_energy_pj("INT8", "xcvh1582") * 1e-12,
                                                           rel=1e-6)


def test_swapping_the_tables_needs_no_rerun(vhk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from accelsim.config.energy import load_energy_tables

    src = (ROOT / "accelsim" / "config" / "energy_tables.yaml").read_text()
    d = yaml.safe_load(src)
    d["fpga"]["energy"]["hard_block_overhead"]["value"] = 3.0
    p = tmp_path / "tables.yaml"
    p.write_text(yaml.safe_dump(d))
    hw = load_hardware("vhk158-flightllm")
    base = device_energy(hw, vhk.counters, vhk.e2e_s, vhk.formats, vhk.memory, vhk.bytes)
    more = device_energy(hw, vhk.counters, vhk.e2e_s, vhk.formats, vhk.memory, vhk.bytes,
                         tables=load_energy_tables(str(p)))
    assert base is not None and more is not None
    assert base.energy_j == pytest.approx(vhk.energy_j)
    assert more.compute_j == pytest.approx(3 * base.compute_j) and more.static_j == base.static_j


def test_fpga_resources_fit_both_parts() -> None:
    for name in ("vhk158-flightllm", "u280-flightllm"):
        hw = load_hardware(name)
        fit = check_part_fit(hw)
        assert 0.5 < fit["utilization"]["dsp"] < 1.0 and all(u <= 1.0 for u in fit["utilization"].values())
    # the A buffer: 128 banks of 4096 x 128 bit per SLR; one URAM288 is 4K x 72, so 2 per bank
    hw = load_hardware("u280-flightllm")
    assert fpga_resources(hw).uram == 3 * 128 * 2


def test_a_design_too_large_for_its_part_names_the_resource(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as e:
        check_part_fit(load_hardware("u280-flightllm", {"buffers.a_buffer.banks": 256}))
    assert e.value.key_path == "part.uram" and "exceeded by" in str(e.value) and e.value.hint
    d = yaml.safe_load((ROOT / "hwconfigs" / "u280-flightllm.yaml").read_text())
    d["compute"]["sfu"]["lanes"] = 600
    p = tmp_path / "big.yaml"
    p.write_text(yaml.safe_dump(d))
    r = run_cli("run", str(p), "gpt2-small", "--prompt", "16", "--gen", "1")
    # 600 lanes x 3 SLRs need more DSPs and more LUTs than the part has: both are named, the first is the key
    assert r.returncode == 2 and str(p) in r.stderr and "Traceback" not in r.stderr
    assert "part.dsp" in r.stderr and "dsp: uses" in r.stderr and "lut: uses" in r.stderr


def test_cli_json_reports_energy_and_area() -> None:
    r = run_cli("run", "u280-flightllm", "gpt2-small", "--prompt", "32", "--gen", "4", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    for key in ("energy_j", "tokens_per_j", "power_w", "energy", "area"):
        assert key in d
    assert d["energy_j"] > 0 and d["area"]["used"]["dsp"] > 0 and d["energy"]["technology"] == "xcu280"


def test_no_power_section_no_energy() -> None:
    r = simulate("vhk158-flightllm", "gpt2-small", Scenario(1, 16, 1), hw_overrides={"power": None})
    assert r.energy_j is None and r.energy == {}


def test_asic_area_at_a_node() -> None:
    """The same engine as an ASIC at 7 nm: MAC units + SRAM buffers in mm2 (and energy at that node)."""
    ov = {"part": None, "power.technology": "7nm", "power.static_w": "1 W",
          **{f"buffers.{b}.kind": "sram" for b in ("a_buffer", "b_buffer", "global_buffer")}}
    r = simulate("vhk158-flightllm", "gpt2-small", Scenario(1, 16, 2), hw_overrides=ov)
    a = r.area
    assert a["node"] == "7nm" and a["mm2"] == pytest.approx(a["mac_mm2"] + a["sram_mm2"])
    assert a["mac_units"] == 4 * 4096 and a["sram_bytes"] > 30 * 2**20
    r16 = simulate("vhk158-flightllm", "gpt2-small", Scenario(1, 16, 2), hw_overrides={**ov, "power.technology": "16nm"})
    assert r16.area["mm2"] > a["mm2"] and r16.energy["run"]["compute_j"] > r.energy["run"]["compute_j"]
