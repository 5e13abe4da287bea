"""Energy, power and area after a run (Accelergy-style): action counts x per-action tables.

The engine counts actions (MACs per unit and precision, special-function element operations, bytes read and
written per on-chip buffer and per off-chip memory, and, with the cycle-level DRAM model, DRAM energy from
IDD currents). This module prices them with the tables of :mod:`accelsim.config.energy`
(``accelsim/config/energy_tables.yaml``, one source per constant), so swapping a table needs no re-run:

* **ASIC energy** at a process node (``"45nm"``, ``"28nm"``, ``"16nm"``, ``"7nm"``): :func:`op_energy_pj`,
  :func:`mac_energy_pj`, :func:`sfu_op_energy_pj`, :func:`sram_energy_pj_per_byte`,
  :func:`regfile_energy_pj_per_byte`, :func:`offchip_energy_pj_per_byte`.
* **FPGA energy** on a part (``"xcu280"``, ``"xcvh1582"``): :func:`fpga_mac_energy_pj`,
  :func:`fpga_memory_energy_pj_per_byte`.
* **A whole run**: :class:`ActionCounts` -> :func:`energy_breakdown` -> :class:`EnergyBreakdown` (joules per
  component, total energy, average power, tokens per joule).
* **ASIC area**: :func:`mac_area_um2`, :func:`sram_area_mm2`, :func:`asic_area_mm2`.
* **FPGA resources**: :class:`FpgaResources`, :func:`dsp_chain_engine_resources`, :func:`buffer_resources`,
  :func:`sfu_resources`, and :func:`check_fpga_fit` against a part's capacity.

Every function takes an optional ``tables`` argument (default: the shipped tables). Problems with the names a
caller passes (an unknown precision, node, part, memory kind) raise :class:`accelsim.errors.ConfigError` with
a did-you-mean; negative counts raise :class:`ValueError`.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, fields
from typing import Any, Iterable, Literal, Mapping

from ..config.energy import (
    ArithmeticOp, Aspect, DspRule, EnergyTables, FpgaFamily, FpgaPart, Precision, SramPoint, default_energy_tables,
)
from ..errors import ConfigError

__all__ = [
    "node_nm", "op_energy_pj", "int_mult_energy_pj", "int_add_energy_pj", "fp_mult_energy_pj", "mac_energy_pj",
    "sfu_op_energy_pj", "sram_energy_pj_per_byte", "regfile_energy_pj_per_byte", "offchip_energy_pj_per_byte",
    "fpga_part", "fpga_family", "fpga_mac_energy_pj", "fpga_memory_energy_pj_per_byte", "BufferTraffic",
    "OffchipTraffic", "ActionCounts", "EnergyBreakdown", "energy_breakdown", "mac_area_um2", "sram_area_mm2",
    "asic_area_mm2", "FpgaResources", "dsp_rule", "dsp_chain_engine_resources", "buffer_primitives_per_bank",
    "buffer_resources", "sfu_resources", "check_fpga_fit",
]

BufferKind = Literal["sram", "bram", "uram", "regfile"]
_PJ = 1e-12  # joules per picojoule (a unit conversion, not a table constant)
_BITS_PER_BYTE = 8
_UM2_PER_MM2 = 1e6


def _tables(tables: EnergyTables | None) -> EnergyTables:
    return tables if tables is not None else default_energy_tables()


def _unknown(what: str, name: object, known: Iterable[str], tables: EnergyTables, key_path: str) -> ConfigError:
    known = sorted(known)
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known {what}s: " + ", ".join(known)
    return ConfigError(f"unknown {what} {name!r}", file=tables.file or None, key_path=key_path, hint=hint)


# ================================================================================================ nodes
def node_nm(technology: str | int | float, tables: EnergyTables | None = None) -> tuple[str, float]:
    """The table's node name and feature size (nm) for ``technology`` ("7nm", "7 nm", 7 or 7.0).

    Only nodes listed in ``asic.technology.nodes`` are accepted; energies between the 45 nm and 7 nm anchors
    are interpolated by the rule stated in the tables.
    """
    t = _tables(tables)
    nodes = t.asic.technology.nodes
    if isinstance(technology, str):
        key = technology.replace(" ", "").lower()
        if key in nodes:
            return key, nodes[key].value
        try:
            nm = float(key.removesuffix("nm"))
        except ValueError:
            raise _unknown("technology node", technology, nodes, t, "asic.technology.nodes") from None
    else:
        nm = float(technology)
    for name, c in nodes.items():
        if c.value == nm:
            return name, c.value
    raise _unknown("technology node", technology, nodes, t, "asic.technology.nodes")


def _t(technology: str | int | float, t: EnergyTables) -> float:
    """Interpolation weight: 0 at the reference node (45 nm), 1 at the anchor node (7 nm)."""
    _, nm = node_nm(technology, t)
    tech = t.asic.technology
    ref, anchor = tech.reference_nm.value, tech.anchor_nm.value
    return math.log(ref / nm) / math.log(ref / anchor)


def _interp(e_ref: float, e_anchor: float, w: float) -> float:
    """Geometric interpolation between the reference- and anchor-node values (linear if either is zero)."""
    if e_ref <= 0 or e_anchor <= 0:
        return e_ref + (e_anchor - e_ref) * w
    return e_ref ** (1.0 - w) * e_anchor ** w


# ================================================================================================ arithmetic
def _op(name: str, t: EnergyTables) -> ArithmeticOp:
    ops = t.asic.arithmetic
    if name not in ops:
        raise _unknown("arithmetic operation", name, ops, t, "asic.arithmetic")
    return ops[name]


def _op_7nm_pj(name: str, t: EnergyTables) -> float:
    op = _op(name, t)
    if op.energy_7nm_pj is not None:
        return op.energy_7nm_pj.value
    ref = _op(op.scales_like or "", t)
    assert ref.energy_7nm_pj is not None  # checked when the tables were loaded
    ratio = ref.energy_7nm_pj.value / ref.energy_45nm_pj.value if ref.energy_45nm_pj.value else 1.0
    return op.energy_45nm_pj.value * ratio


def op_energy_pj(op: str, technology: str | int = "45nm", tables: EnergyTables | None = None) -> float:
    """Energy of one arithmetic operation of the tables (``int8_add``, ``fp32_mult``, ...) at a node, pJ.

    The 45 nm figure is Horowitz's; the 7 nm figure is Jouppi et al.'s where published, else the 45 nm figure
    times the 45 -> 7 nm ratio of the ``scales_like`` operation; nodes in between follow the stated rule.
    """
    t = _tables(tables)
    return _interp(_op(op, t).energy_45nm_pj.value, _op_7nm_pj(op, t), _t(technology, t))


def _int_mult(a_bits: int, b_bits: int, value_of: Any, t: EnergyTables) -> float:
    d = t.asic.derivation
    small = _op(d.int_mult_anchor_small, t)
    anchor_name = d.int_mult_anchor_small if max(a_bits, b_bits) <= small.bits else d.int_mult_anchor_large
    anchor = _op(anchor_name, t)
    return value_of(anchor_name) * ((a_bits * b_bits) / anchor.bits ** 2) ** (d.int_mult_exponent.value / 2)


def _fp_mult(significand_bits: int, value_of: Any, t: EnergyTables) -> float:
    d = t.asic.derivation
    for name, op in t.asic.arithmetic.items():
        if op.kind == "fp" and op.op == "mult" and op.significand_bits == significand_bits:
            return value_of(name)
    lo, hi = _op(d.fp_mult_anchor_narrow, t), _op(d.fp_mult_anchor_wide, t)
    m_lo, m_hi = lo.significand_bits or 0, hi.significand_bits or 0
    e_lo, e_hi = value_of(d.fp_mult_anchor_narrow), value_of(d.fp_mult_anchor_wide)
    slope = (e_hi - e_lo) / (m_hi ** 2 - m_lo ** 2)
    return max(0.0, e_lo + slope * (significand_bits ** 2 - m_lo ** 2))


def _int_add(bits: int, value_of: Any, t: EnergyTables) -> float:
    d = t.asic.derivation
    anchor = _op(d.int_add_anchor, t)
    return value_of(d.int_add_anchor) * (bits / anchor.bits) ** d.adder_width_exponent.value


def _energy_at(technology: str | int, t: EnergyTables) -> Any:
    return lambda name: op_energy_pj(name, technology, t)


def _area_45nm(t: EnergyTables) -> Any:
    return lambda name: _op(name, t).area_45nm_um2.value


def int_mult_energy_pj(a_bits: int, b_bits: int, technology: str | int = "45nm",
                       tables: EnergyTables | None = None) -> float:
    """Energy of an ``a_bits x b_bits`` integer multiply, pJ: the anchor multiplier scaled by (a*b)/anchor^2.

    E.g. a DSP48E2's 27 x 18 multiplier = int32_mult x 486/1024 (the array-multiplier rule of the tables).
    """
    t = _tables(tables)
    return _int_mult(a_bits, b_bits, _energy_at(technology, t), t)


def int_add_energy_pj(bits: int, technology: str | int = "45nm", tables: EnergyTables | None = None) -> float:
    """Energy of an integer add of ``bits`` width, pJ (linear in width from the anchor adder)."""
    t = _tables(tables)
    return _int_add(bits, _energy_at(technology, t), t)


def fp_mult_energy_pj(significand_bits: int, technology: str | int = "45nm",
                      tables: EnergyTables | None = None) -> float:
    """Energy of a floating-point multiply with an m-bit significand, pJ (published, or the fit A + B*m^2)."""
    t = _tables(tables)
    return _fp_mult(significand_bits, _energy_at(technology, t), t)


def _precision(name: str, t: EnergyTables) -> Precision:
    p = t.asic.precisions.get(name) or t.asic.precisions.get(str(name).upper())
    if p is None:
        raise _unknown("precision", name, t.asic.precisions, t, "asic.precisions")
    return p


def _mult_of(p: Precision, value_of: Any, t: EnergyTables) -> float:
    if p.kind == "int":
        return _int_mult(p.bits, p.bits, value_of, t)
    return _fp_mult(p.significand_bits or 0, value_of, t)


def mac_energy_pj(precision: str, technology: str | int = "45nm", tables: EnergyTables | None = None) -> float:
    """Energy of one multiply-accumulate at ``precision`` on an ASIC node, pJ.

    MAC = one multiply at the format + one add of the accumulator (INT8: int8 mult + int32 add; FP16: fp16 mult +
    fp32 add). Narrow formats come from the published anchors by the stated rules (integer multiplier energy
    grows as bits^2; floating-point multipliers on the line A + B*m^2 of the significand width m).
    """
    t = _tables(tables)
    p = _precision(precision, t)
    value_of = _energy_at(technology, t)
    return _mult_of(p, value_of, t) + value_of(p.accumulator)


def sfu_op_energy_pj(precision: str, technology: str | int = "45nm", tables: EnergyTables | None = None) -> float:
    """Energy of one special-function element operation (exp, reciprocal, ...) at ``precision``, pJ.

    Priced as ``fma_per_element`` multiply + add pairs in the format (its own adder, not the accumulator).
    """
    t = _tables(tables)
    p = _precision(precision, t)
    value_of = _energy_at(technology, t)
    return t.asic.sfu.fma_per_element.value * (_mult_of(p, value_of, t) + value_of(p.adder))


# ================================================================================================ memories
def _sram_curve_pj(points: tuple[SramPoint, ...], capacity_bytes: float) -> float:
    """Per-access energy at ``capacity_bytes``: log-linear in capacity between points (see asic.sram.rule)."""
    caps = [p.capacity_bytes for p in points]
    es = [p.energy_pj.value for p in points]
    if capacity_bytes <= caps[0] or len(points) == 1:
        return es[0]  # no extrapolation below the smallest published capacity (nor from a single point)
    i = next((k for k in range(len(caps) - 1) if capacity_bytes <= caps[k + 1]), len(caps) - 2)
    frac = math.log2(capacity_bytes / caps[i]) / math.log2(caps[i + 1] / caps[i])
    return max(0.0, es[i] + (es[i + 1] - es[i]) * frac)


def _sram_access_pj(capacity_bytes: float, technology: str | int, t: EnergyTables) -> float:
    s = t.asic.sram
    return _interp(_sram_curve_pj(s.read_45nm, capacity_bytes), _sram_curve_pj(s.read_7nm, capacity_bytes),
                   _t(technology, t))


def sram_energy_pj_per_byte(capacity_bytes: int, technology: str | int = "45nm", tables: EnergyTables | None = None,
                            *, write: bool = False) -> float:
    """Energy per byte read (or written) from an SRAM of ``capacity_bytes`` on an ASIC node, pJ/B.

    Horowitz's 8 KB / 32 KB / 1 MB and Jouppi et al.'s 8 KB / 1 MB 64-bit reads, interpolated log-linearly in
    capacity; larger arrays cost more per byte (longer bit and word lines). Writes cost ``write_to_read_ratio``
    times a read.
    """
    if capacity_bytes <= 0:
        raise ValueError(f"SRAM capacity must be positive, got {capacity_bytes!r}")
    t = _tables(tables)
    s = t.asic.sram
    e = _sram_access_pj(capacity_bytes, technology, t) / (s.access_bits.value / _BITS_PER_BYTE)
    return e * (s.write_to_read_ratio.value if write else 1.0)


def regfile_energy_pj_per_byte(technology: str | int = "45nm", tables: EnergyTables | None = None) -> float:
    """Energy per byte of a register-file access, pJ/B: Eyeriss's RF = 1x a 16-bit MAC, per 16-bit word."""
    t = _tables(tables)
    r = t.asic.regfile
    value_of = _energy_at(technology, t)
    bits = int(r.reference_mult_bits.value)
    mac = _int_mult(bits, bits, value_of, t) + value_of(r.reference_accumulator)
    return r.to_mac_ratio.value * mac / (r.word_bits.value / _BITS_PER_BYTE)


