"""Plain-numpy twins of :mod:`accelsim.kernels.formats` (same inputs, same outputs, bit for bit).

They are the straightforward vectorised numpy versions (``np.frexp``/``np.rint``/``np.ldexp`` over whole
arrays, ``argsort`` for N:M pruning), written independently of the kernels' scalar loops, so that the
equivalence tests compare two derivations of each definition.
"""

from __future__ import annotations

import numpy as np

from .formats import (BITMOD_TABLES, E8M0_EMAX, E8M0_EMIN, ELEM_FLOAT, OLIVE_NORMAL_MAX, OLIVE_SIGMAS,
                      OVF_INF, OVF_SATURATE, SCALE_NAN, _OLIVE_MAGS, _OLIVE_PREF)

__all__ = ["quantize_float_ref", "quantize_block_scaled_ref", "quantize_int_groups_ref", "olive_group_steps_ref",
           "quantize_olive_ref", "quantize_bitmod_ref", "prune_nm_rows_ref"]


def quantize_float_ref(x: np.ndarray, mbits: int, emin: int, max_normal: float, ovf: int) -> np.ndarray:
    """Twin of :func:`accelsim.kernels.formats.quantize_float`."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        a = np.abs(x)
        _, e = np.frexp(a)
        e = np.maximum(e.astype(np.int64) - 1, emin)
        q = np.ldexp(1.0, e - mbits)
        r = np.rint(a / q) * q
        over = (r > max_normal) | np.isinf(a)
        if ovf == OVF_SATURATE:
            r = np.where(over, max_normal, r)
        elif ovf == OVF_INF:
            r = np.where(over, np.inf, r)
        else:
            r = np.where(over, np.nan, r)
        r = np.where(a == 0.0, 0.0, r)
        out = np.copysign(r, x)
    return np.where(np.isnan(x), x, out)


def quantize_block_scaled_ref(x: np.ndarray, kind: int, mbits: int, emin: int, max_normal: float,
                              emax_elem: int) -> tuple[np.ndarray, np.ndarray]:
    """Twin of :func:`accelsim.kernels.formats.quantize_block_scaled`."""
    x = np.asarray(x, dtype=np.float64)
    special = ~np.isfinite(x).all(axis=1)
    amax = np.where(np.isfinite(x), np.abs(x), 0.0).max(axis=1)
    with np.errstate(divide="ignore"):
        se = np.where(amax > 0, np.floor(np.log2(np.where(amax > 0, amax, 1.0))) - emax_elem, E8M0_EMIN)
    se = np.clip(se, E8M0_EMIN, E8M0_EMAX).astype(np.int64)
    v = np.ldexp(np.where(np.isfinite(x), x, 0.0), -se[:, None])
    if kind == ELEM_FLOAT:
        p = quantize_float_ref(v, mbits, emin, max_normal, OVF_SATURATE)
    else:
        lim = max_normal * 2.0 ** mbits
        p = np.clip(np.rint(v * 2.0 ** mbits), -lim, lim) / 2.0 ** mbits + 0.0
    out = np.ldexp(p, se[:, None])
    out[special] = np.nan
    se[special] = SCALE_NAN
    return out, se


def _round_scale_ref(s: np.ndarray, mbits: int, emin: int, max_normal: float) -> np.ndarray:
    if mbits >= 0:
        s = quantize_float_ref(s, mbits, emin, max_normal, OVF_SATURATE)
        tiny = 2.0 ** (emin - mbits)
    else:
        tiny = 5e-324
    return np.maximum(s, tiny)


def quantize_int_groups_ref(x: np.ndarray, bits: int, signed: int, symmetric: int, scale_mbits: int,
                            scale_emin: int, scale_max: float
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Twin of :func:`accelsim.kernels.formats.quantize_int_groups`."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):  # x / s may overflow past the code range, then clips
        return _int_groups(x, bits, signed, symmetric, scale_mbits, scale_emin, scale_max)


def _int_groups(x: np.ndarray, bits: int, signed: int, symmetric: int, scale_mbits: int, scale_emin: int,
                scale_max: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    lo = np.minimum(x.min(axis=1), 0.0)
    hi = np.maximum(x.max(axis=1), 0.0)
    cmin, cmax = (-(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1) if signed else (0.0, 2.0 ** bits - 1)
    levels = 2.0 ** bits - 1
    if symmetric:
        amax = np.maximum(-lo, hi) if signed else hi
        s = _round_scale_ref(amax / cmax, scale_mbits, scale_emin, scale_max)
        c = np.clip(np.rint(x / s[:, None]), cmin, cmax)
        return c * s[:, None] + 0.0, c.astype(np.int64), s, np.zeros_like(s)
    s = _round_scale_ref((hi - lo) / levels, scale_mbits, scale_emin, scale_max)
    z = np.clip(np.rint(-lo / s), 0.0, levels)
    c = np.clip(np.rint(x / s[:, None]) + z[:, None], 0.0, levels)
    shift = 2.0 ** (bits - 1) if signed else 0.0
    return (c - z[:, None]) * s[:, None] + 0.0, (c - shift).astype(np.int64), s, z - shift


def olive_group_steps_ref(x: np.ndarray, scale_mbits: int, scale_emin: int, scale_max: float) -> np.ndarray:
    """Twin of :func:`accelsim.kernels.formats.olive_group_steps` (float sums may differ in the last bit:
    numpy sums pairwise, the kernel sequentially)."""
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=1)
    std = x.std(axis=1, ddof=1) if x.shape[1] > 1 else np.zeros(x.shape[0])
    bound = np.maximum(np.abs(mean + OLIVE_SIGMAS * std), np.abs(mean - OLIVE_SIGMAS * std))
    return _round_scale_ref(bound / OLIVE_NORMAL_MAX, scale_mbits, scale_emin, scale_max)


def _nearest_ref(v: np.ndarray, vals: np.ndarray, pref: np.ndarray) -> np.ndarray:
    """Nearest table entry; ties to the higher preference, then the smaller magnitude (vectorised)."""
    d = np.abs(v[..., None] - vals)
    dmin = d.min(axis=-1, keepdims=True)
    cand = d == dmin
    # score: preference first, then smaller magnitude
    score = np.where(cand, pref * 1e6 - np.abs(vals), -np.inf)
    return vals[np.argmax(score, axis=-1)]


def quantize_olive_ref(x: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Twin of :func:`accelsim.kernels.formats.quantize_olive`."""
    x = np.asarray(x, dtype=np.float64)
    vals = np.concatenate([-_OLIVE_MAGS[:0:-1], _OLIVE_MAGS])
    pref = np.concatenate([_OLIVE_PREF[:0:-1], _OLIVE_PREF])
    q = _nearest_ref(x / steps[:, None], vals, pref)
    pairs = q.reshape(q.shape[0], -1, 2).copy()
    first_out = np.abs(pairs[..., 0]) > OLIVE_NORMAL_MAX
    second_out = np.abs(pairs[..., 1]) > OLIVE_NORMAL_MAX
    pairs[..., 1] = np.where(first_out, 0.0, pairs[..., 1])
    pairs[..., 0] = np.where(~first_out & second_out, 0.0, pairs[..., 0])
    return pairs.reshape(q.shape) * steps[:, None] + 0.0


