"""Pareto fronts of a sweep's results over two or three objectives."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ["pareto_mask", "pareto_front"]


def pareto_mask(values: np.ndarray, goals: Sequence[str]) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``values`` (rows x objectives); ``goals`` are "min"/"max".

    A row is dominated when another row is at least as good in every objective and better in one. Rows with a
    NaN objective are never on the front.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or v.shape[1] != len(goals):
        raise ValueError("values must be rows x objectives, one goal per objective")
    sign = np.array([1.0 if g == "min" else -1.0 for g in goals])
    w = v * sign  # everything minimised
    ok = ~np.isnan(w).any(axis=1)
    mask = np.zeros(len(w), dtype=bool)
    idx = np.flatnonzero(ok)
    for i in idx:
        others = w[idx]
        dominated = np.any(np.all(others <= w[i], axis=1) & np.any(others < w[i], axis=1))
        mask[i] = not dominated
    return mask


def pareto_front(df: Any, objectives: Sequence[tuple[str, str]]) -> Any:
    """The rows of a results DataFrame on the Pareto front of ``objectives`` ([(column, "min"|"max")]),
    sorted by the first objective; only rows with status "ok" take part."""
    if "status" in df.columns:
        df = df[df["status"] == "ok"]
    cols = [c for c, _g in objectives]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        import difflib

        close = difflib.get_close_matches(missing[0], list(df.columns), n=1)
        raise KeyError(f"no result column {missing[0]!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
    mask = pareto_mask(df[cols].to_numpy(dtype=np.float64), [g for _c, g in objectives])
    return df[mask].sort_values(cols[0])