def offchip_energy_pj_per_byte(kind: str, tables: EnergyTables | None = None) -> float:
    """Energy per byte moved to or from an off-chip memory of ``kind`` (``hbm2``, ``ddr4``, ...), pJ/B.

    Used only when the cycle-level DRAM model gives no energy for that memory.
    """
    t = _tables(tables)
    table = t.offchip_pj_per_byte
    key = kind.lower()
    if key not in table:
        raise _unknown("off-chip memory kind", kind, table, t, "offchip_pj_per_byte")
    return table[key].value


# ================================================================================================ FPGA energy
def fpga_part(part: str | FpgaPart, tables: EnergyTables | None = None) -> FpgaPart:
    """The part of the tables named ``part`` (``"xcu280"``, ``"xcvh1582"``), or ``part`` itself."""
    if isinstance(part, FpgaPart):
        return part
    t = _tables(tables)
    key = part.lower()
    if key not in t.fpga.parts:
        raise _unknown("FPGA part", part, t.fpga.parts, t, "fpga.parts")
    return t.fpga.parts[key]


def fpga_family(family_or_part: str | FpgaPart, tables: EnergyTables | None = None) -> tuple[str, FpgaFamily]:
    """The family (name, tables) of a family name or of a part."""
    t = _tables(tables)
    if isinstance(family_or_part, FpgaPart):
        name = family_or_part.family
    elif family_or_part.lower() in t.fpga.families:
        name = family_or_part.lower()
    elif family_or_part.lower() in t.fpga.parts:
        name = t.fpga.parts[family_or_part.lower()].family
    else:
        raise _unknown("FPGA family or part", family_or_part, list(t.fpga.families) + list(t.fpga.parts), t,
                       "fpga.families")
    return name, t.fpga.families[name]


