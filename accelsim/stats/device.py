"""A device's energy, power and area for a run: the run's counters priced with the energy tables.

The engine counts busy cycles per unit and bytes and DRAM energy per memory channel. From the device's
description this module derives the actions of :class:`accelsim.stats.energy.ActionCounts` (Accelergy-style,
after the run, so a different table needs no re-run):

* **MACs**: every busy cycle of a matrix mode drives all of its MACs (an active FPGA engine does not gate
  idle DSPs; padding and, on a dense chain, zeros cost energy too): busy cycles x MACs per cycle x SLRs, at
  the engine's operand precision.
* **Special functions**: busy cycles x lanes x SLRs element operations, at the special-function format.
* **On-chip buffers**: operand reads follow each engine's dataflow per busy cycle — the DSP chain's MM mode
  reads m x k activations (A buffer, broadcast over its n columns) and n x k weights (B buffer); its MV mode
  n x k weights (A) and k vector elements (B); a systolic array or an outer-product engine R + C edge
  operands; a cube R x D + D x C; adder trees rows x depth weights + depth inputs. Every byte loaded from
  off-chip memory is written into the A buffer and every stored byte read from the global buffer; the
  special-function unit reads and writes each element it processes in the global buffer. Partial sums stay
  in the DSP cascades and accumulators (their energy is the MAC's).
* **Off-chip**: the cycle-level DRAM model's energy (IDD currents) where available, else bytes x the table's
  pJ/byte.
* **Static**: ``power.static_w`` x elapsed time.

FPGA area is a resource count (DSP, BRAM36, URAM, LUT, FF) of the engine, buffers and special-function unit,
checked against the hwconfig's ``part``.
"""

from __future__ import annotations

from typing import Any

from ..config.formats import format_info
from ..config.hardware import HardwareConfig
from ..errors import ConfigError
from .energy import (ActionCounts, BufferTraffic, EnergyBreakdown, FpgaResources, OffchipTraffic, asic_area_mm2,
                     buffer_resources, dsp_chain_engine_resources, energy_breakdown, fpga_family, sfu_resources)

__all__ = ["precision_name", "run_actions", "device_energy", "fpga_resources", "check_part_fit", "asic_area"]

_BUFFERS = ("a_buffer", "b_buffer", "global_buffer")


def precision_name(fmt: str) -> str:
    """The energy tables' precision for a number format: int<=8 -> INT2/INT4/INT8, fp8 -> FP8, bf16, fp16, fp32."""
    info = format_info(fmt)
    if not info.floating:
        bits = info.element_bits
        return "INT2" if bits <= 2 else "INT4" if bits <= 4 else "INT8" if bits <= 8 else "INT8"
    if info.element_bits <= 8:
        return "FP8"
    if fmt == "bf16":
        return "BF16"
    return "FP16" if info.element_bits <= 16 else "FP32"


def _operand_reads_per_cycle(hw: HardwareConfig, unit: str) -> tuple[float, float]:
    """Operand elements read per busy cycle of one SLR's engine in ``unit`` (mm or mv): (A buffer, B buffer)."""
    me = hw.compute.matrix_engine
    arr = me.array
    if me.style == "dsp_chain" or arr is None:
        par = me.mm_parallelism if unit == "mm" else me.mv_parallelism
        if unit == "mm":  # activations from A (shared by the n columns), weights from B
            return float(par.m * par.k), float(par.n * par.k)
        return float(par.n * par.k), float(par.k * par.m)  # weights from A, the input vector from B
    if me.style in ("systolic", "matrix_2d"):
        return float(arr.rows), float(arr.cols)
    if me.style == "cube_3d":
        return float(arr.rows * arr.depth), float(arr.depth * arr.cols)
    return float(arr.rows * arr.depth), float(arr.depth)  # adder trees: weights per tree, shared inputs


def _macs_per_cycle(hw: HardwareConfig, unit: str) -> int:
    me = hw.compute.matrix_engine
    if me.style != "dsp_chain" and me.array is not None:
        return me.array.macs
    return (me.mm_parallelism if unit == "mm" else me.mv_parallelism).macs_per_cycle


def run_actions(hw: HardwareConfig, counters: dict[str, float], seconds: float, formats: dict[str, Any],
                memory: dict[str, dict[str, float]], bytes_by_memory: dict[str, dict[str, int]]) -> ActionCounts:
    """The priced actions of a run (or one phase) from the engine's dotted counters (see the module docstring)."""
    me, bufs, n = hw.compute.matrix_engine, hw.buffers, hw.slrs.count
    op_bytes = me.operand_bits / 8
    mac_prec = precision_name(f"int{min(max(me.operand_bits, 2), 8)}") if me.operand_bits <= 8 else "FP16"
    sfu_fmt = str(formats.get("special_functions", "fp16"))
    act_bytes = format_info(str(formats.get("activations", "fp16"))).bits / 8
    macs: dict[tuple[str, str], int] = {}
    reads = {b: 0.0 for b in _BUFFERS}
    writes = {b: 0.0 for b in _BUFFERS}
    for unit in ("mm", "mv"):
        busy = float(counters.get(f"unit.{unit}.busy_cycles", 0))
        if not busy:
            continue
        macs[(unit, mac_prec)] = int(busy * _macs_per_cycle(hw, unit) * n)
        ra, rb = _operand_reads_per_cycle(hw, unit)
        reads["a_buffer"] += busy * ra * n * op_bytes
        reads["b_buffer"] += busy * rb * n * op_bytes
    sfu_ops = int(float(counters.get("unit.sfu.busy_cycles", 0)) * hw.compute.sfu.lanes * n)
    reads["global_buffer"] += sfu_ops * act_bytes
    writes["global_buffer"] += sfu_ops * act_bytes
    offchip: dict[str, OffchipTraffic] = {}
    dram_pj: dict[str, float] = {}
    for name, b in bytes_by_memory.items():
        writes["a_buffer"] += b["read"]
        reads["global_buffer"] += b["written"]
        offchip[name] = OffchipTraffic(hw.memories[name].kind, int(b["read"]), int(b["written"]))
        if name in memory and "energy_j" in memory[name]:
            dram_pj[name] = memory[name]["energy_j"] * 1e12
    buffers = {name: BufferTraffic(int(getattr(bufs, name).capacity_bytes() * n), getattr(bufs, name).kind,
                                   int(reads[name]), int(writes[name])) for name in _BUFFERS}
    static = hw.power.static_w if hw.power is not None else 0.0
    return ActionCounts(macs=macs, sfu_ops={precision_name(sfu_fmt): sfu_ops}, buffers=buffers, offchip=offchip,
                        dram_energy_pj=dram_pj, seconds=seconds, static_power_w=static)


