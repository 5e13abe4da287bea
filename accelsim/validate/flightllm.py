"""FlightLLM (FPGA'24) reference cases: LLaMA-2-7B, batch 1, on the VHK158 configuration.

``run_flightllm`` simulates every row of ``data/flightllm_reference.csv`` (restated from the authors'
artifact, sources per row) and returns one :class:`~accelsim.validate.cases.Case` each.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .cases import Case

__all__ = ["TOLERANCE_PCT", "load_flightllm_reference", "run_flightllm"]

DATA = Path(__file__).resolve().parent / "data"
#: the FlightLLM target of the foundation issue: every case within 15 %
TOLERANCE_PCT = 15.0


def load_flightllm_reference() -> list[dict[str, str]]:
    with open(DATA / "flightllm_reference.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def run_flightllm(hw: str = "vhk158-flightllm", workload: str = "llama2-7b",
                  hw_overrides: dict | None = None) -> list[Case]:
    """Simulate every FlightLLM reference case (one run per distinct prompt/gen, steps from the longest run)."""
    from ..simulate import simulate
    from ..workload import Scenario

    rows = load_flightllm_reference()
    runs: dict[tuple[int, int], object] = {}

    def run(prompt: int, gen: int):  # type: ignore[no-untyped-def]
        if (prompt, gen) not in runs:
            runs[(prompt, gen)] = simulate(hw, workload, Scenario(1, prompt, gen), hw_overrides=hw_overrides)
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
        cases.append(Case("flightllm", r["case"], r["metric"], float(r["value_ms"]), sim * 1e3, "ms", TOLERANCE_PCT,
                          r["source"]))
    return cases