def fpga_memory_energy_pj_per_byte(kind: Literal["bram", "uram"], family_or_part: str | FpgaPart = "ultrascale_plus",
                                   tables: EnergyTables | None = None) -> float:
    """Energy per byte read or written in a block RAM (RAMB36) or UltraRAM (URAM288) of a family, pJ/B.

    No per-access figure is published (XPE computes block-RAM power per design); the tables derive it as the
    SRAM of the primitive's capacity at the family's node, times ``hard_block_overhead``.
    """
    t = _tables(tables)
    fam, _ = fpga_family(family_or_part, t)
    e = t.fpga.energy
    table = {"bram": e.bram36_pj_per_byte, "uram": e.uram_pj_per_byte}.get(kind)
    if table is None:
        raise _unknown("FPGA memory kind", kind, ("bram", "uram"), t, "fpga.energy")
    if fam not in table:
        raise ConfigError(f"no {kind} energy for FPGA family {fam!r}", file=t.file or None,
                          key_path=f"fpga.energy.{kind}_pj_per_byte", hint=f"add '{fam}:' with a source")
    return table[fam].value * e.hard_block_overhead.value


def fpga_mac_energy_pj(precision: str, part: str | FpgaPart, tables: EnergyTables | None = None) -> float:
    """Dynamic energy of one MAC at ``precision`` on an FPGA part, pJ.

    Integer MACs of at most 8 bits use the DSP's packed INT8 mode (2 per DSP48E2, 3 per DSP58); wider integers up
    to the native multiplier use the native mode; floating point uses the hard floating-point mode where the DSP
    has one (DSP58 DSPFP32). Anything else is priced as soft logic: ``soft_logic_to_asic_ratio`` x the ASIC MAC
    at the family's node. DSP figures are multiplied by ``hard_block_overhead``.
    """
    t = _tables(tables)
    p_part = fpga_part(part, t)
    prec = _precision(precision, t)
    dsp = t.fpga.dsp[p_part.dsp_kind]
    overhead = t.fpga.energy.hard_block_overhead.value
    int_rules = [r for r in dsp.rules if r.operand_kind == "int"]
    native_bits = max((r.max_operand_bits for r in int_rules), default=0)
    if prec.kind == "int" and prec.bits <= 8 and any(r.max_operand_bits >= 8 for r in int_rules):
        return dsp.int8_mac_pj.value * overhead
    if prec.kind == "int" and prec.bits <= native_bits:
        return dsp.native_mac_pj.value * overhead
    if prec.kind == "fp" and dsp.fp_mac_pj is not None and any(
            r.operand_kind == "fp" and r.max_operand_bits >= prec.bits for r in dsp.rules):
        return dsp.fp_mac_pj.value * overhead
    node = t.fpga.families[p_part.family].node
    return t.fpga.energy.soft_logic_to_asic_ratio.value * mac_energy_pj(precision, node, t)


