"""A validation case: what was compared, the reference value, the simulated value, and the target."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Case", "format_table"]


@dataclass
class Case:
    """One reference comparison. ``tolerance`` is in percent, or in the value's unit when ``absolute``."""

    area: str
    case: str
    metric: str
    reference: float
    simulated: float
    unit: str
    tolerance: float
    source: str
    absolute: bool = False
    note: str = ""

    @property
    def error(self) -> float:
        """Relative error in percent, or the absolute difference for absolute targets."""
        if self.absolute:
            return self.simulated - self.reference
        return (self.simulated - self.reference) / self.reference * 100.0 if self.reference else 0.0

    @property
    def error_pct(self) -> float:
        return (self.simulated - self.reference) / self.reference * 100.0 if self.reference else 0.0

    @property
    def ok(self) -> bool:
        return abs(self.error) <= self.tolerance + 1e-12

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d.update(error=self.error, ok=self.ok)
        return d


def format_table(cases: list[Case]) -> str:
    """The error table ``accelsim validate`` prints."""
    head = f"{'area':<10} {'case':<34} {'metric':<10} {'reference':>12} {'simulated':>12} {'unit':<6} {'error':>9}  target"
    lines = [head, "-" * len(head)]
    for c in cases:
        err = f"{c.error:+.2f}{'' if c.absolute else ' %'}"
        tgt = f"<= {c.tolerance:g}{' ' + c.unit if c.absolute else ' %'}"
        lines.append(f"{c.area:<10} {c.case:<34} {c.metric:<10} {c.reference:12.4g} {c.simulated:12.4g} {c.unit:<6} "
                     f"{err:>9}  {tgt} {'ok' if c.ok else 'MISS'}")
    lines.append("-" * len(head))
    for area in dict.fromkeys(c.area for c in cases):
        sub = [c for c in cases if c.area == area]
        worst = max(sub, key=lambda c: abs(c.error) / c.tolerance if c.tolerance else 0)
        lines.append(f"{area}: {sum(c.ok for c in sub)}/{len(sub)} within target; worst {worst.case} {worst.metric} "
                     f"{worst.error:+.2f}{'' if worst.absolute else ' %'}")
    return "\n".join(lines)
