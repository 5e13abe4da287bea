"""Arithmetic of functional units (Numba): integer MACs with a finite accumulator, DSP48E2 INT8 packing,
dequantize-on-the-fly GEMM/GEMV, quantized KV-cache attention and special functions in a given precision.

Plain-numpy twins live in :mod:`accelsim.kernels.reference_arith`. The jitted cores take int64/float64 arrays
(quantized codes: int8, or int16 when they do not fit); the Python wrappers below check arguments
(``ValueError`` naming the argument) and lay the operands out. Integer results are exact; floating-point
results are float64 computations whose rounding points are stated per function.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

__all__ = ["PRECISIONS", "OVERFLOW_MODES", "DSP48E2_A_BITS", "DSP48E2_B_BITS", "DSP48E2_P_BITS", "WP486_SHIFT",
           "WP486_MAX_CHAIN", "AccumulatorOverflow", "accumulator_overflow", "int_gemm", "int_gemv",
           "dsp48e2_int8x2", "dsp48e2_gemm", "dequant_gemm", "dequant_gemv", "kv_attention", "softmax",
           "rmsnorm", "layernorm"]

#: precisions of the special functions: fp64 (no rounding), fp32, fp16 (FlightLLM's SFU, FPGA'24 §4.3), bf16
PRECISIONS = {"fp64": 0, "fp32": 1, "fp16": 2, "bf16": 3}
#: accumulator overflow behaviours: two's-complement wrap-around or saturation at the range ends
OVERFLOW_MODES = {"wrap": 0, "saturate": 1}

#: DSP48E2 multiplier inputs and product register (AMD UG579): 27-bit A/D pre-adder output x 18-bit B,
#: 48-bit P
DSP48E2_A_BITS, DSP48E2_B_BITS, DSP48E2_P_BITS = 27, 18, 48
#: AMD WP486 ("Deep Learning with INT8 Optimization on Xilinx Devices"): the second weight sits 18 bits up
WP486_SHIFT = 18
#: products a*w2 summed in the low 18-bit field of P stay exact while |sum| <= 2**17 - 1: 7 INT8 products
#: of magnitude <= 2**14 (derived here from the field width; 8 overflow only at (-128) x (-128) each)
WP486_MAX_CHAIN = (2 ** (WP486_SHIFT - 1) - 1) // 2 ** 14

_PREC_FP16 = (10, -14, 65504.0)
_PREC_BF16 = (7, -126, (2.0 - 2.0 ** -7) * 2.0 ** 127)


# ---------------------------------------------------------------------------------------------- helpers
@njit(cache=True)
def _wrap(v: np.int64, bits: np.int64) -> np.int64:
    """Two's-complement wrap of ``v`` to ``bits`` bits (sign-extended back to int64)."""
    if bits >= 64:
        return v
    sh = 64 - bits
    return (v << sh) >> sh


@njit(cache=True)
def _rne(v: float) -> float:
    f = math.floor(v)
    d = v - f
    if d > 0.5:
        return f + 1.0
    if d < 0.5:
        return f
    return f if f == 2.0 * math.floor(0.5 * f) else f + 1.0


@njit(cache=True)
def _round_float(x: float, mbits: int, emin: int, max_normal: float) -> float:
    """Round to a binary float format, ties to even, subnormals, IEEE overflow to inf (same definition as
    :mod:`accelsim.kernels.formats`; duplicated because kernels do not call jitted code across files)."""
    if x != x:
        return x
    a = abs(x)
    if a == math.inf or a == 0.0:
        return x
    e = math.frexp(a)[1] - 1
    if e < emin:
        e = emin
    q = math.ldexp(1.0, e - mbits)
    r = _rne(a / q) * q  # exact: a / q < 2**(mbits + 1), and scaling by a power of two
    if r > max_normal:
        r = math.inf
    return math.copysign(r, x)