# ================================================================================================ a run
@dataclass(frozen=True)
class BufferTraffic:
    """Bytes read and written in one on-chip buffer, and what it is built from.

    ``kind``: ``sram`` (ASIC SRAM, priced by capacity), ``regfile`` (register file), ``bram`` / ``uram`` (FPGA
    block RAM / UltraRAM, priced per byte of the primitive).
    """

    capacity_bytes: int
    kind: BufferKind
    bytes_read: int = 0
    bytes_written: int = 0

    def __post_init__(self) -> None:
        if self.kind not in ("sram", "bram", "uram", "regfile"):
            raise ValueError(f"buffer kind must be sram, bram, uram or regfile, got {self.kind!r}")
        if self.capacity_bytes <= 0 or self.bytes_read < 0 or self.bytes_written < 0:
            raise ValueError(f"buffer capacity must be positive and byte counts not negative: {self!r}")


@dataclass(frozen=True)
class OffchipTraffic:
    """Bytes read and written in one off-chip memory of ``kind`` (a key of ``offchip_pj_per_byte``)."""

    kind: str
    bytes_read: int = 0
    bytes_written: int = 0

    def __post_init__(self) -> None:
        if self.bytes_read < 0 or self.bytes_written < 0:
            raise ValueError(f"off-chip byte counts must not be negative: {self!r}")


