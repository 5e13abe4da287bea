"""Comparison with reference data that no one here wrote (restated with sources in ``data/``).

``run_flightllm`` simulates the FlightLLM reference cases (LLaMA-2-7B, batch 1, VHK158) and returns one
:class:`Case` per row of ``data/flightllm_reference.csv`` with the simulated value and its error.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["Case", "TOLERANCE_PCT", "load_flightllm_reference", "run_flightllm", "format_table"]

DATA = Path(__file__).resolve().parent / "data"
#: the FlightLLM target of the foundation issue: every case within 15 %
TOLERANCE_PCT = 15.0


@dataclass
class Case:
    """One reference case: what was compared, the reference, the simulated value and the error."""

    area: str
    case: str
    reference: float
    simulated: float
    unit: str
    tolerance_pct: float
    source: str

    @property
    def error_pct(self) -> float:
        return (self.simulated - self.reference) / self.reference * 100.0

    @property
    def ok(self) -> bool:
        return abs(self.error_pct) <= self.tolerance_pct

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["error_pct"] = self.error_pct
        d["ok"] = self.ok
        return d


def load_flightllm_reference() -> list[dict[str, str]]:
    with open(DATA / "flightllm_reference.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def run_flightllm(hw: str = "vhk158-flightllm", workload: str = "llama2-7b") -> list[Case]:
    """Simulate every FlightLLM reference case (one run per distinct prompt/gen, steps from the longest run)."""
    from ..simulate import simulate
    from ..workload import Scenario

    rows = load_flightllm_reference()
    runs: dict[tuple[int, int], object] = {}

    def run(prompt: int, gen: int):  # type: ignore[no-untyped-def]
        if (prompt, gen) not in runs:
            runs[(prompt, gen)] = simulate(hw, workload, Scenario(1, prompt, gen))
        return runs[(prompt, gen)]

    steps_gen = max(int(r["context"]) - int(r["prompt"]) for r in rows if r["context"])
    cases: list[Case] = []
    for r in rows:
        prompt = int(r["prompt"])
        if r["phase"] == "prefill":
            sim = run(prompt, 1).prefill_s  # type: ignore[attr-defined]
        elif r["phase"] == "decode":
            res = run(prompt, steps_gen)
            sim = res.decode_step_s[int(r["context"]) - prompt - 1]  # type: ignore[attr-defined]
        elif r["phase"] == "decode_total":
            sim = run(prompt, int(r["gen"])).decode_s  # type: ignore[attr-defined]
        else:
            sim = run(prompt, int(r["gen"])).e2e_s  # type: ignore[attr-defined]
        cases.append(Case("flightllm", r["case"], float(r["value_ms"]), sim * 1e3, "ms", TOLERANCE_PCT, r["source"]))
    return cases


def format_table(cases: list[Case]) -> str:
    lines = [f"{'area':<10} {'case':<20} {'reference':>12} {'simulated':>12} {'unit':<4} {'error %':>8}  target",
             "-" * 78]
    for c in cases:
        mark = "ok" if c.ok else "MISS"
        lines.append(f"{c.area:<10} {c.case:<20} {c.reference:12.3f} {c.simulated:12.3f} {c.unit:<4} "
                     f"{c.error_pct:+8.2f}  <= {c.tolerance_pct:g} % {mark}")
    worst = max(cases, key=lambda c: abs(c.error_pct))
    lines.append("-" * 78)
    lines.append(f"worst: {worst.case} {worst.error_pct:+.2f} %; {sum(c.ok for c in cases)}/{len(cases)} within target")
    return "\n".join(lines)
