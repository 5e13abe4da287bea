"""Energy and area tables (accelsim/config/energy_tables.yaml) and the counts x tables layer (accelsim.stats.energy)."""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from accelsim.config.energy import ENERGY_TABLES_FILE, EnergyTables, iter_constants, load_energy_tables
from accelsim.errors import ConfigError
from accelsim.stats.energy import (
    ActionCounts, BufferTraffic, FpgaResources, OffchipTraffic, asic_area_mm2, buffer_primitives_per_bank,
    buffer_resources, check_fpga_fit, dsp_chain_engine_resources, dsp_rule, energy_breakdown, fp_mult_energy_pj,
    fpga_mac_energy_pj, fpga_memory_energy_pj_per_byte, int_add_energy_pj, int_mult_energy_pj, mac_area_um2,
    mac_energy_pj, node_nm, offchip_energy_pj_per_byte, op_energy_pj, regfile_energy_pj_per_byte, sfu_op_energy_pj,
    sfu_resources, sram_area_mm2, sram_energy_pj_per_byte,
)

PRECISIONS_BY_WIDTH = ["INT2", "INT4", "INT8", "FP8", "BF16", "FP16", "FP32"]
NODES_LARGE_TO_SMALL = ["45nm", "28nm", "16nm", "7nm"]


@pytest.fixture(scope="module")
def tables() -> EnergyTables:
    return load_energy_tables()


def _raw() -> dict[str, Any]:
    with open(ENERGY_TABLES_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _write(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "tables.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


# ------------------------------------------------------------------------------------------------ loading
def test_tables_load_and_every_constant_has_a_source(tables: EnergyTables) -> None:
    consts = list(iter_constants(tables))
    assert len(consts) > 60
    for path, c in consts:
        assert c.source.strip(), path
        assert c.value is None or c.value >= 0, path
    # every number in the file sits in a mapping (or under one) that names its source, or next to a sourced
    # constant it qualifies (an SRAM point's capacity, an operation's width)
    problems: list[str] = []

    def walk(node: Any, path: str, covered: bool) -> None:
        if isinstance(node, dict):
            here = covered or any(k == "source" or str(k).endswith("_source") for k in node) or any(
                isinstance(v, dict) and "source" in v for v in node.values())
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k), here)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]", covered)
        elif isinstance(node, (int, float)) and not isinstance(node, bool) and path != "version" and not covered:
            problems.append(path)

    walk(_raw(), "", False)
    assert not problems, problems
    assert tables.version == 1 and tables.file == str(ENERGY_TABLES_FILE)
    # sources cite the bibliography by key (horowitz2014, ug573, ...): every key cited exists
    cited = set()
    for _, c in consts:
        cited |= set(re.findall(r"\b([a-z]+(?:19|20)\d\d(?:_[a-z]+)?|(?:ug|am|ds|wp)\d{3,4})\b", c.source))
    assert cited and cited <= set(tables.references), sorted(cited - set(tables.references))
    # the parts the brief names, with the counts of their data sheets / product tables
    u280, vh = tables.fpga.parts["xcu280"], tables.fpga.parts["xcvh1582"]
    assert (u280.dsp.value, u280.bram36.value, u280.uram.value, u280.lut.value) == (9024, 2016, 960, 1303680)
    assert (vh.dsp.value, vh.bram36.value, vh.uram.value, vh.lut.value) == (7392, 2541, 1301, 1753984)
    assert u280.board_max_power_w.value == 225