@dataclass(frozen=True)
class ActionCounts:
    """What a run did, as counts of priced actions (the input of :func:`energy_breakdown`).

    * ``macs``: MACs by ``(unit, precision)``, e.g. ``{("mm", "INT8"): 3.2e12}``;
    * ``sfu_ops``: special-function element operations by precision;
    * ``buffers``: on-chip traffic by buffer name;
    * ``offchip``: off-chip traffic by memory name;
    * ``dram_energy_pj``: DRAM energy by memory name from the cycle-level DRAM model (IDD currents); a memory
      listed here is priced by this figure instead of bytes x ``offchip_pj_per_byte``;
    * ``seconds``: elapsed time of the run; ``static_power_w``: static (leakage + idle) power of the device.
    """

    macs: Mapping[tuple[str, str], int] = field(default_factory=dict)
    sfu_ops: Mapping[str, int] = field(default_factory=dict)
    buffers: Mapping[str, BufferTraffic] = field(default_factory=dict)
    offchip: Mapping[str, OffchipTraffic] = field(default_factory=dict)
    dram_energy_pj: Mapping[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    static_power_w: float = 0.0

    def __post_init__(self) -> None:
        for name, value in (*((f"macs[{k}]", v) for k, v in self.macs.items()),
                            *((f"sfu_ops[{k}]", v) for k, v in self.sfu_ops.items()),
                            *((f"dram_energy_pj[{k}]", v) for k, v in self.dram_energy_pj.items()),
                            ("seconds", self.seconds), ("static_power_w", self.static_power_w)):
            if not value >= 0:
                raise ValueError(f"{name} must not be negative, got {value!r}")
        for key in self.macs:
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ValueError(f"macs keys are (unit, precision) pairs, got {key!r}")


@dataclass(frozen=True)
class EnergyBreakdown:
    """Energy of a run by component, in joules, and the power and efficiency it implies.

    ``compute_j`` (MACs), ``sfu_j`` (special functions), ``buffers_j`` (on-chip memories), ``dram_j``
    (off-chip memories) and ``static_j`` (static power x time) add up to ``energy_j``; ``by_unit_j``,
    ``by_buffer_j`` and ``by_memory_j`` split the first, third and fourth of them.
    """

    compute_j: float
    sfu_j: float
    buffers_j: float
    dram_j: float
    static_j: float
    seconds: float
    technology: str
    by_unit_j: Mapping[str, float] = field(default_factory=dict)
    by_buffer_j: Mapping[str, float] = field(default_factory=dict)
    by_memory_j: Mapping[str, float] = field(default_factory=dict)

    @property
    def dynamic_j(self) -> float:
        """Energy of the actions (everything but static power)."""
        return self.compute_j + self.sfu_j + self.buffers_j + self.dram_j

    @property
    def energy_j(self) -> float:
        """Total energy of the run."""
        return self.dynamic_j + self.static_j

    @property
    def power_w(self) -> float:
        """Average power over the run, ``energy_j / seconds``."""
        if self.seconds <= 0:
            raise ValueError("average power needs the run's elapsed seconds (ActionCounts.seconds > 0)")
        return self.energy_j / self.seconds

    def tokens_per_j(self, tokens: float) -> float:
        """Energy efficiency: ``tokens`` generated (or processed) per joule of the run."""
        if self.energy_j <= 0:
            raise ValueError("tokens per joule needs a positive energy")
        return tokens / self.energy_j

    def to_dict(self) -> dict[str, float]:
        """Flat dict with dotted keys (one DataFrame row): totals, power, and every per-part joule figure."""
        out: dict[str, float] = {"energy_j": self.energy_j, "dynamic_j": self.dynamic_j}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float):
                out[f.name] = v
        if self.seconds > 0:
            out["power_w"] = self.power_w
        for prefix, d in (("unit", self.by_unit_j), ("buffer", self.by_buffer_j), ("memory", self.by_memory_j)):
            for k, v in d.items():
                out[f"{prefix}.{k}_j"] = v
        return out

    def to_frame(self):  # type: ignore[no-untyped-def]
        """A one-row pandas DataFrame of :meth:`to_dict`."""
        import pandas as pd

        return pd.DataFrame([self.to_dict()])


