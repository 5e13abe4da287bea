"""Plain-numpy twins of :mod:`accelsim.kernels.arith` (same inputs, same outputs).

Integer twins use Python integers or numpy int64 with explicit range handling; the DSP48E2 twin is plain
``a * w``; floating-point twins dequantize whole tensors and use numpy's matrix products (equal to the kernels
to rounding), while the special-function twins repeat the kernels' rounding points with numpy's own float16 /
float32 casts and the C library's exp (bit-exact).
"""

from __future__ import annotations

import math

import numpy as np

from .reference_formats import quantize_float_ref

__all__ = ["int_gemm_ref", "dsp48e2_int8x2_ref", "dsp48e2_gemm_ref", "dequant_gemm_ref", "kv_attention_ref",
           "softmax_ref", "rmsnorm_ref", "layernorm_ref", "accumulator_overflow_monte_carlo"]


def int_gemm_ref(a: np.ndarray, w_t: np.ndarray, acc_bits: int, saturate: int) -> tuple[np.ndarray, int]:
    """Twin of :func:`accelsim.kernels.arith.int_gemm_core`, one k at a time over all outputs, in int64
    (Python integers for accumulators of 63-64 bits, whose sums could leave int64 before the range check)."""
    a = np.asarray(a, dtype=np.int64)
    w_t = np.asarray(w_t, dtype=np.int64)
    hi = 2 ** (acc_bits - 1) - 1
    lo = -hi - 1
    acc = np.zeros((a.shape[0], w_t.shape[0]), dtype=object if acc_bits >= 63 else np.int64)
    events = 0
    span = 2 ** acc_bits
    for k in range(a.shape[1]):
        s = acc + np.outer(a[:, k], w_t[:, k]).astype(acc.dtype)
        out_of_range = (s > hi) | (s < lo)
        events += int(np.count_nonzero(out_of_range))
        if saturate:
            s = np.where(s > hi, hi, np.where(s < lo, lo, s))
        else:
            s = np.where(out_of_range, (s - lo) % span + lo, s)
        acc = s.astype(acc.dtype)
    return acc.astype(np.int64), events


