"""Run one workload on several devices and compare them side by side (``accelsim compare``).

For every device (FPGA or GPU hwconfig) the same scenario is simulated and summarised as: time to first
token, time per output token, decode throughput, energy per generated token, tokens per joule, average
power, and — where the hwconfig sets ``price_usd`` — the cost per million generated tokens:

    cost per 1M tokens = (price_usd / lifetime_s + power_w x usd_per_kwh / 3.6e6 J/kWh) / tokens_per_s x 1e6

i.e. the device is bought at ``price_usd`` and produces tokens at the simulated rate for ``lifetime_years``
(100 % duty, no host, cooling or facility costs), paying ``usd_per_kwh`` for its board energy. The
assumptions travel with the result (:attr:`Comparison.assumptions`). A device the model does not fit is
reported with the capacity error instead of figures; the other devices still run.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from .errors import CapacityError
from .workload import Scenario

__all__ = ["ComparisonRow", "Comparison", "compare", "SECONDS_PER_YEAR", "DEFAULT_LIFETIME_YEARS",
           "DEFAULT_USD_PER_KWH", "ratio"]

#: 365.25 days
SECONDS_PER_YEAR = 365.25 * 24 * 3600
#: amortisation period of the device price (a common data-centre depreciation schedule; an assumption)
DEFAULT_LIFETIME_YEARS = 3.0
#: electricity price (an assumption; roughly the U.S. industrial average of the EIA's Electric Power Monthly)
DEFAULT_USD_PER_KWH = 0.10
_J_PER_KWH = 3.6e6


@dataclass
class ComparisonRow:
    """One device's figures for the compared scenario (None where not available)."""

    device: str
    kind: str
    runs_with: str
    ttft_s: float | None = None
    tpot_s: float | None = None
    tokens_per_s: float | None = None
    energy_per_token_j: float | None = None
    tokens_per_j: float | None = None
    power_w: float | None = None
    price_usd: float | None = None
    cost_per_mtok_usd: float | None = None
    e2e_s: float | None = None
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Comparison:
    """Rows of a comparison plus the scenario and the cost assumptions behind them."""

    workload: str
    scenario: dict[str, int]
    rows: list[ComparisonRow]
    assumptions: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"workload": self.workload, "scenario": self.scenario, "assumptions": self.assumptions,
                "rows": [r.to_dict() for r in self.rows]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def row(self, device: str) -> ComparisonRow:
        return next(r for r in self.rows if r.device == device)

    def table(self) -> str:
        """The side-by-side table ``accelsim compare`` prints."""
        def f(v: float | None, fmt: str, scale: float = 1.0) -> str:
            width = int(fmt.split(".")[0])
            return "n/a".rjust(width) if v is None else format(v * scale, fmt)

        sc = self.scenario
        head = (f"{'device':<18} {'runs with':<22} {'TTFT ms':>9} {'TPOT ms':>9} {'tok/s':>8} {'J/token':>8} "
                f"{'tok/J':>7} {'power W':>8} {'price $':>8} {'$/1M tok':>9}")
        lines = [f"{self.workload}: batch {sc['batch']}, prompt {sc['prompt']}, gen {sc['gen']}", head, "-" * len(head)]
        for r in self.rows:
            if r.error:
                lines.append(f"{r.device:<18} {r.runs_with:<22} does not run: {r.error.splitlines()[0]}")
                continue
            lines.append(f"{r.device:<18} {r.runs_with:<22} {f(r.ttft_s, '9.2f', 1e3)} {f(r.tpot_s, '9.3f', 1e3)} "
                         f"{f(r.tokens_per_s, '8.1f')} {f(r.energy_per_token_j, '8.3f')} {f(r.tokens_per_j, '7.3f')} "
                         f"{f(r.power_w, '8.1f')} {f(r.price_usd, '8.0f')} {f(r.cost_per_mtok_usd, '9.2f')}")
        a = self.assumptions
        lines.append("-" * len(head))
        lines.append(f"cost per 1M generated tokens: price amortised over {a['lifetime_years']:g} years at 100 % duty "
                     f"and the simulated tokens/s, plus board energy at ${a['usd_per_kwh']:g}/kWh; host, cooling and "
                     "facility costs excluded; n/a where the hwconfig has no price_usd")
        lines.append("J/token and tok/J: energy of the whole run (prefill + decode) per generated token")
        return "\n".join(lines)

    def write(self, out_dir: str) -> list[str]:
        """Write ``comparison.csv``, ``comparison.json`` and a bar chart ``comparison.png`` into ``out_dir``."""
        os.makedirs(out_dir, exist_ok=True)
        csv_path = os.path.join(out_dir, "comparison.csv")
        with open(csv_path, "w", newline="", encoding="utf-8") as fh:
            fields = list(ComparisonRow.__dataclass_fields__)
            w = csv.DictWriter(fh, fieldnames=["workload", "batch", "prompt", "gen"] + fields)
            w.writeheader()
            for r in self.rows:
                w.writerow({"workload": self.workload, **self.scenario, **r.to_dict()})
        json_path = os.path.join(out_dir, "comparison.json")
        with open(json_path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=2)
        png_path = os.path.join(out_dir, "comparison.png")
        self.bar_chart(png_path)
        return [csv_path, json_path, png_path]

    def bar_chart(self, path: str) -> None:
        """Bars of tokens/s, tokens/J and cost per 1M tokens per device (matplotlib, Agg backend)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        ok = [r for r in self.rows if not r.error]
        panels = [("tokens_per_s", "decode tokens/s"), ("tokens_per_j", "tokens per joule"),
                  ("cost_per_mtok_usd", "$ per 1M tokens")]
        fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6))
        for ax, (key, title) in zip(axes, panels):
            names = [r.device for r in ok]
            vals = [getattr(r, key) or 0.0 for r in ok]
            ax.bar(range(len(names)), vals, color="#4477aa")
            top = max(vals) if vals and max(vals) > 0 else 1.0
            for i, r in enumerate(ok):
                if getattr(r, key) is None:
                    ax.text(i, 0.02 * top, "n/a", ha="center", va="bottom", fontsize=7, color="#777777")
            ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
            ax.set_title(title, fontsize=10)
        sc = self.scenario
        fig.suptitle(f"{self.workload}, batch {sc['batch']}, prompt {sc['prompt']}, gen {sc['gen']}", fontsize=10)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)


def _runs_with(hw: Any, formats: dict[str, Any]) -> str:
    if hw.kind == "gpu":
        return f"{hw.framework.name} {formats.get('weights')}"
    return f"{hw.kind} {formats.get('weights')}/{formats.get('activations')}"


def compare(workload: str, hardware: Sequence[str], scenario: Scenario, *,
            lifetime_years: float = DEFAULT_LIFETIME_YEARS, usd_per_kwh: float = DEFAULT_USD_PER_KWH,
            hw_overrides: dict[str, dict[str, Any]] | None = None) -> Comparison:
    """Simulate ``scenario`` of ``workload`` on every hwconfig in ``hardware`` and tabulate the results.

    ``hw_overrides`` maps a hwconfig name to dotted overrides for it (e.g. a price or a framework)."""
    from .config import load_hardware
    from .simulate import simulate

    rows: list[ComparisonRow] = []
    for name in hardware:
        over = (hw_overrides or {}).get(name)
        hw = load_hardware(name, over)
        try:
            r = simulate(name, workload, scenario, hw_overrides=over)
        except CapacityError as exc:
            rows.append(ComparisonRow(hw.name, hw.kind, _runs_with(hw, {}), error=str(exc)))
            continue
        tokens = scenario.gen * scenario.batch
        price = hw.price_usd or None
        cost = None
        if price is not None and r.tokens_per_s and r.power_w is not None:
            usd_per_s = price / (lifetime_years * SECONDS_PER_YEAR) + r.power_w * usd_per_kwh / _J_PER_KWH
            cost = usd_per_s / r.tokens_per_s * 1e6
        rows.append(ComparisonRow(
            hw.name, hw.kind, _runs_with(hw, r.formats), ttft_s=r.ttft_s, tpot_s=r.tpot_s, tokens_per_s=r.tokens_per_s,
            energy_per_token_j=r.energy_j / tokens if r.energy_j is not None else None, tokens_per_j=r.tokens_per_j,
            power_w=r.power_w, price_usd=price, cost_per_mtok_usd=cost, e2e_s=r.e2e_s))
    return Comparison(workload, {"batch": scenario.batch, "prompt": scenario.prompt, "gen": scenario.gen}, rows,
                      {"lifetime_years": lifetime_years, "usd_per_kwh": usd_per_kwh, "duty": 1.0,
                       "cost_formula": "(price_usd / lifetime_s + power_w * usd_per_kwh / 3.6e6) / tokens_per_s * 1e6",
                       "energy_per_token": "whole-run energy (prefill + decode) / generated tokens"})


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, None when either is missing."""
    return a / b if a is not None and b else None