def energy_breakdown(counts: ActionCounts, tables: EnergyTables | None = None,
                     technology: str | int = "45nm") -> EnergyBreakdown:
    """Price a run's :class:`ActionCounts` with the tables; ``technology`` is an ASIC node or an FPGA part.

    * ASIC node (``"7nm"``): MACs at :func:`mac_energy_pj`, special functions at :func:`sfu_op_energy_pj`,
      ``sram`` buffers at :func:`sram_energy_pj_per_byte` of their capacity, ``regfile`` buffers at
      :func:`regfile_energy_pj_per_byte`; ``bram``/``uram`` buffers are an error on an ASIC.
    * FPGA part (``"xcvh1582"``): MACs at :func:`fpga_mac_energy_pj`, special functions as ``fma_per_element``
      FPGA MACs, ``bram``/``uram`` at :func:`fpga_memory_energy_pj_per_byte`, ``sram`` at the SRAM of its
      capacity on the family's node (a hard memory), ``regfile`` (LUTRAM / flip-flops) as soft logic.
    * Off-chip memories: the DRAM model's energy where given, else bytes x :func:`offchip_energy_pj_per_byte`.
    * Static: ``static_power_w x seconds``.
    """
    t = _tables(tables)
    is_fpga = isinstance(technology, str) and technology.lower() in t.fpga.parts
    if is_fpga:
        part = fpga_part(str(technology), t)
        node = t.fpga.families[part.family].node
        tech_name = str(technology).lower()
        mac = lambda p: fpga_mac_energy_pj(p, part, t)  # noqa: E731
        sfu = lambda p: t.asic.sfu.fma_per_element.value * fpga_mac_energy_pj(p, part, t)  # noqa: E731
    else:
        node, _ = node_nm(technology, t)
        tech_name = node
        mac = lambda p: mac_energy_pj(p, node, t)  # noqa: E731
        sfu = lambda p: sfu_op_energy_pj(p, node, t)  # noqa: E731

    by_unit: dict[str, float] = {}
    for (unit, precision), n in counts.macs.items():
        by_unit[unit] = by_unit.get(unit, 0.0) + n * mac(precision) * _PJ
    sfu_j = sum(n * sfu(p) * _PJ for p, n in counts.sfu_ops.items())

    ratio_w = t.asic.sram.write_to_read_ratio.value
    by_buffer: dict[str, float] = {}
    for name, b in counts.buffers.items():
        if b.kind in ("bram", "uram"):
            if not is_fpga:
                raise ConfigError(f"buffer {name!r} is a {b.kind}, an FPGA memory, but {tech_name} is an ASIC node",
                                  file=t.file or None, key_path="fpga.energy",
                                  hint="price FPGA buffers on an FPGA part (technology='xcu280') or use kind 'sram'")
            per_byte_r = per_byte_w = fpga_memory_energy_pj_per_byte(b.kind, part, t)  # type: ignore[arg-type]
        elif b.kind == "sram":
            per_byte_r = sram_energy_pj_per_byte(b.capacity_bytes, node, t)
            per_byte_w = per_byte_r * ratio_w
            if is_fpga:
                per_byte_r *= t.fpga.energy.hard_block_overhead.value
                per_byte_w *= t.fpga.energy.hard_block_overhead.value
        else:
            per_byte_r = per_byte_w = regfile_energy_pj_per_byte(node, t)
            if is_fpga:
                per_byte_r = per_byte_w = per_byte_r * t.fpga.energy.soft_logic_to_asic_ratio.value
        by_buffer[name] = (b.bytes_read * per_byte_r + b.bytes_written * per_byte_w) * _PJ

    by_memory: dict[str, float] = {}
    for name, m in counts.offchip.items():
        if name in counts.dram_energy_pj:
            by_memory[name] = counts.dram_energy_pj[name] * _PJ
        else:
            by_memory[name] = (m.bytes_read + m.bytes_written) * offchip_energy_pj_per_byte(m.kind, t) * _PJ
    for name, e in counts.dram_energy_pj.items():
        if name not in by_memory:
            by_memory[name] = e * _PJ

    return EnergyBreakdown(
        compute_j=sum(by_unit.values()), sfu_j=sfu_j, buffers_j=sum(by_buffer.values()),
        dram_j=sum(by_memory.values()), static_j=counts.static_power_w * counts.seconds, seconds=counts.seconds,
        technology=tech_name, by_unit_j=by_unit, by_buffer_j=by_buffer, by_memory_j=by_memory)


# ================================================================================================ ASIC area
def _area_scale(technology: str | int, t: EnergyTables) -> float:
    node, _ = node_nm(technology, t)
    cells = t.asic.sram.bitcell_um2
    ref = next(n for n, c in t.asic.technology.nodes.items() if c.value == t.asic.technology.reference_nm.value)
    if node not in cells:
        raise ConfigError(f"no SRAM bit-cell area for node {node!r}", file=t.file or None,
                          key_path="asic.sram.bitcell_um2", hint=f"add '{node}:' with a source")
    return cells[node].value / cells[ref].value


def mac_area_um2(precision: str, technology: str | int = "45nm", tables: EnergyTables | None = None) -> float:
    """Area of one MAC unit (multiplier + accumulator adder) at ``precision``, um2.

    45 nm areas from Horowitz's table, narrow formats by the same rules as energy; other nodes scale by the
    ratio of published SRAM bit-cell areas (a stated, conservative proxy: logic usually shrinks faster).
    """
    t = _tables(tables)
    p = _precision(precision, t)
    area = _area_45nm(t)
    return (_mult_of(p, area, t) + area(p.accumulator)) * _area_scale(technology, t)


