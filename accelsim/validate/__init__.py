"""Comparison with reference data that no one here wrote (restated with sources in ``data/``).

``run(areas)`` returns :class:`Case` s for the areas: ``flightllm`` (the FlightLLM authors' performance model),
``dram`` (DRAMsim3 on its HBM2 and DDR4 configurations), ``gemm`` (SCALE-Sim v3 systolic-array GEMMs), ``gpu``
(measured A100 latencies) and ``cambricon`` (Cambricon-LLM's decode speeds on its flash devices).
"""

from __future__ import annotations

from .cases import Case, format_table
from .flightllm import TOLERANCE_PCT, load_flightllm_reference, run_flightllm

__all__ = ["Case", "format_table", "run", "AREAS", "run_flightllm", "load_flightllm_reference", "TOLERANCE_PCT"]

AREAS = ("flightllm", "dram", "gemm", "gpu", "cambricon")


def run(areas: tuple[str, ...] | list[str] = AREAS) -> list[Case]:
    cases: list[Case] = []
    for area in areas:
        if area == "flightllm":
            cases += run_flightllm()
        elif area == "dram":
            from .dramsim3 import run_dramsim3

            cases += run_dramsim3()
        elif area == "gemm":
            from .scalesim import run_scalesim

            cases += run_scalesim()
        elif area == "gpu":
            from .gpu import run_gpu

            cases += run_gpu()
        elif area == "cambricon":
            from .cambricon import run_cambricon

            cases += run_cambricon()
        else:
            raise ValueError(f"unknown validation area {area!r}")
    return cases
