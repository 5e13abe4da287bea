"""Energy and area tables (Accelergy-style): per-action energies, per-component areas and FPGA parts.

The tables live in ``energy_tables.yaml`` next to this module. Every number is a *constant*: a mapping
``{value: <number>, source: "<paper/table/page, data sheet, 'derived: ...' or 'assumption: ...'>"}``; a
constant without a source, with an empty source or with a negative value is rejected. The YAML is read once
with ``yaml.safe_load`` (through :func:`accelsim.config.schema.load_yaml`, which also records line numbers)
into the frozen dataclasses below; any problem (malformed YAML, an unknown key with a did-you-mean, a missing
key, a negative energy, a cross-reference to an operation, precision, node or family that does not exist)
raises :class:`accelsim.errors.ConfigError` naming the file, line and dotted key path, with a fix.

This module only *holds* the tables. The arithmetic that turns them into energies, areas and FPGA resource
counts (technology interpolation, SRAM capacity interpolation, MAC = multiply + accumulate, BRAM/URAM
mapping) lives in :mod:`accelsim.stats.energy`, so that swapping a table never requires a re-run.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields, is_dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Literal

from ..errors import ConfigError
from .schema import Source, build, items, load_yaml, num, sub, text

__all__ = [
    "ENERGY_TABLES_FILE", "Const", "OptionalConst", "ArithmeticOp", "Precision", "Technology", "SramPoint",
    "SramTable", "DerivationRules", "RegisterFile", "SfuModel", "AsicTables", "Aspect", "FpgaFamily", "DspRule",
    "DspKind", "AccumulationPath", "SfuLaneCost", "FpgaEnergy", "FpgaPart", "FpgaTables", "EnergyTables",
    "load_energy_tables", "default_energy_tables", "iter_constants",
]

#: the shipped tables
ENERGY_TABLES_FILE = Path(__file__).resolve().parent / "energy_tables.yaml"

_SOURCE_HELP = ("where the number comes from: paper, table and page, data sheet, or 'derived: <formula from X "
                "and Y>', or 'assumption: <why>'")


def _check_source(source: str, src: Source, path: str) -> None:
    if not source.strip():
        raise src.error(f"{path}.source" if path else "source", "empty source",
                        "say where the number comes from (paper/table/page, data sheet, 'derived: ...' or "
                        "'assumption: ...')")


# ------------------------------------------------------------------------------------------------ constants
@dataclass(frozen=True, kw_only=True)
class Const:
    """One number of the tables and where it comes from. Energies, areas and counts are never negative."""

    value: float = num("the number, in the unit that its key names (pJ, um2, W, a count, ...)", nonneg=True)
    source: str = text(_SOURCE_HELP)

    def validate(self, src: Source, path: str) -> None:
        _check_source(self.source, src, path)


@dataclass(frozen=True, kw_only=True)
class OptionalConst:
    """A number that may be unpublished: ``value: null`` is allowed, and then the source says why."""

    value: float | None = num("the number, or null when no published figure exists", nonneg=True, default=None)
    source: str = text(_SOURCE_HELP)

    def validate(self, src: Source, path: str) -> None:
        _check_source(self.source, src, path)


def _whole(c: Const | OptionalConst, src: Source, path: str) -> None:
    if c.value is not None and not float(c.value).is_integer():
        raise src.error(f"{path}.value", f"must be a whole number, got {c.value!r}", "write a count such as 9024")


# ------------------------------------------------------------------------------------------------ ASIC
@dataclass(frozen=True, kw_only=True)
class ArithmeticOp:
    """One arithmetic operation (an adder or a multiplier of a format) with its energy and area.

    ``energy_45nm_pj`` and ``area_45nm_um2`` are the reference-node figures. ``energy_7nm_pj`` is the anchor-node
    figure where one is published; otherwise the operation scales from 45 nm to 7 nm like the operation named
    in ``scales_like`` (same number kind and operation, with a published 7 nm figure).
    """

    kind: Literal["int", "fp"] = text("integer or floating point")
    op: Literal["add", "mult"] = text("adder or multiplier")
    bits: int = num("operand width in bits", positive=True)
    significand_bits: int | None = num("floating point: significand bits including the hidden bit", positive=True,
                                       default=None)
    energy_45nm_pj: Const = sub("energy per operation at the reference node (45 nm), pJ")
    energy_7nm_pj: Const | None = sub("energy per operation at the anchor node (7 nm), pJ, where published",
                                      default=None)
    scales_like: str | None = text("operation whose published 45 -> 7 nm ratio this one follows", default=None)
    area_45nm_um2: Const = sub("area at the reference node (45 nm), um2")

    def validate(self, src: Source, path: str) -> None:
        if self.kind == "fp" and self.significand_bits is None:
            raise src.error(path, "a floating-point operation needs significand_bits",
                            "add 'significand_bits:' (e.g. 11 for FP16, 24 for FP32)")
        if self.energy_7nm_pj is None and self.scales_like is None:
            raise src.error(path, "no 7 nm energy and no 'scales_like'",
                            "add 'energy_7nm_pj:' from a published table or 'scales_like: <operation>'")


@dataclass(frozen=True, kw_only=True)
class Precision:
    """A number format a MAC or a special-function unit runs in, and how its energy is derived.

    A MAC is one multiply at the format plus one add of the accumulator (``accumulator`` names that adder);
    a special-function element operation uses the format's own adder (``adder``).
    """

    kind: Literal["int", "fp"] = text("integer or floating point")
    bits: int = num("storage width in bits", positive=True)
    significand_bits: int | None = num("floating point: significand bits including the hidden bit", positive=True,
                                       default=None)
    adder: str = text("arithmetic operation used for an add in this format")
    accumulator: str = text("arithmetic operation that accumulates the products (MAC = multiply + this add)")
    source: str = text("definition of the format and of the accumulation choice")

    def validate(self, src: Source, path: str) -> None:
        _check_source(self.source, src, path)
        if self.kind == "fp" and self.significand_bits is None:
            raise src.error(path, "a floating-point precision needs significand_bits",
                            "add 'significand_bits:' (hidden bit included)")


@dataclass(frozen=True, kw_only=True)
class Technology:
    """Process nodes and the rule that scales energies between the reference (45 nm) and anchor (7 nm) tables."""

    reference_nm: Const = sub("node of the reference tables (Horowitz 2014: 45 nm)")
    anchor_nm: Const = sub("node of the anchor tables (Jouppi et al. 2021: 7 nm)")
    nodes: dict[str, Const] = items("supported nodes: name -> feature size in nm", default_factory=dict)
    rule: str = text("the interpolation rule, in words, with its justification")

    def validate(self, src: Source, path: str) -> None:
        if not self.nodes:
            raise src.error(f"{path}.nodes", "no technology nodes", "list at least the reference node")
        lo, hi = sorted((self.anchor_nm.value, self.reference_nm.value))
        for name, c in self.nodes.items():
            if not lo <= c.value <= hi or c.value <= 0:
                raise src.error(f"{path}.nodes.{name}.value",
                                f"node {c.value:g} nm is outside the interpolation range {lo:g}-{hi:g} nm",
                                "only nodes between the anchor and the reference tables can be interpolated")


@dataclass(frozen=True, kw_only=True)
class SramPoint:
    """A published SRAM access energy at one capacity."""

    capacity_bytes: int = num("array capacity in bytes", positive=True)
    energy_pj: Const = sub("energy of one access of access_bits, pJ")


@dataclass(frozen=True, kw_only=True)
class SramTable:
    """SRAM access energy by capacity at the reference and anchor nodes, plus bit-cell areas for area estimates."""

    access_bits: Const = sub("bits per access of the published figures")
    read_45nm: tuple[SramPoint, ...] = items("reference-node points, ascending capacity", default_factory=tuple)
    read_7nm: tuple[SramPoint, ...] = items("anchor-node points, ascending capacity", default_factory=tuple)
    write_to_read_ratio: Const = sub("write energy / read energy")
    rule: str = text("the capacity interpolation rule, in words")
    bitcell_um2: dict[str, Const] = items("6T high-density bit-cell area per node, um2", default_factory=dict)
    array_efficiency: Const = sub("bit-cell area / macro area (periphery overhead)")

    def validate(self, src: Source, path: str) -> None:
        for name in ("read_45nm", "read_7nm"):
            pts = getattr(self, name)
            if not pts:
                raise src.error(f"{path}.{name}", "no SRAM points", "give at least one published capacity")
            caps = [p.capacity_bytes for p in pts]
            if caps != sorted(set(caps)):
                raise src.error(f"{path}.{name}", "capacities must be strictly ascending",
                                "sort the points by capacity_bytes and drop duplicates")
        if not 0 < self.array_efficiency.value <= 1:
            raise src.error(f"{path}.array_efficiency.value", "must be in (0, 1]", "use a fraction such as 0.7")


@dataclass(frozen=True, kw_only=True)
class DerivationRules:
    """How adders and multipliers of widths without a published figure are derived from the published ones.

    * integer multiplier of ``a x b`` bits = anchor x ((a*b) / anchor_bits^2)^(int_mult_exponent / 2), with the
      small anchor for operands up to its width and the large anchor above;
    * floating-point multiplier with an m-bit significand = A + B*m^2, the line through the two anchors;
    * integer adder of n bits = anchor x (n / anchor_bits)^adder_width_exponent.
    """

    int_mult_exponent: Const = sub("integer multiplier energy/area grows as (a_bits*b_bits)^(exponent/2)")
    int_mult_anchor_small: str = text("integer multiplier anchor for operands up to its width")
    int_mult_anchor_large: str = text("integer multiplier anchor for wider operands")
    fp_mult_anchor_narrow: str = text("narrow floating-point multiplier anchor of the fit A + B*m^2")
    fp_mult_anchor_wide: str = text("wide floating-point multiplier anchor of the fit A + B*m^2")
    int_add_anchor: str = text("integer adder anchor for adders of other widths")
    adder_width_exponent: Const = sub("integer adder energy/area grows as width^exponent")
    source: str = text("why these rules hold")

    def validate(self, src: Source, path: str) -> None:
        _check_source(self.source, src, path)


@dataclass(frozen=True, kw_only=True)
class RegisterFile:
    """Register-file access energy, defined relative to one reference MAC (Eyeriss's normalisation)."""

    to_mac_ratio: Const = sub("register-file access energy / reference MAC energy")
    reference_mult_bits: Const = sub("operand width of the reference MAC's integer multiplier")
    reference_accumulator: str = text("accumulator adder of the reference MAC")
    word_bits: Const = sub("bits per register-file access")


@dataclass(frozen=True, kw_only=True)
class SfuModel:
    """Special-function unit: energy of one element operation, in fused multiply-add equivalents."""

    fma_per_element: Const = sub("multiply + add pairs per special-function element operation")


@dataclass(frozen=True, kw_only=True)
class AsicTables:
    """Everything needed for ASIC energy and area."""

    arithmetic: dict[str, ArithmeticOp] = items("arithmetic operations by name", default_factory=dict)
    precisions: dict[str, Precision] = items("MAC / special-function precisions by name", default_factory=dict)
    technology: Technology = sub("process nodes and scaling rule")
    derivation: DerivationRules = sub("derivation rules for unpublished adder and multiplier widths")
    sram: SramTable = sub("SRAM access energy and bit-cell area")
    regfile: RegisterFile = sub("register file")
    sfu: SfuModel = sub("special-function unit")


# ------------------------------------------------------------------------------------------------ FPGA
@dataclass(frozen=True, kw_only=True)
class Aspect:
    """One port configuration (depth x width) of a block RAM or UltraRAM primitive."""

    depth: int = num("words", positive=True)
    width_bits: int = num("bits per word (parity bits included)", positive=True)


@dataclass(frozen=True, kw_only=True)
class FpgaFamily:
    """An FPGA family: its process node and the port configurations of its memory primitives."""

    node: str = text("process node (a key of asic.technology.nodes)")
    node_source: str = text("where the node comes from")
    bram36_bits: Const = sub("capacity of one 36 Kb block RAM in bits")
    bram36_aspects: tuple[Aspect, ...] = items("RAMB36 port configurations", default_factory=tuple)
    bram36_source: str = text("where the RAMB36 configurations come from")
    uram_bits: Const = sub("capacity of one UltraRAM in bits")
    uram_aspects: tuple[Aspect, ...] = items("URAM288 port configurations", default_factory=tuple)
    uram_source: str = text("where the URAM288 configurations come from")

    def validate(self, src: Source, path: str) -> None:
        for name in ("node_source", "bram36_source", "uram_source"):
            if not getattr(self, name).strip():
                raise src.error(f"{path}.{name}", "empty source", "say where the figures come from")
        for name, cap in (("bram36", self.bram36_bits.value), ("uram", self.uram_bits.value)):
            aspects = getattr(self, f"{name}_aspects")
            if not aspects:
                raise src.error(f"{path}.{name}_aspects", "no port configurations", "list depth x width pairs")
            for i, a in enumerate(aspects):
                if a.depth * a.width_bits > cap:
                    raise src.error(f"{path}.{name}_aspects[{i}]",
                                    f"{a.depth} x {a.width_bits} bits exceeds the primitive's {cap:g} bits",
                                    "check the configuration against the memory-resources user guide")


@dataclass(frozen=True, kw_only=True)
class DspRule:
    """How many MACs one DSP slice does per cycle for operands up to ``max_operand_bits``."""

    operand_kind: Literal["int", "fp"] = text("integer or floating-point operands")
    max_operand_bits: int = num("widest operand this rule covers", positive=True)
    macs_per_dsp: int = num("MACs per DSP slice per cycle", positive=True)
    outputs_per_chain: int = num("independent accumulations leaving one cascaded DSP chain", positive=True)
    source: str = text("where the rule comes from")

    def validate(self, src: Source, path: str) -> None:
        _check_source(self.source, src, path)


@dataclass(frozen=True, kw_only=True)
class DspKind:
    """A DSP slice type (DSP48E2, DSP58): its packing rules and its per-MAC dynamic energies."""

    family: str = text("FPGA family (a key of fpga.families)")
    rules: tuple[DspRule, ...] = items("packing rules, narrowest first within each operand kind",
                                       default_factory=tuple)
    int8_mac_pj: Const = sub("energy of one INT8 MAC in the packed mode, pJ")
    native_mac_pj: Const = sub("energy of one MAC at the native multiplier width, pJ")
    fp_mac_pj: Const | None = sub("energy of one floating-point MAC in the hard floating-point mode, pJ",
                                  default=None)

    def validate(self, src: Source, path: str) -> None:
        if not self.rules:
            raise src.error(f"{path}.rules", "no packing rules", "give at least the native-width rule")


@dataclass(frozen=True, kw_only=True)
class AccumulationPath:
    """Fabric cost of one accumulator at a DSP chain's output (adder + register of accumulator width)."""

    accumulator_bits: Const = sub("accumulator width in bits")
    luts_per_bit: Const = sub("LUTs per accumulator bit (carry-chain adder)")
    ffs_per_bit: Const = sub("flip-flops per accumulator bit (accumulator register)")


@dataclass(frozen=True, kw_only=True)
class SfuLaneCost:
    """FPGA resources of one special-function lane."""

    dsp: Const = sub("DSP slices per lane")
    lut: Const = sub("LUTs per lane")
    ff: Const = sub("flip-flops per lane")
    bram36: Const = sub("36 Kb block RAMs per lane")


@dataclass(frozen=True, kw_only=True)
class FpgaEnergy:
    """Per-action dynamic energies of FPGA memories and soft logic."""

    bram36_pj_per_byte: dict[str, Const] = items("block RAM access energy per byte, by family", default_factory=dict)
    uram_pj_per_byte: dict[str, Const] = items("UltraRAM access energy per byte, by family", default_factory=dict)
    soft_logic_to_asic_ratio: Const = sub("dynamic energy of LUT/FF logic / the same function as standard cells")
    hard_block_overhead: Const = sub("multiplier on DSP / block-RAM / UltraRAM energies for routing and clocking")


@dataclass(frozen=True, kw_only=True)
class FpgaPart:
    """An FPGA part: its resources and, where published, its power figures."""

    description: str = text("what the part is (board, die)")
    family: str = text("FPGA family (a key of fpga.families)")
    dsp_kind: str = text("DSP slice type (a key of fpga.dsp)")
    dsp: Const = sub("DSP slices")
    bram36: Const = sub("36 Kb block RAMs")
    uram: Const = sub("288 Kb UltraRAMs")
    lut: Const = sub("6-input LUTs")
    ff: Const = sub("flip-flops")
    slrs: OptionalConst = sub("super logic regions (null where not published)")
    board_max_power_w: OptionalConst = sub("maximum board power, W")
    board_typical_power_w: OptionalConst = sub("typical board power, W")
    static_power_w: OptionalConst = sub("device static power, W")

    def validate(self, src: Source, path: str) -> None:
        for name in ("dsp", "bram36", "uram", "lut", "ff", "slrs"):
            _whole(getattr(self, name), src, f"{path}.{name}")


@dataclass(frozen=True, kw_only=True)
class FpgaTables:
    """FPGA families, DSP slice rules and energies, fabric costs and parts."""

    families: dict[str, FpgaFamily] = items("FPGA families", default_factory=dict)
    dsp: dict[str, DspKind] = items("DSP slice types", default_factory=dict)
    accumulation: AccumulationPath = sub("fabric accumulator per DSP chain output")
    sfu_lane: SfuLaneCost = sub("resources of one special-function lane")
    energy: FpgaEnergy = sub("FPGA memory and soft-logic energies")
    parts: dict[str, FpgaPart] = items("FPGA parts by name", default_factory=dict)


# ------------------------------------------------------------------------------------------------ top level
@dataclass(frozen=True, kw_only=True)
class EnergyTables:
    """All energy, area and FPGA-resource tables. ``file`` is where they were read from (for error messages)."""

    version: int = num("table format version", lo=1, hi=1)
    description: str = text("what these tables are")
    references: dict[str, str] = items("bibliography: key -> full citation", default_factory=dict)
    asic: AsicTables = sub("ASIC energy and area")
    offchip_pj_per_byte: dict[str, Const] = items(
        "off-chip memory energy per byte moved, by memory kind (used when the DRAM model gives no energy)",
        default_factory=dict)
    fpga: FpgaTables = sub("FPGA resources and energy")
    file: str = field(default="", init=False, compare=False)

    def validate(self, src: Source, path: str) -> None:
        a = self.asic
        ops = a.arithmetic

        def need(name: str | None, where: str, what: str, known: dict[str, Any]) -> None:
            if name is not None and name not in known:
                import difflib

                close = difflib.get_close_matches(str(name), list(known), n=1)
                raise src.error(where, f"unknown {what} {name!r}",
                                f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known))}")

        for name, op in ops.items():
            need(op.scales_like, f"asic.arithmetic.{name}.scales_like", "operation", ops)
            if op.scales_like is not None:
                ref = ops[op.scales_like]
                if ref.energy_7nm_pj is None:
                    raise src.error(f"asic.arithmetic.{name}.scales_like",
                                    f"{op.scales_like!r} has no published 7 nm energy to scale by",
                                    "point scales_like at an operation with energy_7nm_pj")
        for name, p in a.precisions.items():
            need(p.adder, f"asic.precisions.{name}.adder", "operation", ops)
            need(p.accumulator, f"asic.precisions.{name}.accumulator", "operation", ops)
            for role in ("adder", "accumulator"):
                if ops[getattr(p, role)].op != "add":
                    raise src.error(f"asic.precisions.{name}.{role}", f"{getattr(p, role)!r} is not an adder",
                                    "name an operation with 'op: add'")
        m = a.derivation
        for role, kind, opname in (("int_mult_anchor_small", "int", "mult"), ("int_mult_anchor_large", "int", "mult"),
                                   ("fp_mult_anchor_narrow", "fp", "mult"), ("fp_mult_anchor_wide", "fp", "mult"),
                                   ("int_add_anchor", "int", "add")):
            name = getattr(m, role)
            need(name, f"asic.derivation.{role}", "operation", ops)
            if ops[name].op != opname or ops[name].kind != kind:
                raise src.error(f"asic.derivation.{role}", f"{name!r} is not an {kind} {opname}",
                                f"name an operation with 'kind: {kind}' and 'op: {opname}'")
        if ops[m.fp_mult_anchor_narrow].significand_bits == ops[m.fp_mult_anchor_wide].significand_bits:
            raise src.error("asic.derivation.fp_mult_anchor_wide", "the two floating-point anchors have the same width",
                            "use two multipliers of different significand widths")
        need(a.regfile.reference_accumulator, "asic.regfile.reference_accumulator", "operation", ops)
        nodes = a.technology.nodes
        for node in a.sram.bitcell_um2:
            need(node, f"asic.sram.bitcell_um2.{node}", "technology node", nodes)
        ref_node = [n for n, c in nodes.items() if c.value == a.technology.reference_nm.value]
        if not ref_node or ref_node[0] not in a.sram.bitcell_um2:
            raise src.error("asic.sram.bitcell_um2", "no bit-cell area at the reference node",
                            "add the reference node's bit-cell area (areas scale from it)")
        f = self.fpga
        for name, fam in f.families.items():
            need(fam.node, f"fpga.families.{name}.node", "technology node", nodes)
        for name, d in f.dsp.items():
            need(d.family, f"fpga.dsp.{name}.family", "FPGA family", f.families)
        for table in ("bram36_pj_per_byte", "uram_pj_per_byte"):
            for fam in getattr(f.energy, table):
                need(fam, f"fpga.energy.{table}.{fam}", "FPGA family", f.families)
        for name, part in f.parts.items():
            need(part.family, f"fpga.parts.{name}.family", "FPGA family", f.families)
            need(part.dsp_kind, f"fpga.parts.{name}.dsp_kind", "DSP kind", f.dsp)
            if f.dsp[part.dsp_kind].family != part.family:
                raise src.error(f"fpga.parts.{name}.dsp_kind",
                                f"{part.dsp_kind!r} belongs to family {f.dsp[part.dsp_kind].family!r}, "
                                f"not {part.family!r}", "use the DSP slice type of the part's family")