def sram_area_mm2(sram_bytes: int, technology: str | int = "7nm", tables: EnergyTables | None = None) -> float:
    """Area of ``sram_bytes`` of SRAM, mm2: bits x bit-cell area / array efficiency."""
    if sram_bytes < 0:
        raise ValueError(f"SRAM bytes must not be negative, got {sram_bytes!r}")
    t = _tables(tables)
    node, _ = node_nm(technology, t)
    s = t.asic.sram
    if node not in s.bitcell_um2:
        raise ConfigError(f"no SRAM bit-cell area for node {node!r}", file=t.file or None,
                          key_path="asic.sram.bitcell_um2", hint=f"add '{node}:' with a source")
    return sram_bytes * _BITS_PER_BYTE * s.bitcell_um2[node].value / s.array_efficiency.value / _UM2_PER_MM2


def asic_area_mm2(macs_by_precision: Mapping[str, int], sram_bytes: int, node: str | int = "7nm",
                  tables: EnergyTables | None = None) -> float:
    """Area of an ASIC datapath, mm2: MAC units by precision (counts of units, not of operations) + SRAM."""
    t = _tables(tables)
    for p, n in macs_by_precision.items():
        if n < 0:
            raise ValueError(f"MAC unit count for {p} must not be negative, got {n!r}")
    macs = sum(n * mac_area_um2(p, node, t) for p, n in macs_by_precision.items()) / _UM2_PER_MM2
    return macs + sram_area_mm2(sram_bytes, node, t)