@pytest.mark.parametrize("mutate, key_path, words", [
    (lambda d: d["asic"]["arithmetic"]["int8_add"].__setitem__("energy_45nm_pjj", {"value": 1, "source": "x"}),
     "asic.arithmetic.int8_add.energy_45nm_pjj", "unknown key"),
    (lambda d: d["asic"]["arithmetic"]["int8_add"]["energy_45nm_pj"].pop("source"),
     "asic.arithmetic.int8_add.energy_45nm_pj", "missing required key 'source'"),
    (lambda d: d["fpga"]["parts"]["xcu280"]["dsp"].__setitem__("source", "  "),
     "fpga.parts.xcu280.dsp.source", "empty source"),
    (lambda d: d["asic"]["arithmetic"]["int8_mult"]["energy_45nm_pj"].__setitem__("value", -0.2),
     "asic.arithmetic.int8_mult.energy_45nm_pj.value", "must not be negative"),
    (lambda d: d["asic"]["precisions"]["INT8"].__setitem__("accumulator", "int64_add"),
     "asic.precisions.INT8.accumulator", "unknown operation"),
    (lambda d: d["asic"]["precisions"]["FP16"].__setitem__("kind", "float"),
     "asic.precisions.FP16.kind", "is not one of"),
    (lambda d: d["fpga"]["parts"]["xcu280"].__setitem__("family", "virtex7"),
     "fpga.parts.xcu280.family", "unknown FPGA family"),
    (lambda d: d["fpga"]["parts"]["xcu280"]["dsp"].__setitem__("value", 9024.5),
     "fpga.parts.xcu280.dsp.value", "whole number"),
    (lambda d: d["asic"]["sram"]["read_45nm"].reverse(), "asic.sram.read_45nm", "ascending"),
    (lambda d: d.__setitem__("version", 2), "version", "at most 1"),
])
def test_bad_tables_give_config_error_with_key_path(tmp_path: Path, mutate: Any, key_path: str, words: str) -> None:
    data = copy.deepcopy(_raw())
    mutate(data)
    with pytest.raises(ConfigError) as exc:
        load_energy_tables(_write(tmp_path, data))
    err = exc.value
    assert err.key_path == key_path, str(err)
    assert words in err.message, str(err)
    assert err.file and err.file.endswith("tables.yaml") and err.hint


def test_unknown_names_in_the_api_raise_config_error(tables: EnergyTables) -> None:
    with pytest.raises(ConfigError) as exc:
        mac_energy_pj("INT3", "7nm", tables)
    assert exc.value.key_path == "asic.precisions" and "did you mean 'INT" in (exc.value.hint or "")
    with pytest.raises(ConfigError, match="technology node"):
        mac_energy_pj("INT8", "5nm", tables)
    with pytest.raises(ConfigError, match="FPGA part"):
        fpga_mac_energy_pj("INT8", "xcu250", tables)
    with pytest.raises(ConfigError, match="off-chip memory kind"):
        offchip_energy_pj_per_byte("gddr7", tables)
    with pytest.raises(ConfigError, match="no dsp48e2 rule"):
        dsp_rule(16, "dsp48e2", "fp", tables)
    assert node_nm("7 nm", tables) == node_nm(7, tables) == ("7nm", 7.0)


# ------------------------------------------------------------------------------------------------ energies
def test_published_anchors_are_reproduced(tables: EnergyTables) -> None:
    assert op_energy_pj("int8_mult", "45nm", tables) == pytest.approx(0.2)
    assert op_energy_pj("int8_mult", "7nm", tables) == pytest.approx(0.07)
    assert op_energy_pj("fp32_add", "7nm", tables) == pytest.approx(0.38)
    # no 7 nm figure: fp16_mult follows fp32_mult's 45 -> 7 nm ratio
    assert op_energy_pj("fp16_mult", "7nm", tables) == pytest.approx(1.1 * 1.31 / 3.7)
    assert mac_energy_pj("INT8", "45nm", tables) == pytest.approx(0.2 + 0.1)
    assert mac_energy_pj("FP16", "45nm", tables) == pytest.approx(1.1 + 0.9)
    assert mac_energy_pj("FP32", "7nm", tables) == pytest.approx(1.31 + 0.38)
    assert mac_energy_pj("INT4", "45nm", tables) == pytest.approx(0.2 / 4 + 0.1)  # multiplier energy ~ bits^2
    assert mac_energy_pj("INT2", "45nm", tables) == pytest.approx(0.2 / 16 + 0.1)
    # the FP fit A + B*m^2 passes through its anchors and orders the narrow formats
    assert fp_mult_energy_pj(11, "45nm", tables) == pytest.approx(1.1)
    assert fp_mult_energy_pj(24, "45nm", tables) == pytest.approx(3.7)
    assert fp_mult_energy_pj(4, "45nm", tables) < fp_mult_energy_pj(8, "45nm", tables) < 1.1
    assert int_mult_energy_pj(27, 18, "45nm", tables) == pytest.approx(3.1 * 27 * 18 / 32 ** 2)
    assert int_add_energy_pj(48, "45nm", tables) == pytest.approx(0.1 * 48 / 32)