@njit(cache=True)
def _rp(v: float, prec: int) -> float:
    """``v`` rounded to precision code ``prec`` (see :data:`PRECISIONS`)."""
    if prec == 0:
        return v
    if prec == 1:
        return np.float64(np.float32(v))
    if prec == 2:
        return _round_float(v, 10, -14, 65504.0)
    return _round_float(v, 7, -126, (2.0 - 2.0 ** -7) * 2.0 ** 127)


# ------------------------------------------------------------------------------------- integer units
@njit(cache=True)
def int_gemm_core(a: np.ndarray, w_t: np.ndarray, acc_bits: int, saturate: int) -> tuple[np.ndarray, np.int64]:
    """``C[m, n] = sum_k a[m, k] * w_t[n, k]`` in an ``acc_bits``-bit two's-complement accumulator.

    Products are exact; the accumulator adds them in the order k = 0, 1, ... and after every addition
    either wraps (``saturate`` = 0) or clamps to [-2**(acc_bits-1), 2**(acc_bits-1) - 1]. Returns the results
    and the number of additions that left the range.
    """
    m_rows, k_len = a.shape
    n_cols = w_t.shape[0]
    out = np.zeros((m_rows, n_cols), dtype=np.int64)
    events = np.int64(0)
    full = acc_bits >= 64
    if full:
        hi = np.int64(9223372036854775807)
        lo = -hi - 1
    else:
        hi = (np.int64(1) << (acc_bits - 1)) - 1
        lo = -hi - 1
    for m in range(m_rows):
        for n in range(n_cols):
            acc = np.int64(0)
            for k in range(k_len):
                p = a[m, k] * w_t[n, k]
                s = acc + p
                if full:
                    if ((acc ^ s) & (p ^ s)) < 0:
                        events += 1
                        if saturate:
                            s = hi if p > 0 else lo
                elif s > hi or s < lo:
                    events += 1
                    if saturate:
                        s = hi if s > hi else lo
                    else:
                        s = _wrap(s, acc_bits)
                acc = s
            out[m, n] = acc
    return out, events


