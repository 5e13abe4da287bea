"""Figures from result DataFrames (sweep stores, `Result.to_frame()` rows) and Chrome-trace timelines.

Every function takes data, draws on a new matplotlib figure (Agg backend unless one is already chosen) and
returns it; ``save(fig, path)`` writes PNG/PDF/SVG. Nothing here runs a simulation.

* :func:`pareto_scatter` — two objectives, points coloured by a column, the Pareto front highlighted;
* :func:`roofline` — per device: the attainable MAC rate against operational intensity (MACs per byte)
  from peak MACs/s and memory bandwidth, with runs placed on it;
* :func:`latency_breakdown` / :func:`energy_breakdown` — stacked bars per run;
* :func:`timeline` — a Chrome-trace JSON (``accelsim run --timeline``) as one lane per unit.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np

from .dse.pareto import pareto_mask

__all__ = ["pareto_scatter", "roofline", "latency_breakdown", "energy_breakdown", "timeline", "save"]


def _plt() -> Any:
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        try:
            matplotlib.use("Agg")
        except Exception:
            pass
    import matplotlib.pyplot as plt

    return plt


def _ok(df: Any) -> Any:
    return df[df["status"] == "ok"] if "status" in df.columns else df


def _column(df: Any, name: str) -> Any:
    if name not in df.columns:
        import difflib

        close = difflib.get_close_matches(name, [str(c) for c in df.columns], n=1)
        raise KeyError(f"no column {name!r} in the results" + (f"; did you mean {close[0]!r}?" if close else ""))
    return df[name]


def pareto_scatter(df: Any, x: str, y: str, color: str | None = None, goals: Sequence[str] = ("min", "min"),
                   title: str | None = None) -> Any:
    """Scatter of ``y`` against ``x`` for the ok rows, coloured by ``color``, with the Pareto front of the
    two objectives (``goals``) drawn as a line through its points."""
    plt = _plt()
    for name in (x, y) + ((color,) if color else ()):
        _column(df, name)
    d = _ok(df).dropna(subset=[x, y])
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    xs, ys = _column(d, x).to_numpy(float), _column(d, y).to_numpy(float)
    if color is not None:
        c = _column(d, color)
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        if is_numeric_dtype(c) and not is_bool_dtype(c):  # (pandas' string dtype is not a numpy dtype)
            sc = ax.scatter(xs, ys, c=c.to_numpy(float), cmap="viridis", s=14, alpha=0.8)
            fig.colorbar(sc, ax=ax, label=color)
        else:
            for val in sorted(c.astype(str).unique()):
                m = (c.astype(str) == val).to_numpy()
                ax.scatter(xs[m], ys[m], s=14, alpha=0.8, label=val)
            ax.legend(title=color, fontsize=8)
    else:
        ax.scatter(xs, ys, s=14, alpha=0.7, color="tab:blue")
    if len(d):
        mask = pareto_mask(np.column_stack([xs, ys]), list(goals))
        order = np.argsort(xs[mask])
        ax.plot(xs[mask][order], ys[mask][order], "-o", color="tab:red", ms=5, lw=1.2, label="Pareto front")
        ax.legend(fontsize=8)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title or f"{y} vs {x} ({len(d)} design points)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def roofline(devices: dict[str, tuple[float, float]], runs: dict[str, tuple[str, float, float]] | None = None) -> Any:
    """Rooflines of ``devices`` ({name: (peak MACs/s, bytes/s)}) and ``runs`` placed on them
    ({label: (device, MACs per byte, achieved MACs/s)})."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    oi = np.logspace(-2, 4, 200)
    for name, (peak, bw) in devices.items():
        ax.loglog(oi, np.minimum(peak, bw * oi), label=f"{name} ({peak / 1e12:.1f} TMAC/s, {bw / 1e9:.0f} GB/s)")
    for label, (_dev, intensity, rate) in (runs or {}).items():
        ax.loglog([intensity], [rate], "o")
        ax.annotate(label, (intensity, rate), fontsize=8, xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("operational intensity (MACs per off-chip byte)")
    ax.set_ylabel("MACs per second")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def _stacked(rows: dict[str, dict[str, float]], ylabel: str, title: str) -> Any:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(rows) + 2), 4.6))
    parts = sorted({k for r in rows.values() for k in r}, key=lambda k: -sum(r.get(k, 0.0) for r in rows.values()))
    bottom = np.zeros(len(rows))
    labels = list(rows)
    for part in parts:
        vals = np.array([rows[lab].get(part, 0.0) for lab in labels])
        ax.bar(labels, vals, bottom=bottom, label=part)
        bottom += vals
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def latency_breakdown(results: dict[str, Any], phase: str = "decode", top: int = 8) -> Any:
    """Stacked time per op (the ``top`` largest, the rest as "other") of ``phase`` for each labelled result
    (``Result`` objects or their ``to_dict()``)."""
    rows: dict[str, dict[str, float]] = {}
    for label, r in results.items():
        d = r if isinstance(r, dict) else r.to_dict()
        b = dict(d["breakdown_s"].get(phase, {}))
        keep = sorted(b, key=lambda k: -b[k])[:top]
        rows[label] = {k: b[k] for k in keep}
        rest = sum(v for k, v in b.items() if k not in keep)
        if rest:
            rows[label]["other"] = rest
    return _stacked(rows, "seconds", f"{phase} time by op")


def energy_breakdown(results: dict[str, Any]) -> Any:
    """Stacked energy (compute, SFU, buffers, DRAM, static) of each labelled result."""
    rows: dict[str, dict[str, float]] = {}
    for label, r in results.items():
        d = r if isinstance(r, dict) else r.to_dict()
        e = d.get("energy", {}).get("run", {})
        rows[label] = {k.removesuffix("_j"): e[k] for k in ("compute_j", "sfu_j", "buffers_j", "dram_j", "static_j")
                       if k in e}
    return _stacked(rows, "joules", "energy of the run")


def timeline(trace_path: str, max_events: int = 20000) -> Any:
    """A Chrome-trace JSON (``accelsim run --timeline``) drawn as one lane per unit (thread)."""
    plt = _plt()
    with open(trace_path, encoding="utf-8") as fh:
        data = json.load(fh)
    events = [e for e in (data["traceEvents"] if isinstance(data, dict) else data) if e.get("ph") == "X"]
    names = {}
    for e in (data["traceEvents"] if isinstance(data, dict) else data):
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            names[e["tid"]] = e["args"]["name"]
    lanes = sorted({e["tid"] for e in events})
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(lanes) + 1.5))
    for i, tid in enumerate(lanes):
        evs = [e for e in events if e["tid"] == tid][:max_events]
        ax.broken_barh([(e["ts"], max(e["dur"], 1e-3)) for e in evs], (i - 0.4, 0.8))
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels([names.get(t, str(t)) for t in lanes])
    ax.set_xlabel("time (µs)")
    fig.tight_layout()
    return fig


def save(fig: Any, path: str) -> str:
    """Write a figure (format from the extension) and close it."""
    fig.savefig(path, dpi=130)
    _plt().close(fig)
    return path