def test_energies_scale_the_right_way(tables: EnergyTables) -> None:
    for node in NODES_LARGE_TO_SMALL:
        macs = [mac_energy_pj(p, node, tables) for p in PRECISIONS_BY_WIDTH]
        assert macs == sorted(macs) and len(set(macs)) == len(macs), (node, macs)  # wider precision costs more
        sram = [sram_energy_pj_per_byte(c, node, tables) for c in (8 << 10, 32 << 10, 256 << 10, 1 << 20, 8 << 20)]
        assert sram == sorted(sram) and sram[0] < sram[-1], (node, sram)  # larger SRAM costs more per byte
        assert regfile_energy_pj_per_byte(node, tables) < sram_energy_pj_per_byte(8 << 10, node, tables)
        assert sfu_op_energy_pj("FP16", node, tables) > mac_energy_pj("FP16", node, tables) > 0
    for p in PRECISIONS_BY_WIDTH:  # smaller node costs less
        e = [mac_energy_pj(p, n, tables) for n in NODES_LARGE_TO_SMALL]
        assert e == sorted(e, reverse=True) and len(set(e)) == len(e), (p, e)
    for cap in (8 << 10, 64 << 10, 1 << 20):
        e = [sram_energy_pj_per_byte(cap, n, tables) for n in NODES_LARGE_TO_SMALL]
        assert e == sorted(e, reverse=True), (cap, e)


def test_sram_capacity_interpolation(tables: EnergyTables) -> None:
    # log-linear between Horowitz's 8 KB (10 pJ) and 32 KB (20 pJ) 64-bit reads: 16 KB -> 15 pJ -> 1.875 pJ/B
    assert sram_energy_pj_per_byte(16 << 10, "45nm", tables) == pytest.approx(15 / 8)
    assert sram_energy_pj_per_byte(1 << 20, "45nm", tables) == pytest.approx(100 / 8)
    assert sram_energy_pj_per_byte(1 << 20, "7nm", tables) == pytest.approx(14 / 8)
    # no extrapolation below the smallest published array
    assert sram_energy_pj_per_byte(512, "45nm", tables) == sram_energy_pj_per_byte(8 << 10, "45nm", tables)
    # 16 nm lies between the anchors, geometrically (asic.technology.rule)
    w = math.log(45 / 16) / math.log(45 / 7)
    assert sram_energy_pj_per_byte(8 << 10, "16nm", tables) == pytest.approx(10 ** (1 - w) * 7.5 ** w / 8)
    assert sram_energy_pj_per_byte(8 << 10, "45nm", tables, write=True) == pytest.approx(10 / 8)


def test_derived_fpga_energies_follow_their_derivation(tables: EnergyTables) -> None:
    """The FPGA numbers in the shipped YAML are the stated derivations from the shipped ASIC tables."""
    d48, d58, e = tables.fpga.dsp["dsp48e2"], tables.fpga.dsp["dsp58"], tables.fpga.energy
    op48 = int_mult_energy_pj(27, 18, "16nm", tables) + int_add_energy_pj(48, "16nm", tables)
    assert d48.int8_mac_pj.value == pytest.approx(op48 / 2, rel=5e-3)
    assert d48.native_mac_pj.value == pytest.approx(op48, rel=5e-3)
    int8_58 = 3 * int_mult_energy_pj(9, 8, "7nm", tables) + int_add_energy_pj(58, "7nm", tables)
    assert d58.int8_mac_pj.value == pytest.approx(int8_58 / 3, rel=5e-3)
    native58 = int_mult_energy_pj(27, 24, "7nm", tables) + int_add_energy_pj(58, "7nm", tables)
    assert d58.native_mac_pj.value == pytest.approx(native58, rel=5e-3)
    assert d58.fp_mac_pj is not None and d58.fp_mac_pj.value == pytest.approx(mac_energy_pj("FP32", "7nm", tables))
    for fam, node in (("ultrascale_plus", "16nm"), ("versal", "7nm")):
        bram_bytes = int(tables.fpga.families[fam].bram36_bits.value) // 8
        uram_bytes = int(tables.fpga.families[fam].uram_bits.value) // 8
        assert e.bram36_pj_per_byte[fam].value == pytest.approx(sram_energy_pj_per_byte(bram_bytes, node, tables),
                                                                rel=5e-3)
        assert e.uram_pj_per_byte[fam].value == pytest.approx(sram_energy_pj_per_byte(uram_bytes, node, tables),
                                                              rel=5e-3)