def iter_constants(obj: Any, path: str = "") -> Iterator[tuple[str, Const | OptionalConst]]:
    """Every :class:`Const` / :class:`OptionalConst` in a loaded table, with its dotted key path."""
    if isinstance(obj, (Const, OptionalConst)):
        yield path, obj
    elif is_dataclass(obj):
        for f in fields(obj):
            yield from iter_constants(getattr(obj, f.name), f"{path}.{f.name}" if path else f.name)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from iter_constants(v, f"{path}.{k}" if path else str(k))
    elif isinstance(obj, tuple):
        for i, v in enumerate(obj):
            yield from iter_constants(v, f"{path}[{i}]")


def load_energy_tables(path: str | os.PathLike[str] | None = None) -> EnergyTables:
    """Read and validate an energy-table YAML (the shipped ``energy_tables.yaml`` when ``path`` is None)."""
    file = str(path) if path is not None else str(ENERGY_TABLES_FILE)
    data, src = load_yaml(file)
    if "version" not in data:
        raise src.error("", "missing required key 'version'", "add 'version: 1' at the top of the file")
    tables = build(EnergyTables, data, src)
    object.__setattr__(tables, "file", file)
    for key, c in iter_constants(tables):
        if c.value is not None and not math.isfinite(c.value):
            raise src.error(f"{key}.value", f"must be a finite number, got {c.value!r}", "write a plain number")
    return tables


@lru_cache(maxsize=1)
def default_energy_tables() -> EnergyTables:
    """The shipped tables, loaded once per process."""
    if not ENERGY_TABLES_FILE.is_file():  # pragma: no cover - packaging error
        raise ConfigError("energy tables not found", file=str(ENERGY_TABLES_FILE),
                          hint="reinstall accelsim (package data accelsim/config/*.yaml)")
    return load_energy_tables(None)