def quantize_bitmod_ref(x: np.ndarray, scale_mbits: int, scale_emin: int,
                        scale_max: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Twin of :func:`accelsim.kernels.formats.quantize_bitmod` (errors summed pairwise by numpy, so an exact
    tie between data types may in principle resolve differently; the values agree)."""
    x = np.asarray(x, dtype=np.float64)
    tables, prefs = BITMOD_TABLES
    amax = np.abs(x).max(axis=1)
    cands, errs, scales = [], [], []
    for vals, pref in zip(tables, prefs):
        s = _round_scale_ref(amax / np.abs(vals).max(), scale_mbits, scale_emin, scale_max)
        q = _nearest_ref(x / s[:, None], vals, pref) * s[:, None] + 0.0
        cands.append(q)
        errs.append(((q - x) ** 2).sum(axis=1))
        scales.append(s)
    kinds = np.argmin(np.stack(errs), axis=0)
    rows = np.arange(x.shape[0])
    return np.stack(cands)[kinds, rows], kinds.astype(np.int64), np.stack(scales)[kinds, rows]


def prune_nm_rows_ref(x: np.ndarray, n: int, m: int) -> np.ndarray:
    """Twin of :func:`accelsim.kernels.formats.prune_nm_rows` (stable argsort: equal magnitudes keep the lower
    index first)."""
    x = np.asarray(x, dtype=np.float64)
    blocks = x.reshape(x.shape[0], -1, m)
    order = np.argsort(-np.abs(blocks), axis=-1, kind="stable")
    keep = np.zeros(blocks.shape, dtype=bool)
    np.put_along_axis(keep, order[..., :n], True, axis=-1)
    return np.where(keep, blocks, 0.0).reshape(x.shape)