def test_fpga_energies(tables: EnergyTables) -> None:
    assert fpga_mac_energy_pj("INT8", "xcu280", tables) == pytest.approx(0.4489)
    assert fpga_mac_energy_pj("INT4", "xcvh1582", tables) == pytest.approx(0.09441)  # packed INT8 mode
    assert fpga_mac_energy_pj("FP16", "xcvh1582", tables) == pytest.approx(1.69)  # DSPFP32
    # no hard floating point on a DSP48E2: soft logic, 14x the ASIC MAC at 16 nm
    assert fpga_mac_energy_pj("FP16", "xcu280", tables) == pytest.approx(14 * mac_energy_pj("FP16", "16nm", tables))
    assert fpga_memory_energy_pj_per_byte("uram", "xcu280", tables) > fpga_memory_energy_pj_per_byte("bram", "xcu280",
                                                                                                      tables)
    assert fpga_memory_energy_pj_per_byte("bram", "versal", tables) < fpga_memory_energy_pj_per_byte(
        "bram", "ultrascale_plus", tables)


# ------------------------------------------------------------------------------------------------ a run
def test_energy_breakdown_is_the_sum_of_its_parts(tables: EnergyTables) -> None:
    counts = ActionCounts(
        macs={("mm", "INT8"): 10 ** 12, ("mv", "INT8"): 2 * 10 ** 11, ("mv", "FP16"): 10 ** 9},
        sfu_ops={"FP16": 5 * 10 ** 8},
        buffers={"a": BufferTraffic(1 << 20, "sram", bytes_read=10 ** 10, bytes_written=10 ** 9),
                 "rf": BufferTraffic(512, "regfile", bytes_read=10 ** 11)},
        offchip={"hbm": OffchipTraffic("hbm2", bytes_read=7 * 10 ** 9, bytes_written=10 ** 8),
                 "ddr": OffchipTraffic("ddr4", bytes_read=10 ** 8)},
        dram_energy_pj={"hbm": 2.5e11},
        seconds=0.5, static_power_w=20.0)
    b = energy_breakdown(counts, tables, "7nm")
    pj = 1e-12
    assert b.by_unit_j["mm"] == pytest.approx(1e12 * mac_energy_pj("INT8", "7nm", tables) * pj)
    assert b.by_unit_j["mv"] == pytest.approx((2e11 * mac_energy_pj("INT8", "7nm", tables)
                                               + 1e9 * mac_energy_pj("FP16", "7nm", tables)) * pj)
    assert b.sfu_j == pytest.approx(5e8 * sfu_op_energy_pj("FP16", "7nm", tables) * pj)
    assert b.by_buffer_j["a"] == pytest.approx(1.1e10 * sram_energy_pj_per_byte(1 << 20, "7nm", tables) * pj)
    assert b.by_buffer_j["rf"] == pytest.approx(1e11 * regfile_energy_pj_per_byte("7nm", tables) * pj)
    assert b.by_memory_j["hbm"] == pytest.approx(0.25)  # the DRAM model's energy wins over bytes x table
    assert b.by_memory_j["ddr"] == pytest.approx(1e8 * 162.5 * pj)
    assert b.static_j == pytest.approx(10.0)
    parts = b.compute_j + b.sfu_j + b.buffers_j + b.dram_j + b.static_j
    assert b.energy_j == pytest.approx(parts)
    assert b.compute_j == pytest.approx(sum(b.by_unit_j.values()))
    assert b.power_w * counts.seconds == pytest.approx(b.energy_j)
    assert b.power_w > counts.static_power_w
    assert b.tokens_per_j(512) == pytest.approx(512 / b.energy_j)
    row = b.to_dict()
    assert row["energy_j"] == pytest.approx(b.energy_j) and row["unit.mm_j"] == pytest.approx(b.by_unit_j["mm"])
    assert b.to_frame().shape[0] == 1
    # the same counts cost more at an older node (static energy is the same)
    assert energy_breakdown(counts, tables, "45nm").dynamic_j > b.dynamic_j