def dsp48e2_int8x2_ref(a: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Twin of :func:`accelsim.kernels.arith.dsp48e2_int8x2_core`: the plain products."""
    a = np.asarray(a, dtype=np.int64)
    return a * np.asarray(w1, dtype=np.int64), a * np.asarray(w2, dtype=np.int64)


def dsp48e2_gemm_ref(a: np.ndarray, w_t: np.ndarray, chain: int) -> np.ndarray:
    """Twin of :func:`accelsim.kernels.arith.dsp48e2_gemm_core`: the plain int64 product."""
    del chain
    return np.asarray(a, dtype=np.int64) @ np.asarray(w_t, dtype=np.int64).T


def dequant_gemm_ref(x: np.ndarray, codes: np.ndarray, scales: np.ndarray, zps: np.ndarray,
                     group: int) -> np.ndarray:
    """Twin of :func:`accelsim.kernels.arith.dequant_gemm_core`: dequantize the whole weight, then ``x @ W.T``."""
    n, k = codes.shape
    w = ((codes.reshape(n, k // group, group) - zps[:, :, None]) * scales[:, :, None]).reshape(n, k)
    return np.asarray(x, dtype=np.float64) @ w.T


def _dequant(codes: np.ndarray, scales: np.ndarray, zps: np.ndarray, group: int, axis: int) -> np.ndarray:
    rep = np.repeat(scales, group, axis=axis)
    zrep = np.repeat(zps, group, axis=axis)
    return (codes - zrep) * rep


def kv_attention_ref(q: np.ndarray, kc: np.ndarray, ks: np.ndarray, kz: np.ndarray, kg: int, kax: int,
                     vc: np.ndarray, vs: np.ndarray, vz: np.ndarray, vg: int, vax: int,
                     sm_scale: float) -> np.ndarray:
    """Twin of :func:`accelsim.kernels.arith.kv_attention_core`: dequantized K and V, float64 softmax."""
    k = _dequant(kc, ks, kz, kg, kax)
    v = _dequant(vc, vs, vz, vg, vax)
    s = (q @ k.T) * sm_scale
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)) @ v


def _round(v: np.ndarray, prec: int) -> np.ndarray:
    """numpy's own casts for fp32/fp16; the float twin's rounding for bf16 (numpy has no bfloat16)."""
    v = np.asarray(v, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        if prec == 0:
            return v
        if prec == 1:
            return v.astype(np.float32).astype(np.float64)
        if prec == 2:
            return v.astype(np.float16).astype(np.float64)
        return quantize_float_ref(v, 7, -126, (2.0 - 2.0 ** -7) * 2.0 ** 127, 1)


#: the C library's exp, as the kernels call it (numpy's own SIMD exp may differ in the last bit)
_libm_exp = np.vectorize(math.exp, otypes=[np.float64])


def softmax_ref(x: np.ndarray, prec: int, accp: int) -> np.ndarray:
    """Twin of :func:`accelsim.kernels.arith.softmax_core` (vectorised over rows, left-to-right sum)."""
    v = _round(x, prec)
    with np.errstate(invalid="ignore", over="ignore"):
        e = _round(_libm_exp(_round(v - v.max(axis=1, keepdims=True), prec)), prec)
        total = np.zeros(v.shape[0])
        for j in range(v.shape[1]):
            total = _round(total + e[:, j], accp)
        total = _round(total, prec)
        return _round(e / total[:, None], prec)


def rmsnorm_ref(x: np.ndarray, w: np.ndarray, eps: float, prec: int, accp: int) -> np.ndarray:
    """Twin of :func:`accelsim.kernels.arith.rmsnorm_core`."""
    v = _round(x, prec)
    with np.errstate(invalid="ignore", over="ignore"):
        sq = _round(v * v, prec)
        acc = np.zeros(v.shape[0])
        for j in range(v.shape[1]):
            acc = _round(acc + sq[:, j], accp)
        ms = _round(acc / v.shape[1], prec)
        rms = _round(np.sqrt(_round(ms + _round(eps, prec), prec)), prec)
        return _round(_round(v / rms[:, None], prec) * _round(w, prec), prec)


def layernorm_ref(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float, prec: int, accp: int) -> np.ndarray:
    """Twin of :func:`accelsim.kernels.arith.layernorm_core`."""
    v = _round(x, prec)
    n = v.shape[1]
    with np.errstate(invalid="ignore", over="ignore"):
        acc = np.zeros(v.shape[0])
        for j in range(n):
            acc = _round(acc + v[:, j], accp)
        mean = _round(acc / n, prec)
        d = _round(v - mean[:, None], prec)
        sq = _round(d * d, prec)
        acc = np.zeros(v.shape[0])
        for j in range(n):
            acc = _round(acc + sq[:, j], accp)
        var = _round(acc / n, prec)
        std = _round(np.sqrt(_round(var + _round(eps, prec), prec)), prec)
        return _round(_round(_round(d / std[:, None], prec) * _round(w, prec), prec) + _round(b, prec), prec)


def accumulator_overflow_monte_carlo(k: int, a_bits: int, w_bits: int, acc_bits: int, samples: int,
                                     seed: int = 0) -> float:
    """Fraction of ``samples`` random uniform signed dot products of length ``k`` whose sum leaves the
    ``acc_bits``-bit range: the empirical twin of :func:`accelsim.kernels.arith.accumulator_overflow`."""
    rng = np.random.default_rng(seed)
    a = rng.integers(-(2 ** (a_bits - 1)), 2 ** (a_bits - 1), size=(samples, k), dtype=np.int64)
    w = rng.integers(-(2 ** (w_bits - 1)), 2 ** (w_bits - 1), size=(samples, k), dtype=np.int64)
    s = (a * w).sum(axis=1)
    hi = 2 ** (acc_bits - 1) - 1
    return float(np.mean((s > hi) | (s < -hi - 1)))