@njit(cache=True)
def dsp48e2_int8x2_core(a: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two INT8 products ``a*w1`` and ``a*w2`` from one DSP48E2 27x18 multiplication (AMD WP486).

    The pre-adder forms the 27-bit ``A = (w1 << 18) + w2``, the multiplier ``P = A * a`` (48-bit P register),
    so ``P = (a*w1) * 2**18 + a*w2``. The low product is ``P[17:0]`` read as a signed 18-bit number; when it
    is negative it has borrowed one from the upper field, so the high product is ``(P >> 18) + P[17]`` (the
    sign bit of the low product added back: WP486's correction).
    """
    n = a.size
    hi = np.empty(n, dtype=np.int64)
    lo = np.empty(n, dtype=np.int64)
    for i in range(n):
        port_a = _wrap((w1[i] << WP486_SHIFT) + w2[i], DSP48E2_A_BITS)
        p = _wrap(port_a * _wrap(a[i], DSP48E2_B_BITS), DSP48E2_P_BITS)
        lo[i] = _wrap(p, WP486_SHIFT)
        hi[i] = (p >> WP486_SHIFT) + ((p >> (WP486_SHIFT - 1)) & 1)
    return hi, lo


@njit(cache=True)
def dsp48e2_gemm_core(a: np.ndarray, w_t: np.ndarray, chain: int) -> np.ndarray:
    """INT8 GEMM ``a[M, K] @ w_t[N, K].T`` with two output columns per DSP48E2 (``N`` even): for every column
    pair, ``chain`` packed products ``((w[n] << 18) + w[n+1]) * a`` are summed in the 48-bit P register,
    then split with WP486's correction and added to the two outputs (exact for ``chain`` <=
    :data:`WP486_MAX_CHAIN`)."""
    m_rows, k_len = a.shape
    n_cols = w_t.shape[0]
    out = np.zeros((m_rows, n_cols), dtype=np.int64)
    for m in range(m_rows):
        for n in range(0, n_cols, 2):
            acc_hi = np.int64(0)
            acc_lo = np.int64(0)
            k = 0
            while k < k_len:
                p = np.int64(0)
                end = min(k + chain, k_len)
                for kk in range(k, end):
                    port_a = _wrap((w_t[n, kk] << WP486_SHIFT) + w_t[n + 1, kk], DSP48E2_A_BITS)
                    p = _wrap(p + port_a * a[m, kk], DSP48E2_P_BITS)
                acc_lo += _wrap(p, WP486_SHIFT)
                acc_hi += (p >> WP486_SHIFT) + ((p >> (WP486_SHIFT - 1)) & 1)
                k = end
            out[m, n] = acc_hi
            out[m, n + 1] = acc_lo
    return out


# ------------------------------------------------------------------------------- dequantize on the fly
@njit(cache=True, fastmath={"reassoc"})
def dequant_gemm_core(x: np.ndarray, codes: np.ndarray, scales: np.ndarray, zps: np.ndarray,
                      group: int) -> np.ndarray:
    """``y[m, n] = sum_g scales[n, g] * sum_{k in g} x[m, k] * (codes[n, k] - zps[n, g])``: weight-only
    quantization (codes ``[N, K]`` int8 or int16, one scale and zero point per ``group`` along K), FP activations;
    each group's partial sum is scaled once, as a dequantize-on-the-fly unit does. The inner sums may be
    reassociated (SIMD), so results equal the float64 reference to rounding (~1e-15 relative)."""
    m_rows, k_len = x.shape
    n_cols = codes.shape[0]
    n_groups = k_len // group
    out = np.zeros((m_rows, n_cols), dtype=np.float64)
    for m in range(m_rows):
        for n in range(n_cols):
            acc = 0.0
            for g in range(n_groups):
                z = zps[n, g]
                # 1-D slices let LLVM vectorise the group's dot product (3x faster than 2-D indexing)
                xs = x[m, g * group:(g + 1) * group]
                cs = codes[n, g * group:(g + 1) * group]
                part = 0.0
                for j in range(group):
                    part += xs[j] * (cs[j] - z)
                acc += part * scales[n, g]
            out[m, n] = acc
    return out


@njit(cache=True)
def kv_attention_core(q: np.ndarray, kc: np.ndarray, ks: np.ndarray, kz: np.ndarray, kg: int, kax: int,
                      vc: np.ndarray, vs: np.ndarray, vz: np.ndarray, vg: int, vax: int,
                      sm_scale: float) -> np.ndarray:
    """Attention of queries ``q[Q, D]`` over a quantized KV cache ``[T, D]`` (int8/int16 codes): every K/V element
    is dequantized on the fly as ``(code - zero) * scale`` with its group's scale (groups of ``kg``/``vg``
    along the head dimension when ``kax``/``vax`` = 1, along the tokens when 0), scores ``sm_scale * q·k``,
    a max-subtracted softmax in float64, and the probability-weighted sum of V."""
    n_q, d_len = q.shape
    t_len = kc.shape[0]
    out = np.zeros((n_q, d_len), dtype=np.float64)
    scores = np.empty(t_len, dtype=np.float64)
    for i in range(n_q):
        mx = -math.inf
        for t in range(t_len):
            acc = 0.0
            for d in range(d_len):
                if kax == 1:
                    gi, gj = t, d // kg
                else:
                    gi, gj = t // kg, d
                acc += q[i, d] * ((kc[t, d] - kz[gi, gj]) * ks[gi, gj])
            scores[t] = acc * sm_scale
            if scores[t] > mx:
                mx = scores[t]
        total = 0.0
        for t in range(t_len):
            scores[t] = math.exp(scores[t] - mx)
            total += scores[t]
        for t in range(t_len):
            p = scores[t] / total
            for d in range(d_len):
                if vax == 1:
                    gi, gj = t, d // vg
                else:
                    gi, gj = t // vg, d
                out[i, d] += p * ((vc[t, d] - vz[gi, gj]) * vs[gi, gj])
    return out


# ------------------------------------------------------------------------------------ special functions
@njit(cache=True)
def softmax_core(x: np.ndarray, prec: int, accp: int) -> np.ndarray:
    """Row softmax with every intermediate rounded: inputs to ``prec``; ``d = x - max``; ``e = exp(d)``
    (computed in float64, rounded once: a correctly rounded exp unit); the sum accumulated left to right
    in ``accp``; ``e / sum``. Each step's result is rounded to ``prec`` (the sum to ``accp``)."""
    rows, cols = x.shape
    out = np.empty_like(x)
    e = np.empty(cols, dtype=np.float64)
    for r in range(rows):
        mx = -math.inf
        for j in range(cols):
            v = _rp(x[r, j], prec)
            e[j] = v
            if v > mx or v != v:
                mx = v
        total = 0.0
        for j in range(cols):
            e[j] = _rp(math.exp(_rp(e[j] - mx, prec)), prec)
            total = _rp(total + e[j], accp)
        total = _rp(total, prec)
        for j in range(cols):
            out[r, j] = _rp(e[j] / total, prec)
    return out


