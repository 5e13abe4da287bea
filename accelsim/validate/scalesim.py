"""SCALE-Sim v3 reference cases: GEMMs on 32x32 and 128x128 systolic arrays, dataflows os/ws/is.

The reference figures (``data/scalesim_gemm.csv``) were produced with SCALE-Sim v3.0.0 in GEMM mode;
``data/scalesim_README.md`` says how. Only the ``CALC`` rows (SCALE-Sim computes the DRAM bandwidth it
needs; no stalls) are compared; the ``USER`` rows (a fixed 10 words/cycle interface) are informational.

Per CALC row, eleven metrics are compared with :func:`accelsim.kernels.systolic.gemm_cost`. Tolerance:
1 % for every metric (:data:`TOLERANCE_PCT`; the issue's target for the compute cycles, which are expected
to be exact). The model reproduces SCALE-Sim's mechanisms rather than fitting them, and every compared
figure is in fact identical (floating-point utilisation figures bit for bit); the tests assert exact
equality, the 1 % is the stated acceptance bound.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .cases import Case

__all__ = ["TOLERANCE_PCT", "METRICS", "load_scalesim_reference", "run_scalesim"]

DATA = Path(__file__).resolve().parent / "data"
#: acceptance bound in percent for every compared metric (compute cycles: the issue's 1 %, exact expected)
TOLERANCE_PCT = 1.0
#: (Case metric name, SystolicCost field, reference CSV column, unit)
METRICS = (
    ("cycles", "compute_cycles", "compute:Total Cycles", "cycles"),
    ("cyc+pref", "cycles_with_prefetch", "compute:Total Cycles (incl. prefetch)", "cycles"),
    ("util", "overall_util_pct", "compute:Overall Util %", "%"),
    ("map_eff", "mapping_efficiency_pct", "compute:Mapping Efficiency %", "%"),
    ("comp_util", "compute_util_pct", "compute:Compute Util %", "%"),
    ("sram_if", "sram_ifmap_reads", "access:SRAM IFMAP Reads", "words"),
    ("sram_fi", "sram_filter_reads", "access:SRAM Filter Reads", "words"),
    ("sram_of", "sram_ofmap_writes", "access:SRAM OFMAP Writes", "words"),
    ("dram_if", "dram_ifmap_reads", "access:DRAM IFMAP Reads", "words"),
    ("dram_fi", "dram_filter_reads", "access:DRAM Filter Reads", "words"),
    ("dram_of", "dram_ofmap_writes", "access:DRAM OFMAP Writes", "words"),
)


def load_scalesim_reference(mode: str | None = "CALC") -> list[dict[str, str]]:
    """Rows of ``data/scalesim_gemm.csv`` (``mode`` = ``"CALC"``, ``"USER"`` or ``None`` for all)."""
    with open(DATA / "scalesim_gemm.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if mode is None or r["bw_mode"] == mode]


def case_label(row: dict[str, str]) -> str:
    """Short case name: ``M128 N4096 K4096 128x128 ws``."""
    return f"M{row['M']} N{row['N']} K{row['K']} {row['array_rows']}x{row['array_cols']} {row['dataflow']}"


def run_scalesim() -> list[Case]:
    """One :class:`Case` per compared metric of every CALC reference row."""
    from ..kernels.systolic import gemm_cost

    cases: list[Case] = []
    for r in load_scalesim_reference("CALC"):
        cost = gemm_cost(int(r["M"]), int(r["N"]), int(r["K"]), int(r["array_rows"]), int(r["array_cols"]),
                         r["dataflow"], int(r["ifmap_sram_kB"]), int(r["filter_sram_kB"]), int(r["ofmap_sram_kB"]))
        for metric, field, column, unit in METRICS:
            cases.append(Case("gemm", case_label(r), metric, float(r[column]), float(getattr(cost, field)), unit,
                              TOLERANCE_PCT, r["source"]))
    return cases