def test_energy_breakdown_on_an_fpga_part(tables: EnergyTables) -> None:
    counts = ActionCounts(macs={("mm", "INT8"): 10 ** 9}, sfu_ops={"FP16": 10 ** 6},
                          buffers={"a": BufferTraffic(8 << 20, "uram", bytes_read=10 ** 8),
                                   "g": BufferTraffic(1 << 20, "bram", bytes_written=10 ** 7)},
                          seconds=1e-3, static_power_w=0.0)
    b = energy_breakdown(counts, tables, "xcvh1582")
    assert b.technology == "xcvh1582"
    assert b.compute_j == pytest.approx(1e9 * 0.09441e-12)
    assert b.sfu_j == pytest.approx(1e6 * 4 * 1.69e-12)
    assert b.by_buffer_j["a"] == pytest.approx(1e8 * 1.189e-12)
    assert b.by_buffer_j["g"] == pytest.approx(1e7 * 0.9375e-12)
    assert b.static_j == 0.0 and b.energy_j == pytest.approx(b.dynamic_j)
    with pytest.raises(ConfigError, match="FPGA memory"):
        energy_breakdown(counts, tables, "7nm")


def test_counts_are_checked() -> None:
    with pytest.raises(ValueError):
        ActionCounts(macs={("mm", "INT8"): -1})
    with pytest.raises(ValueError):
        BufferTraffic(1024, "dram")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        energy_breakdown(ActionCounts(macs={("mm", "INT8"): 1})).power_w  # no elapsed time


# ------------------------------------------------------------------------------------------------ area
def test_asic_area(tables: EnergyTables) -> None:
    assert mac_area_um2("INT8", "45nm", tables) == pytest.approx(282 + 137)
    a = [mac_area_um2("INT8", n, tables) for n in NODES_LARGE_TO_SMALL]
    assert a == sorted(a, reverse=True)
    assert [mac_area_um2(p, "7nm", tables) for p in ("INT4", "INT8", "FP16", "FP32")] == sorted(
        mac_area_um2(p, "7nm", tables) for p in ("INT4", "INT8", "FP16", "FP32"))
    mib = 1 << 20
    assert sram_area_mm2(mib, "7nm", tables) == pytest.approx(mib * 8 * 0.027 / 0.7 / 1e6)
    total = asic_area_mm2({"INT8": 4096, "FP16": 64}, 8 * mib, "7nm", tables)
    macs_um2 = 4096 * mac_area_um2("INT8", "7nm", tables) + 64 * mac_area_um2("FP16", "7nm", tables)
    assert total == pytest.approx(macs_um2 / 1e6 + sram_area_mm2(8 * mib, "7nm", tables))


# ------------------------------------------------------------------------------------------------ FPGA resources
@pytest.mark.parametrize("depth, width, kind, family, expected, aspect", [
    (1024, 36, "bram", "ultrascale_plus", 1, (1024, 36)),
    (512, 72, "bram", "ultrascale_plus", 1, (512, 72)),
    (32768, 1, "bram", "ultrascale_plus", 1, (32768, 1)),
    (2048, 72, "bram", "ultrascale_plus", 4, (512, 72)),      # 4 with any of 512x72, 1Kx36, 2Kx18; widest wins
    (4096, 128, "bram", "ultrascale_plus", 15, (4096, 9)),    # 128 / 9 -> 15 side by side beats 16 of the others
    (100, 8, "bram", "ultrascale_plus", 1, (512, 72)),
    (4096, 72, "uram", "ultrascale_plus", 1, (4096, 72)),
    (8192, 72, "uram", "ultrascale_plus", 2, (4096, 72)),     # cascade two for depth
    (4096, 128, "uram", "ultrascale_plus", 2, (4096, 72)),
    (32768, 1, "bram", "versal", 8, (4096, 9)),               # no 32Kx1 on Versal: 8 deep
    (16384, 16, "uram", "versal", 1, (16384, 18)),
    (32768, 9, "uram", "versal", 1, (32768, 9)),
])
def test_bram_uram_mapping(tables: EnergyTables, depth: int, width: int, kind: str, family: str, expected: int,
                           aspect: tuple[int, int]) -> None:
    n, a = buffer_primitives_per_bank(depth, width, kind, family, tables)  # type: ignore[arg-type]
    assert (n, (a.depth, a.width_bits)) == (expected, aspect)
    assert buffer_resources(depth, width, 3, kind, family, tables) == (  # type: ignore[arg-type]
        FpgaResources(bram36=3 * n) if kind == "bram" else FpgaResources(uram=3 * n))