@njit(cache=True)
def rmsnorm_core(x: np.ndarray, w: np.ndarray, eps: float, prec: int, accp: int) -> np.ndarray:
    """RMSNorm ``x / sqrt(mean(x^2) + eps) * w`` with every intermediate rounded to ``prec``: inputs,
    ``x*x``, the sum of squares accumulated left to right in ``accp``, ``mean = sum / n``, ``mean + eps``,
    ``sqrt`` (float64, rounded once), ``x / rms``, ``* w``."""
    rows, cols = x.shape
    out = np.empty_like(x)
    epsr = _rp(eps, prec)
    for r in range(rows):
        acc = 0.0
        for j in range(cols):
            v = _rp(x[r, j], prec)
            acc = _rp(acc + _rp(v * v, prec), accp)
        ms = _rp(acc / cols, prec)
        rms = _rp(math.sqrt(_rp(ms + epsr, prec)), prec)
        for j in range(cols):
            out[r, j] = _rp(_rp(_rp(x[r, j], prec) / rms, prec) * _rp(w[j], prec), prec)
    return out


@njit(cache=True)
def layernorm_core(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float, prec: int, accp: int) -> np.ndarray:
    """LayerNorm ``(x - mean) / sqrt(var + eps) * w + b`` with every intermediate rounded to ``prec``: inputs,
    the sum accumulated left to right in ``accp``, ``mean = sum / n``, ``d = x - mean``, ``d*d`` and its sum
    (in ``accp``), ``var = sum / n``, ``var + eps``, ``sqrt`` (float64, rounded once), ``d / std``, ``* w``,
    ``+ b``."""
    rows, cols = x.shape
    out = np.empty_like(x)
    d = np.empty(cols, dtype=np.float64)
    epsr = _rp(eps, prec)
    for r in range(rows):
        acc = 0.0
        for j in range(cols):
            acc = _rp(acc + _rp(x[r, j], prec), accp)
        mean = _rp(acc / cols, prec)
        acc = 0.0
        for j in range(cols):
            d[j] = _rp(_rp(x[r, j], prec) - mean, prec)
            acc = _rp(acc + _rp(d[j] * d[j], prec), accp)
        var = _rp(acc / cols, prec)
        std = _rp(math.sqrt(_rp(var + epsr, prec)), prec)
        for j in range(cols):
            out[r, j] = _rp(_rp(_rp(d[j] / std, prec) * _rp(w[j], prec), prec) + _rp(b[j], prec), prec)
    return out


# ------------------------------------------------------------------------------------- Python wrappers
def _int_operand(name: str, v: np.ndarray, ndim: int, limit_bits: int = 24) -> np.ndarray:
    """An int64 copy of an integer operand; magnitudes up to 2**24 keep every product and sum inside int64."""
    a = np.asarray(v)
    if a.dtype.kind not in "iub" and not (a.dtype.kind == "f" and a.size and np.array_equal(a, np.round(a))):
        raise ValueError(f"{name} must hold integers, got dtype {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {a.shape}")
    a = a.astype(np.int64)
    if a.size and np.abs(a).max() > 2 ** limit_bits:
        raise ValueError(f"{name} values must fit {limit_bits + 1}-bit integers (max |value| {np.abs(a).max()})")
    return np.ascontiguousarray(a)