def device_energy(hw: HardwareConfig, counters: dict[str, float], seconds: float, formats: dict[str, Any],
                  memory: dict[str, dict[str, float]], bytes_by_memory: dict[str, dict[str, int]],
                  tables: Any = None) -> EnergyBreakdown | None:
    """Energy of a run on ``hw`` (None when the hwconfig has no ``power`` section)."""
    if hw.power is None:
        return None
    counts = run_actions(hw, counters, seconds, formats, memory, bytes_by_memory)
    return energy_breakdown(counts, tables, hw.power.technology)


def fpga_resources(hw: HardwareConfig, tables: Any = None) -> FpgaResources:
    """DSP, BRAM36, URAM, LUT and FF counts of the device's engine, buffers and special-function unit."""
    me, n = hw.compute.matrix_engine, hw.slrs.count
    if hw.part is None:
        raise ConfigError("an FPGA resource count needs the hwconfig's part section", key_path="part",
                          hint="add 'part: {name: ..., dsp_kind: dsp48e2, dsp: ..., bram36: ..., uram: ...}'")
    # the RAM primitives' shapes come from the part's family (the power section names the part)
    family = hw.power.technology if hw.power is not None else ("versal" if hw.part.dsp_kind == "dsp58"
                                                               else "ultrascale_plus")
    family_name, _ = fpga_family(family, tables)
    chain = me.mm_parallelism.k if me.style == "dsp_chain" else (me.array.depth if me.array else 1)
    used = dsp_chain_engine_resources(me.peak_macs_per_cycle * n, me.operand_bits, hw.part.dsp_kind,
                                      max(1, chain), macs_per_dsp=me.macs_per_dsp, tables=tables)
    for name in _BUFFERS:
        b = getattr(hw.buffers, name)
        if b.kind in ("bram", "uram"):
            used = used + buffer_resources(b.depth, int(b.bank_width * 8), b.banks, b.kind, family_name, tables) * n
    return used + sfu_resources(hw.compute.sfu.lanes * n, tables)


def check_part_fit(hw: HardwareConfig, source_path: str | None = None, tables: Any = None) -> dict[str, Any]:
    """Resources used and their utilisation of the hwconfig's ``part``; raises ConfigError naming every
    resource the design exceeds, by how much, with a fix."""
    used = fpga_resources(hw, tables)
    p = hw.part
    assert p is not None
    have = {"dsp": p.dsp, "bram36": p.bram36, "uram": p.uram, "lut": p.luts, "ff": p.ff}
    key = {"dsp": "dsp", "bram36": "bram36", "uram": "uram", "lut": "luts", "ff": "ff"}
    util: dict[str, float] = {}
    over: list[str] = []
    first = None
    for r, h in have.items():
        u = getattr(used, r)
        if not h:
            continue  # not given for this part: not checked
        util[r] = u / h
        if u > h:
            first = first or r
            over.append(f"{r}: uses {u:,}, {p.name} has {h:,}, exceeded by {u - h:,} ({100 * (u - h) / h:.1f} %)")
    if over:
        raise ConfigError("the design does not fit the FPGA part: " + "; ".join(over), file=source_path,
                          key_path=f"part.{key[first]}",
                          hint="reduce the engine (parallelism), the buffers (depth or banks, or map them to the "
                               "other RAM kind) or the SFU lanes, or choose a larger part")
    return {"part": p.name, "used": used.as_dict(), "utilization": util}


def asic_area(hw: HardwareConfig, node: str, tables: Any = None) -> dict[str, Any]:
    """Area (mm2 at ``node``) of the device's MAC units (the engine's peak MACs per cycle x SLRs, one unit
    each, at the operand precision) and on-chip buffers (SRAM); the special-function unit and control are not
    counted."""
    me, n = hw.compute.matrix_engine, hw.slrs.count
    prec = precision_name(f"int{min(max(me.operand_bits, 2), 8)}") if me.operand_bits <= 8 else "FP16"
    units = me.peak_macs_per_cycle * n
    sram = sum(getattr(hw.buffers, b).capacity_bytes() for b in _BUFFERS) * n
    mac_mm2 = asic_area_mm2({prec: units}, 0, node, tables)
    total = asic_area_mm2({prec: units}, sram, node, tables)
    return {"node": node, "mm2": total, "mac_mm2": mac_mm2, "sram_mm2": total - mac_mm2, "mac_units": units,
            "sram_bytes": sram}