def test_dsp_chain_engine(tables: EnergyTables) -> None:
    assert dsp_rule(8, "dsp48e2", tables=tables).macs_per_dsp == 2
    assert dsp_rule(16, "dsp48e2", tables=tables).macs_per_dsp == 1
    assert dsp_rule(8, "dsp58", tables=tables).macs_per_dsp == 3
    r = dsp_chain_engine_resources(4096, 8, "dsp48e2", 16, tables=tables)
    # 2048 DSPs in 128 chains; each chain has 2 packed outputs, each a 32-bit fabric accumulator
    assert r == FpgaResources(dsp=2048, lut=128 * 2 * 32, ff=128 * 2 * 32)
    r58 = dsp_chain_engine_resources(4096, 8, "dsp58", 6, tables=tables)
    assert r58.dsp == math.ceil(4096 / 3) and r58.lut == math.ceil(r58.dsp / 6) * 32
    assert dsp_chain_engine_resources(4096, 8, "dsp48e2", 16, macs_per_dsp=1, tables=tables).dsp == 4096
    assert sfu_resources(16, tables) == FpgaResources(dsp=48, lut=16000, ff=24000, bram36=16)


def _flightllm_like(slrs: int, macs_per_slr: int, family: str, dsp_kind: str, chain: int,
                    tables: EnergyTables) -> FpgaResources:
    """FlightLLM's per-SLR engine (hwconfigs/vhk158-flightllm.yaml): shared MM/MV DSP chains, A/B buffers in URAM,
    the global buffer in BRAM, 16 SFU lanes."""
    per_slr = (buffer_resources(4096, 16 * 8, 128, "uram", family, tables)     # A buffer: 4096 x 16 B x 128 banks
               + buffer_resources(4096, 32 * 8, 1, "uram", family, tables)     # B buffer: 4096 x 32 B
               + buffer_resources(512, 16 * 8, 128, "bram", family, tables)    # global buffer: 512 x 16 B x 128
               + sfu_resources(16, tables))
    return dsp_chain_engine_resources(slrs * macs_per_slr, 8, dsp_kind, chain, tables=tables) + per_slr * slrs


def test_flightllm_vhk158_engine_fits_its_part(tables: EnergyTables) -> None:
    used = _flightllm_like(4, max(4096, 1024), "versal", "dsp58", 6, tables)
    assert used.dsp == math.ceil(4 * 4096 / 3) + 4 * 16 * 3
    assert used.uram == 4 * (128 * 2 + 4) and used.bram36 == 4 * (128 * 2 + 16)
    util = check_fpga_fit(used, "xcvh1582", "hwconfigs/vhk158-flightllm.yaml", tables)
    assert set(util) == {"dsp", "bram36", "uram", "lut", "ff"} and all(0 < u <= 1 for u in util.values())
    # the same engine on the U280's 3 SLRs with DSP48E2 packing fits too
    assert max(check_fpga_fit(_flightllm_like(3, 4096, "ultrascale_plus", "dsp48e2", 16, tables), "xcu280",
                              None, tables).values()) <= 1


def test_oversized_engine_fails_naming_the_resource(tables: EnergyTables) -> None:
    used = _flightllm_like(4, 2 * 4096, "versal", "dsp58", 6, tables)
    with pytest.raises(ConfigError) as exc:
        check_fpga_fit(used, "xcvh1582", "hwconfigs/big.yaml", tables)
    err, text = exc.value, str(exc.value)
    assert err.file == "hwconfigs/big.yaml" and err.key_path == "part.dsp"
    assert f"uses {used.dsp:,}" in text and "has 7,392" in text and f"exceeded by {used.dsp - 7392:,}" in text
    assert err.hint and "dsp" in err.hint
    # several resources over: all are named
    with pytest.raises(ConfigError) as exc2:
        check_fpga_fit(FpgaResources(dsp=10 ** 5, uram=2000), "xcu280", None, tables)
    assert "dsp (DSP slices)" in str(exc2.value) and "uram (UltraRAMs)" in str(exc2.value)