def _mode(overflow: str) -> int:
    if overflow not in OVERFLOW_MODES:
        raise ValueError(f"overflow must be one of {', '.join(OVERFLOW_MODES)}, got {overflow!r}")
    return OVERFLOW_MODES[overflow]


def _acc_bits(acc_bits: int) -> int:
    if isinstance(acc_bits, bool) or not isinstance(acc_bits, (int, np.integer)) or not 2 <= acc_bits <= 64:
        raise ValueError(f"acc_bits must be an integer from 2 to 64, got {acc_bits!r}")
    return int(acc_bits)


def int_gemm(a: np.ndarray, w: np.ndarray, acc_bits: int = 32, overflow: str = "wrap") -> np.ndarray:
    """Integer GEMM ``C[M, N] = A[M, K] @ W[K, N]`` in an ``acc_bits``-bit accumulator that wraps or saturates
    (``overflow``) after each addition, k in order. Operands are integers (e.g. INT8/INT4 codes)."""
    a64 = _int_operand("a", a, 2)
    w64 = _int_operand("w", w, 2)
    if a64.shape[1] != w64.shape[0]:
        raise ValueError(f"a {a64.shape} and w {w64.shape} do not share the reduction length K")
    out, _ = int_gemm_core(a64, np.ascontiguousarray(w64.T), _acc_bits(acc_bits), _mode(overflow))
    return out


def int_gemv(w: np.ndarray, x: np.ndarray, acc_bits: int = 32, overflow: str = "wrap") -> np.ndarray:
    """Integer GEMV ``y[N] = W[N, K] @ x[K]`` (weights stored as ``[out, in]``), accumulator as
    :func:`int_gemm`."""
    w64 = _int_operand("w", w, 2)
    x64 = _int_operand("x", x, 1)
    if w64.shape[1] != x64.shape[0]:
        raise ValueError(f"w {w64.shape} and x {x64.shape} do not share the reduction length K")
    out, _ = int_gemm_core(x64[None, :], w64, _acc_bits(acc_bits), _mode(overflow))
    return out[0]


def _int8(name: str, v: np.ndarray) -> np.ndarray:
    a = _int_operand(name, np.atleast_1d(v), np.atleast_1d(v).ndim)
    if a.size and (a.min() < -128 or a.max() > 127):
        raise ValueError(f"{name} must be INT8 values in [-128, 127]")
    return a