# ================================================================================================ FPGA resources
@dataclass(frozen=True)
class FpgaResources:
    """FPGA resources a design uses (or a part has): DSP slices, 36 Kb block RAMs, UltraRAMs, LUTs, flip-flops."""

    dsp: int = 0
    bram36: int = 0
    uram: int = 0
    lut: int = 0
    ff: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise ValueError(f"{f.name} must not be negative, got {getattr(self, f.name)!r}")

    def __add__(self, other: FpgaResources) -> FpgaResources:
        return FpgaResources(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def __mul__(self, n: int) -> FpgaResources:
        return FpgaResources(**{f.name: getattr(self, f.name) * n for f in fields(self)})

    __rmul__ = __mul__

    def as_dict(self) -> dict[str, int]:
        """The counts by resource name (dsp, bram36, uram, lut, ff)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def of_part(cls, part: str | FpgaPart, tables: EnergyTables | None = None) -> FpgaResources:
        """The capacity of a part of the tables."""
        p = fpga_part(part, tables)
        return cls(dsp=int(p.dsp.value), bram36=int(p.bram36.value), uram=int(p.uram.value), lut=int(p.lut.value),
                   ff=int(p.ff.value))


def dsp_rule(operand_bits: int, dsp_kind: str, operand_kind: Literal["int", "fp"] = "int",
             tables: EnergyTables | None = None) -> DspRule:
    """The packing rule of ``dsp_kind`` for operands of ``operand_bits`` (the narrowest rule that covers them)."""
    t = _tables(tables)
    if dsp_kind not in t.fpga.dsp:
        raise _unknown("DSP kind", dsp_kind, t.fpga.dsp, t, "fpga.dsp")
    rules = sorted((r for r in t.fpga.dsp[dsp_kind].rules if r.operand_kind == operand_kind),
                   key=lambda r: r.max_operand_bits)
    for r in rules:
        if operand_bits <= r.max_operand_bits:
            return r
    widest = rules[-1].max_operand_bits if rules else 0
    raise ConfigError(f"no {dsp_kind} rule for {operand_bits}-bit {operand_kind} operands "
                      f"(widest covered: {widest} bits)", file=t.file or None, key_path=f"fpga.dsp.{dsp_kind}.rules",
                      hint="narrow the operands or add a rule (e.g. several DSPs per MAC) with a source")


def dsp_chain_engine_resources(macs_per_cycle: int, operand_bits: int, dsp_kind: str, chain_length_dsps: int,
                               *, operand_kind: Literal["int", "fp"] = "int", macs_per_dsp: int | None = None,
                               tables: EnergyTables | None = None) -> FpgaResources:
    """Resources of a matrix engine built from cascaded DSP chains (FlightLLM's "DSP chain" engine).

    Model: ``ceil(macs_per_cycle / macs_per_dsp)`` DSP slices (packing from :func:`dsp_rule`, e.g. 2 INT8 MACs per
    DSP48E2, 3 per DSP58, unless ``macs_per_dsp`` overrides it), grouped into chains of ``chain_length_dsps``
    slices that accumulate through the dedicated cascade (PCOUT -> PCIN, no fabric). Each chain's
    ``outputs_per_chain`` results leave into one fabric accumulator each (adder + register of
    ``accumulator_bits``): ``luts_per_bit`` LUTs and ``ffs_per_bit`` flip-flops per accumulator bit.
    """
    if macs_per_cycle < 0 or chain_length_dsps <= 0:
        raise ValueError("macs_per_cycle must not be negative and chain_length_dsps must be positive")
    t = _tables(tables)
    rule = dsp_rule(operand_bits, dsp_kind, operand_kind, t)
    per_dsp = macs_per_dsp if macs_per_dsp is not None else rule.macs_per_dsp
    if per_dsp <= 0:
        raise ValueError(f"macs_per_dsp must be positive, got {per_dsp!r}")
    dsps = math.ceil(macs_per_cycle / per_dsp)
    chains = math.ceil(dsps / chain_length_dsps)
    acc = t.fpga.accumulation
    acc_bits = chains * rule.outputs_per_chain * acc.accumulator_bits.value
    return FpgaResources(dsp=dsps, lut=math.ceil(acc_bits * acc.luts_per_bit.value),
                         ff=math.ceil(acc_bits * acc.ffs_per_bit.value))


def buffer_primitives_per_bank(depth: int, width_bits: int, kind: Literal["bram", "uram"],
                               family: str = "ultrascale_plus",
                               tables: EnergyTables | None = None) -> tuple[int, Aspect]:
    """Fewest RAMB36 / URAM288 primitives for one ``depth x width_bits`` bank, and the port configuration used.

    For each configuration (depth_i x width_i) of the primitive, the bank needs ceil(depth/depth_i) cascaded
    x ceil(width/width_i) side-by-side primitives; the configuration with the fewest primitives wins (the
    wider one on a tie, fewer cascade levels). Configurations: UG573 (UltraScale+), AM007 (Versal).
    """
    if depth <= 0 or width_bits <= 0:
        raise ValueError(f"buffer depth and width must be positive, got {depth} x {width_bits}")
    t = _tables(tables)
    _, fam = fpga_family(family, t)
    aspects = {"bram": fam.bram36_aspects, "uram": fam.uram_aspects}.get(kind)
    if aspects is None:
        raise _unknown("FPGA memory kind", kind, ("bram", "uram"), t, "fpga.families")
    best = min(aspects, key=lambda a: (math.ceil(depth / a.depth) * math.ceil(width_bits / a.width_bits),
                                       -a.width_bits))
    return math.ceil(depth / best.depth) * math.ceil(width_bits / best.width_bits), best


def buffer_resources(depth: int, width_bits: int, banks: int, kind: Literal["bram", "uram"],
                     family: str = "ultrascale_plus", tables: EnergyTables | None = None) -> FpgaResources:
    """Block RAMs or UltraRAMs of an on-chip buffer of ``banks`` independent ``depth x width_bits`` banks."""
    if banks < 0:
        raise ValueError(f"banks must not be negative, got {banks!r}")
    n, _ = buffer_primitives_per_bank(depth, width_bits, kind, family, tables)
    return FpgaResources(bram36=n * banks) if kind == "bram" else FpgaResources(uram=n * banks)


def sfu_resources(lanes: int, tables: EnergyTables | None = None) -> FpgaResources:
    """Resources of a special-function unit of ``lanes`` lanes (per-lane cost of the tables, an assumption)."""
    if lanes < 0:
        raise ValueError(f"lanes must not be negative, got {lanes!r}")
    c = _tables(tables).fpga.sfu_lane
    return FpgaResources(dsp=int(c.dsp.value), lut=int(c.lut.value), ff=int(c.ff.value),
                         bram36=int(c.bram36.value)) * lanes


_RESOURCE_NAMES = {"dsp": "DSP slices", "bram36": "36 Kb block RAMs", "uram": "UltraRAMs", "lut": "LUTs",
                   "ff": "flip-flops"}
#: key of each resource in a hwconfig's ``part`` section (accelsim/config/hardware.py FpgaPartConfig)
_HWCONFIG_PART_KEYS = {"dsp": "dsp", "bram36": "bram36", "uram": "uram", "lut": "luts", "ff": "ff"}


def check_fpga_fit(used: FpgaResources, part: str | FpgaPart, source_path: str | None = None,
                   tables: EnergyTables | None = None) -> dict[str, float]:
    """Check that ``used`` fits ``part``; return the utilisation (used / available) of every resource.

    Raises :class:`~accelsim.errors.ConfigError` (file ``source_path``, e.g. the hwconfig) naming each exceeded
    resource with how much is used, how much the part has and by how much it is exceeded, and a fix.
    """
    t = _tables(tables)
    p = fpga_part(part, t)
    name = part if isinstance(part, str) else p.description
    have = FpgaResources.of_part(p, t)
    util: dict[str, float] = {}
    over: list[str] = []
    first: str | None = None
    for f in fields(FpgaResources):
        u, h = getattr(used, f.name), getattr(have, f.name)
        util[f.name] = u / h if h else (math.inf if u else 0.0)
        if u > h:
            first = first or f.name
            pct = f"{100 * (u - h) / h:.1f} %" if h else "the part has none"
            over.append(f"{f.name} ({_RESOURCE_NAMES[f.name]}): uses {u:,}, {name} has {h:,}, "
                        f"exceeded by {u - h:,} ({pct})")
    if over:
        raise ConfigError("design does not fit the FPGA part: " + "; ".join(over), file=source_path,
                          key_path=f"part.{_HWCONFIG_PART_KEYS[first]}",
                          hint=f"reduce the engine (parallelism, buffer depth or banks, SFU lanes) until {first} "
                               f"fits, map buffers to the other RAM kind, or choose a larger part")
    return util