def dsp48e2_int8x2(a: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The products ``a*w1`` and ``a*w2`` of INT8 arrays (broadcast together) as one DSP48E2 computes them:
    one 27x18 multiplication ``((w1 << 18) + w2) * a`` and WP486's sign correction (see
    :func:`dsp48e2_int8x2_core`). Returns ``(a*w1, a*w2)``."""
    a8, b1, b2 = np.broadcast_arrays(_int8("a", a), _int8("w1", w1), _int8("w2", w2))
    hi, lo = dsp48e2_int8x2_core(np.ascontiguousarray(a8).ravel(), np.ascontiguousarray(b1).ravel(),
                                 np.ascontiguousarray(b2).ravel())
    return hi.reshape(a8.shape), lo.reshape(a8.shape)


def dsp48e2_gemm(a: np.ndarray, w: np.ndarray, chain: int = 1) -> np.ndarray:
    """INT8 GEMM ``A[M, K] @ W[K, N]`` computed two output columns per DSP48E2 (WP486 packing; an odd N is
    padded with a zero column), ``chain`` packed products accumulated in P before each split (1 to
    :data:`WP486_MAX_CHAIN`, beyond which the low field can overflow). Equals :func:`int_gemm` exactly."""
    a8 = _int8("a", a)
    w8 = _int8("w", w)
    if a8.ndim != 2 or w8.ndim != 2 or a8.shape[1] != w8.shape[0]:
        raise ValueError(f"a {a8.shape} and w {w8.shape} must be [M, K] and [K, N]")
    if isinstance(chain, bool) or not isinstance(chain, (int, np.integer)) or not 1 <= chain <= WP486_MAX_CHAIN:
        raise ValueError(f"chain must be an integer from 1 to {WP486_MAX_CHAIN}, got {chain!r}")
    n = w8.shape[1]
    w_t = np.zeros((n + n % 2, w8.shape[0]), dtype=np.int64)
    w_t[:n] = w8.T
    return dsp48e2_gemm_core(a8, w_t, int(chain))[:, :n]


def _codes(name: str, v: np.ndarray) -> np.ndarray:
    """Codes as int8 when they fit (signed formats up to 8 bits: the kernels read a quarter of the bytes of
    int32 and vectorise twice as wide), else int16 (unsigned 8-bit codes); two compiled signatures at most."""
    a = np.asarray(v)
    if a.dtype.kind not in "iu":
        raise ValueError(f"{name} must be integer codes, got dtype {a.dtype}")
    lo, hi = (int(a.min()), int(a.max())) if a.size else (0, 0)
    if lo < -(2 ** 15) or hi >= 2 ** 15:
        raise ValueError(f"{name} must fit 16-bit integers (codes of formats up to 8 bits)")
    return np.ascontiguousarray(a, dtype=np.int8 if -128 <= lo and hi <= 127 else np.int16)


def _group_arrays(name: str, scales: np.ndarray, zero_points: np.ndarray | None,
                  shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    s = np.ascontiguousarray(np.asarray(scales, dtype=np.float64))
    if s.shape != shape:
        raise ValueError(f"{name} scales must have shape {shape}, got {s.shape}")
    z = np.zeros(shape) if zero_points is None else np.ascontiguousarray(np.asarray(zero_points, dtype=np.float64))
    if z.shape != shape:
        raise ValueError(f"{name} zero points must have shape {shape}, got {z.shape}")
    return s, z


def _group_size(name: str, length: int, group_size: int) -> int:
    if isinstance(group_size, bool) or not isinstance(group_size, (int, np.integer)) or group_size < 1:
        raise ValueError(f"{name}: group_size must be a positive integer, got {group_size!r}")
    if length % group_size:
        raise ValueError(f"{name}: group_size={group_size} does not divide the length {length}")
    return int(group_size)


def dequant_gemm(x: np.ndarray, codes: np.ndarray, scales: np.ndarray, group_size: int,
                 zero_points: np.ndarray | None = None) -> np.ndarray:
    """Weight-only-quantized GEMM ``Y[M, N] = X[M, K] @ W.T`` with ``W[n, k] = (codes[n, k] - zero[n, g]) *
    scales[n, g]``, ``g = k // group_size`` (group-quantized INT4/INT8 weights as :func:`accelsim.formats.encode_int`
    lays them out with ``axis=-1``; FP activations in float64). See :func:`dequant_gemm_core`."""
    xf = np.ascontiguousarray(np.asarray(x, dtype=np.float64))
    c = _codes("codes", codes)
    if xf.ndim != 2 or c.ndim != 2 or xf.shape[1] != c.shape[1]:
        raise ValueError(f"x {xf.shape} and codes {c.shape} must be [M, K] and [N, K]")
    g = _group_size("dequant_gemm", c.shape[1], group_size)
    s, z = _group_arrays("weight", scales, zero_points, (c.shape[0], c.shape[1] // g))
    return dequant_gemm_core(xf, c, s, z, g)


def dequant_gemv(codes: np.ndarray, scales: np.ndarray, x: np.ndarray, group_size: int,
                 zero_points: np.ndarray | None = None) -> np.ndarray:
    """Weight-only-quantized GEMV ``y[N] = W[N, K] @ x[K]`` (see :func:`dequant_gemm`)."""
    xf = np.asarray(x, dtype=np.float64)
    if xf.ndim != 1:
        raise ValueError(f"x must be a vector, got shape {xf.shape}")
    return dequant_gemm(xf[None, :], codes, scales, group_size, zero_points)[0]


def kv_attention(q: np.ndarray, k_codes: np.ndarray, k_scales: np.ndarray, v_codes: np.ndarray,
                 v_scales: np.ndarray, *, k_group_size: int, v_group_size: int,
                 k_zero_points: np.ndarray | None = None, v_zero_points: np.ndarray | None = None,
                 k_axis: int = 1, v_axis: int = 1, softmax_scale: float | None = None) -> np.ndarray:
    """Attention ``softmax(q K^T * softmax_scale) V`` of ``q[Q, D]`` (or ``[D]``) over an INT8/INT4 KV cache
    ``[T, D]`` with per-group scales: ``k_axis``/``v_axis`` 1 groups along the head dimension (per token,
    scales ``[T, D // g]``), 0 along the tokens (per channel, scales ``[T // g, D]``). ``softmax_scale``
    defaults to ``1 / sqrt(D)``. See :func:`kv_attention_core`."""
    qf = np.asarray(q, dtype=np.float64)
    vec = qf.ndim == 1
    qf = np.ascontiguousarray(np.atleast_2d(qf))
    kc, vc = _codes("k_codes", k_codes), _codes("v_codes", v_codes)
    if kc.dtype != vc.dtype:  # one compiled signature per code width, not per pair
        kc, vc = kc.astype(np.int16), vc.astype(np.int16)
    if kc.ndim != 2 or kc.shape != vc.shape or qf.shape[1] != kc.shape[1]:
        raise ValueError(f"q {qf.shape}, k_codes {kc.shape} and v_codes {vc.shape} must be [Q, D], [T, D], [T, D]")
    t_len, d_len = kc.shape
    arrays = []
    for name, axis, gs, sc, zp in (("k", k_axis, k_group_size, k_scales, k_zero_points),
                                   ("v", v_axis, v_group_size, v_scales, v_zero_points)):
        if axis not in (0, 1):
            raise ValueError(f"{name}_axis must be 0 (groups along tokens) or 1 (along the head dimension)")
        g = _group_size(f"{name}_group_size", d_len if axis == 1 else t_len, gs)
        shape = (t_len, d_len // g) if axis == 1 else (t_len // g, d_len)
        arrays.append((g, axis, *_group_arrays(name, sc, zp, shape)))
    (kg, kax, ks, kz), (vg, vax, vs, vz) = arrays
    sm = 1.0 / math.sqrt(d_len) if softmax_scale is None else float(softmax_scale)
    out = kv_attention_core(qf, kc, ks, kz, kg, kax, vc, vs, vz, vg, vax, sm)
    return out[0] if vec else out


def _prec(name: str, value: str | None, default: int | None = None) -> int:
    if value is None and default is not None:
        return default
    if value not in PRECISIONS:
        raise ValueError(f"{name} must be one of {', '.join(PRECISIONS)}, got {value!r}")
    return PRECISIONS[value]


def _rows2d(x: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        raise ValueError("x must have at least one dimension (rows are normalised along the last axis)")
    return np.ascontiguousarray(a.reshape(-1, a.shape[-1])), a.shape


def softmax(x: np.ndarray, precision: str = "fp16", acc_precision: str | None = None) -> np.ndarray:
    """Softmax along the last axis computed in ``precision`` (every intermediate rounded; FlightLLM's SFU
    computes in FP16, FPGA'24 §4.3), the sum accumulated in ``acc_precision`` (default: ``precision``). See
    :func:`softmax_core` for the rounding points."""
    rows, shape = _rows2d(x)
    p = _prec("precision", precision)
    return softmax_core(rows, p, _prec("acc_precision", acc_precision, p)).reshape(shape)


def _vec(name: str, v: np.ndarray, n: int) -> np.ndarray:
    a = np.ascontiguousarray(np.asarray(v, dtype=np.float64))
    if a.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {a.shape}")
    return a


def rmsnorm(x: np.ndarray, weight: np.ndarray, eps: float = 1e-6, precision: str = "fp16",
            acc_precision: str | None = None) -> np.ndarray:
    """RMSNorm along the last axis in ``precision`` (see :func:`rmsnorm_core`); the sum of squares in
    ``acc_precision`` (default ``precision``; FP16 sums of squares overflow above 65504, which is what a pure
    FP16 unit does)."""
    rows, shape = _rows2d(x)
    p = _prec("precision", precision)
    return rmsnorm_core(rows, _vec("weight", weight, shape[-1]), float(eps), p,
                        _prec("acc_precision", acc_precision, p)).reshape(shape)


def layernorm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-5, precision: str = "fp16",
              acc_precision: str | None = None) -> np.ndarray:
    """LayerNorm along the last axis in ``precision`` (see :func:`layernorm_core`)."""
    rows, shape = _rows2d(x)
    p = _prec("precision", precision)
    return layernorm_core(rows, _vec("weight", weight, shape[-1]), _vec("bias", bias, shape[-1]), float(eps), p,
                          _prec("acc_precision", acc_precision, p)).reshape(shape)


# ------------------------------------------------------------------------------------- overflow check
class AccumulatorOverflow(NamedTuple):
    """Whether a K-long integer dot product fits its accumulator.

    ``can_overflow``: the worst case (every product at the extreme of the operand ranges) leaves the
    accumulator's range; ``bits_needed``: the accumulator width that holds every possible sum;
    ``probability``: the chance that the final sum is out of range when every operand is independent and
    uniform over its integer range (central-limit normal approximation with continuity correction; 0 when
    the worst case fits). With wrap-around arithmetic only the final sum matters; a saturating accumulator
    can also clip an intermediate sum, which for zero-mean products is at most twice as likely (reflection
    principle)."""

    k: int
    a_bits: int
    w_bits: int
    acc_bits: int
    can_overflow: bool
    bits_needed: int
    probability: float


def _range(bits: int, signed: bool) -> tuple[int, int]:
    return (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)


def _uniform_moments(lo: int, hi: int) -> tuple[float, float]:
    """Mean and second moment of the uniform distribution over the integers lo..hi."""
    n = hi - lo + 1
    mean = (lo + hi) / 2
    var = (n * n - 1) / 12
    return mean, var + mean * mean


def accumulator_overflow(k: int, a_bits: int, w_bits: int, acc_bits: int, *, a_signed: bool = True,
                         w_signed: bool = True) -> AccumulatorOverflow:
    """Can a ``k``-long dot product of ``a_bits`` x ``w_bits`` integers overflow an ``acc_bits``-bit
    two's-complement accumulator, and how likely is it under uniform operands (see
    :class:`AccumulatorOverflow`)? :func:`accelsim.formats.accumulator_overflow` wraps this with a warn/error
    ``action`` (kernels import no warning or error machinery)."""
    for name, v in (("k", k), ("a_bits", a_bits), ("w_bits", w_bits), ("acc_bits", acc_bits)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    alo, ahi = _range(a_bits, a_signed)
    wlo, whi = _range(w_bits, w_signed)
    corners = [p * q for p in (alo, ahi) for q in (wlo, whi)]
    smin, smax = k * min(corners), k * max(corners)
    need = 1
    while not (-(2 ** (need - 1)) <= smin and smax <= 2 ** (need - 1) - 1):
        need += 1
    lo, hi = -(2 ** (acc_bits - 1)), 2 ** (acc_bits - 1) - 1
    can = need > acc_bits
    prob = 0.0
    if can:
        ma, a2 = _uniform_moments(alo, ahi)
        mw, w2 = _uniform_moments(wlo, whi)
        mean = k * ma * mw
        sd = math.sqrt(k * (a2 * w2 - (ma * mw) ** 2))
        if sd > 0:
            upper = 0.5 * math.erfc((hi + 0.5 - mean) / (sd * math.sqrt(2)))
            lower = 0.5 * math.erfc(-(lo - 0.5 - mean) / (sd * math.sqrt(2)))
            prob = min(1.0, upper + lower)
        else:
            prob = 1.0 if not lo <= mean <= hi else 0.0
    return AccumulatorOverflow(int(k), int(a_bits), int(w_bits), int(acc_bits), can, need, prob)
