"""Number formats of functional units (Numba): the float64 value an input becomes in each format.

Every kernel takes float64 arrays and returns the values the inputs take after quantization (and, where the
format has them, the codes, scales or shared exponents). Rounding is round-to-nearest, ties-to-even (IEEE 754
§4.3.1, roundTiesToEven) unless a format's definition says otherwise. Plain-numpy twins live in
:mod:`accelsim.kernels.reference_formats`; the public API is :mod:`accelsim.formats`.

Floating-point element formats are described by four numbers (see :data:`FLOAT_FORMATS`):

* ``mbits``: stored mantissa bits (precision ``mbits + 1`` with the implicit bit);
* ``emin``: exponent of the smallest normal number (1 - bias); below it numbers are subnormal, quantum
  ``2**(emin - mbits)``;
* ``max_normal``: the largest finite magnitude;
* the overflow behaviour, :data:`OVF_SATURATE` (clamp to ``±max_normal``; FP6/FP4 and MX elements, which
  have no inf/NaN encodings), :data:`OVF_INF` (IEEE 754: a result that rounds above ``max_normal`` with an
  unbounded exponent becomes ±inf; FP16, BF16, FP32, FP8 E5M2) or :data:`OVF_NAN` (FP8 E4M3 "fn": no inf,
  a result that rounds above 448, i.e. to the NaN code S.1111.111, becomes NaN; OCP 8-bit FP v1.0 §4).

Rounding a magnitude ``a`` works with an unbounded exponent: ``e = max(floor(log2 a), emin)``, quantum
``q = 2**(e - mbits)``, result ``rne(a / q) * q`` (division and multiplication by a power of two are exact in
float64 for every format here), then the overflow rule. The sign is kept, so -0 and negative underflow to -0
are preserved; NaN stays NaN (in FP6/FP4, which cannot encode it, the float64 NaN flags an unrepresentable
input). Block formats (OCP MX v1.0, block floating point, OliVe, BitMoD) and scaled integers are defined in
their kernels' docstrings. Kernels take 2-D C-contiguous ``(blocks, block_size)`` arrays; the public API
moves the blocking axis last and reshapes.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["OVF_SATURATE", "OVF_INF", "OVF_NAN", "FLOAT_FORMATS", "SCALE_NAN", "E8M0_EMIN", "E8M0_EMAX",
           "ELEM_FLOAT", "ELEM_INT", "OLIVE_NORMAL_MAX", "OLIVE_SIGMAS", "BITMOD_TABLES", "BITMOD_NAMES",
           "quantize_float", "quantize_float_into", "quantize_block_scaled", "quantize_block_scaled_into",
           "quantize_int_groups", "olive_group_steps", "quantize_olive", "quantize_bitmod", "prune_nm_rows"]

OVF_SATURATE, OVF_INF, OVF_NAN = 0, 1, 2

#: name -> (mbits, emin, max_normal, overflow mode when not saturating). Sources: IEEE 754-2019 Table 3.5
#: (binary16, binary32), bfloat16 (binary32's exponent, 7 stored mantissa bits), OCP 8-bit FP v1.0 Table 1
#: (E4M3 bias 7, max 448 = 1.75 * 2**8; E5M2 bias 15, max 57344 = 1.75 * 2**15), OCP MX v1.0 §5.3.2-5.3.3
#: (FP6 E3M2 bias 3, max 28; FP6 E2M3 bias 1, max 7.5; FP4 E2M1 bias 1, max 6).
FLOAT_FORMATS: dict[str, tuple[int, int, float, int]] = {
    "fp32": (23, -126, (2.0 - 2.0 ** -23) * 2.0 ** 127, OVF_INF),
    "fp16": (10, -14, 65504.0, OVF_INF),
    "bf16": (7, -126, (2.0 - 2.0 ** -7) * 2.0 ** 127, OVF_INF),
    "fp8_e4m3": (3, -6, 448.0, OVF_NAN),
    "fp8_e5m2": (2, -14, 57344.0, OVF_INF),
    "fp6_e3m2": (2, -2, 28.0, OVF_SATURATE),
    "fp6_e2m3": (3, 0, 7.5, OVF_SATURATE),
    "fp4_e2m1": (1, 0, 6.0, OVF_SATURATE),
}

#: E8M0 (the MX shared scale, OCP MX v1.0 §5.4): exponents -127..127, code 0xFF is NaN
E8M0_EMIN, E8M0_EMAX = -127, 127
#: shared exponent returned for a block whose scale is NaN (would be E8M0 code 0xFF = exponent 128)
SCALE_NAN = 128
#: element kinds of a block-scaled format
ELEM_FLOAT, ELEM_INT = 0, 1

#: OliVe 4-bit normal values are int4 -7..7 (code 1000 is the outlier identifier), ISCA'23 §3.2 and the
#: released code (clevercool/ANT-Quantization, olive_quantization/antquant/quant_modules.py, ``int_value``)
OLIVE_NORMAL_MAX = 7
#: the normal range bound is max(|mean ± 3 std|) of the group (same file, ``search_mse`` initial bound)
OLIVE_SIGMAS = 3.0
#: OliVe outliers: "abfloat" E2M1 with exponent bias so that its smallest magnitude lies above the normal
#: range; in units of the int4 step: 1.5*2**3 .. 1.5*2**6 (quant_modules.py ``outlier_value``: exp_base 5,
#: 2**5*(1+j/2) skipping 32, divided by the int grid's 32/8 normalisation) -> 12, 16, 24, 32, 48, 64, 96.
#: Preference on a tie (2 = even code, 1 = odd code): ties round to the even code; a normal/outlier tie
#: goes to the normal value.
_OLIVE_MAGS = np.array([0.0, 1, 2, 3, 4, 5, 6, 7, 12, 16, 24, 32, 48, 64, 96], dtype=np.float64)
_OLIVE_PREF = np.array([2, 1, 2, 1, 2, 1, 2, 1, 1, 2, 1, 2, 1, 2, 1], dtype=np.int64)

#: BitMoD (HPCA'25) 4-bit data types: FP4 E2M1 (x2: 0, 1, 2, 3, 4, 6, 8, 12) whose redundant -0 code holds
#: one special value: extra resolution +-10 ("er_pos"/"er_neg") or extra asymmetry +-16 ("ea_pos"/"ea_neg");
#: abdelfattah-lab/BitMoD-HPCA-25 bitmod_quant/quant_utils/quant_weight.py FP4_ER_POS ... FP4_EA_NEG and
#: ``search_datatype`` ("mixed_bitmod" = these four, in this order).
BITMOD_NAMES = ("fp4_er_pos", "fp4_er_neg", "fp4_ea_pos", "fp4_ea_neg")
_FP4X2 = [-12.0, -8.0, -6.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0]


def _bitmod_table(special: float) -> tuple[np.ndarray, np.ndarray]:
    vals = sorted(_FP4X2 + [special])
    # tie preference: FP4 codes with an even mantissa (0, 2, 4, 8 in these units) 2, odd ones 1, the special 0
    pref = [0 if v == special else (2 if abs(v) in (0.0, 2.0, 4.0, 8.0) else 1) for v in vals]
    return np.array(vals, dtype=np.float64), np.array(pref, dtype=np.int64)


#: (values, tie preferences) of the four BitMoD data types, stacked: shape (4, 16)
BITMOD_TABLES: tuple[np.ndarray, np.ndarray] = (
    np.stack([_bitmod_table(s)[0] for s in (10.0, -10.0, 16.0, -16.0)]),
    np.stack([_bitmod_table(s)[1] for s in (10.0, -10.0, 16.0, -16.0)]),
)
_BM_VALS, _BM_PREF = BITMOD_TABLES


#: 2**i for i = -1074 .. 1023 (every power of two float64 holds), indexed by i + _POW2_OFFSET: a table
#: lookup is ~5x faster than math.ldexp in compiled loops
_POW2_OFFSET = 1074
_POW2 = np.ldexp(1.0, np.arange(-1074, 1024))


#: 1.5 * 2**52: x + _RNE_MAGIC - _RNE_MAGIC is x rounded to an integer, ties to even, for |x| < 2**51
_RNE_MAGIC = 6755399441055744.0
_F64_MAX = float(np.finfo(np.float64).max)


@njit(cache=True)
def _pow2(i: int) -> float:
    return _POW2[i + _POW2_OFFSET]


@njit(cache=True)
def _rne(v: float) -> float:
    """Round a non-negative float to the nearest integer, ties to even."""
    f = math.floor(v)
    d = v - f
    if d > 0.5:
        return f + 1.0
    if d < 0.5:
        return f
    return f if f == 2.0 * math.floor(0.5 * f) else f + 1.0


@njit(cache=True)
def _srne(v: float) -> float:
    """Round a float to the nearest integer, ties to even (sign kept)."""
    return math.copysign(_rne(abs(v)), v)


@njit(cache=True)
def _round_float(x: float, mbits: int, emin: int, max_normal: float, ovf: int) -> float:
    """Round one float64 to a binary floating-point format (see the module docstring)."""
    if x != x:
        return x
    a = abs(x)
    if a == math.inf:
        if ovf == OVF_SATURATE:
            return math.copysign(max_normal, x)
        if ovf == OVF_INF:
            return x
        return math.nan
    if a == 0.0:
        return x
    e = math.frexp(a)[1] - 1  # floor(log2 a), exact
    if e < emin:
        e = emin
    # a * 2**(mbits - e) < 2**(mbits + 1): adding and removing 1.5 * 2**52 rounds it to an integer, ties to
    # even, in the FPU's default rounding mode (exact for mbits <= 50); the power-of-two scalings are exact
    r = ((a * _pow2(mbits - e) + _RNE_MAGIC) - _RNE_MAGIC) * _pow2(e - mbits)
    if r > max_normal:
        if ovf == OVF_SATURATE:
            r = max_normal
        elif ovf == OVF_INF:
            r = math.inf
        else:
            return math.nan
    return math.copysign(r, x)


def quantize_float(x: np.ndarray, mbits: int, emin: int, max_normal: float, ovf: int) -> np.ndarray:
    """Round every element of the 1-D float64 array ``x`` to a binary floating-point format.

    ``mbits``, ``emin``, ``max_normal`` and ``ovf`` are defined in the module docstring (IEEE 754-2019 §4.3
    roundTiesToEven with subnormals; OCP 8-bit FP v1.0 and OCP MX v1.0 §5.3 for the 8/6/4-bit formats).
    The output is allocated by numpy (which asks for huge pages: first-touching a 128 MiB array allocated
    inside compiled code costs ~60 ms of page faults on the development machines) and filled by
    :func:`quantize_float_into`.
    """
    out = np.empty_like(x)
    quantize_float_into(x, mbits, emin, max_normal, ovf, out)
    return out


@njit(cache=True)
def quantize_float_into(x: np.ndarray, mbits: int, emin: int, max_normal: float, ovf: int, out: np.ndarray) -> None:
    """:func:`quantize_float` into the caller's ``out`` (the shape of ``x``)."""
    for i in range(x.size):
        out[i] = _round_float(x[i], mbits, emin, max_normal, ovf)


@njit(cache=True)
def _floor_log2(a: float) -> int:
    return math.frexp(a)[1] - 1


def quantize_block_scaled(x: np.ndarray, kind: int, mbits: int, emin: int, max_normal: float,
                          emax_elem: int) -> tuple[np.ndarray, np.ndarray]:
    """Quantize each row of ``x`` (shape ``(blocks, k)``) to a power-of-two-scaled block format.

    The OCP MX v1.0 conversion (§6.3, Algorithm 1): per block, ``shared_exp = floor(log2(max|V|)) -
    emax_elem``, clamped to E8M0's exponent range [-127, 127] (a zero block takes -127; a finite block above
    2**127, possible only for float64 inputs beyond float32's range, is clamped to 127 and saturates, where the
    reference implementation would give a NaN scale); ``X = 2**shared_exp``;
    every element becomes ``P = quantize_elem(V / X)`` with round-to-nearest-even, normal numbers clamped to
    the element format's largest magnitude (saturation), and the block decodes as ``X * P``. A block holding a
    NaN or an infinity has a NaN scale (E8M0 0xFF; ``max|V|`` gives log2 = inf, above the scale range, as in
    the spec authors' reference ``microxcaling`` ``_quantize_mx``), so its every element decodes to NaN; its
    shared exponent is reported as :data:`SCALE_NAN`.

    ``kind`` :data:`ELEM_FLOAT`: elements are the float format (``mbits``, ``emin``, ``max_normal``).
    ``kind`` :data:`ELEM_INT`: elements are sign-magnitude fixed point with ``mbits`` fraction bits and
    magnitude at most ``max_normal`` (MXINT8: 6 fraction bits, max 127/64, ``emax_elem`` 0, OCP MX v1.0
    §5.3.4; the symmetric range of the spec authors' reference; block floating point with 8-bit mantissas is
    the same element with another block size).

    Returns the decoded values and the shared exponent of each block. The outputs are allocated by numpy
    (see :func:`quantize_float`) and filled by :func:`quantize_block_scaled_into`; ``x`` must be C-contiguous.
    """
    out = np.empty_like(x)
    exps = np.empty(x.shape[0], dtype=np.int64)
    quantize_block_scaled_into(x, kind, mbits, emin, max_normal, emax_elem, out, exps)
    return out, exps


@njit(cache=True)
def quantize_block_scaled_into(x: np.ndarray, kind: int, mbits: int, emin: int, max_normal: float, emax_elem: int,
                               out: np.ndarray, exps: np.ndarray) -> None:
    """:func:`quantize_block_scaled` into the caller's ``out`` (the shape of ``x``) and ``exps`` (one per
    block); ``x`` must be C-contiguous."""
    nb, k = x.shape
    xi = x.view(np.int64)
    fix = _pow2(mbits)
    unfix = _pow2(-mbits)
    lim = max_normal * fix
    for b in range(nb):
        amax = 0.0
        special = False
        for j in range(k):
            a = abs(x[b, j])
            if not a <= _F64_MAX:  # NaN or inf
                special = True
            elif a > amax:
                amax = a
        if special:
            exps[b] = SCALE_NAN
            for j in range(k):
                out[b, j] = math.nan
            continue
        if amax == 0.0:
            se = E8M0_EMIN
        else:
            se = _floor_log2(amax) - emax_elem
            if se < E8M0_EMIN:
                se = E8M0_EMIN
            elif se > E8M0_EMAX:
                se = E8M0_EMAX
        exps[b] = se
        up = _pow2(se)
        if kind == ELEM_FLOAT:
            for j in range(k):
                v = x[b, j]
                # e = floor(log2 |v / X|) from v's exponent field; a zero or subnormal v lands below emin
                e = ((xi[b, j] >> 52) & 0x7FF) - 1023 - se
                if e < emin:
                    e = emin
                # |v| / X rounded to a multiple of 2**(e - mbits), ties to even (see _round_float)
                r = ((abs(v) * _pow2(mbits - e - se) + _RNE_MAGIC) - _RNE_MAGIC) * _pow2(e - mbits)
                if r > max_normal:
                    r = max_normal
                out[b, j] = math.copysign(r, v) * up
        else:
            down = _pow2(-se)
            for j in range(k):
                p = _srne(x[b, j] * down * fix)
                if p > lim:
                    p = lim
                elif p < -lim:
                    p = -lim
                out[b, j] = (p * unfix + 0.0) * up  # integers have no -0


@njit(cache=True)
def _round_scale(s: float, mbits: int, emin: int, max_normal: float) -> float:
    """A positive scale rounded to the scale format and clamped to its positive range (no 0, no inf)."""
    if mbits >= 0:
        s = _round_float(s, mbits, emin, max_normal, OVF_SATURATE)
        tiny = _pow2(emin - mbits)
    else:
        tiny = 5e-324  # float64's smallest subnormal: the scale is not rounded
    if s < tiny:
        s = tiny
    return s


@njit(cache=True)
def quantize_int_groups(x: np.ndarray, bits: int, signed: int, symmetric: int, scale_mbits: int, scale_emin: int,
                        scale_max: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Quantize each row of ``x`` (shape ``(groups, g)``) to ``bits``-bit integers with one scale per row.

    Symmetric: ``s = max|x| / qmax`` with ``qmax = 2**(bits-1) - 1`` (signed) or ``2**bits - 1`` (unsigned),
    ``code = clamp(rne(x / s))`` to the code range ([-2**(bits-1), 2**(bits-1) - 1] or [0, 2**bits - 1]),
    value ``code * s``. Asymmetric (affine): the range [lo, hi] = [min(min x, 0), max(max x, 0)] (zero stays
    exactly representable), ``s = (hi - lo) / (2**bits - 1)``, zero point ``z = clamp(rne(-lo / s))`` to the
    unsigned code range, ``code = clamp(rne(x / s) + z)``, value ``(code - z) * s``; for a signed format the
    stored code and zero point are shifted by ``-2**(bits-1)`` (same values). The scale is rounded to its own
    format (``scale_mbits`` < 0: kept in float64) and clamped to that format's positive range, so a zero group
    gets the smallest scale and decodes to zeros. Inputs must be finite.

    Returns values, codes (int64), scales and zero points (float64, 0 when symmetric).
    """
    ng, g = x.shape
    out = np.empty_like(x)
    codes = np.empty((ng, g), dtype=np.int64)
    scales = np.empty(ng, dtype=np.float64)
    zps = np.zeros(ng, dtype=np.float64)
    if signed:
        cmin, cmax = -(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1.0
    else:
        cmin, cmax = 0.0, 2.0 ** bits - 1.0
    levels = 2.0 ** bits - 1.0
    shift = 2.0 ** (bits - 1) if signed else 0.0
    for r in range(ng):
        lo = 0.0
        hi = 0.0
        for j in range(g):
            v = x[r, j]
            if v < lo:
                lo = v
            if v > hi:
                hi = v
        if symmetric:
            amax = max(-lo, hi) if signed else hi
            s = _round_scale(amax / cmax, scale_mbits, scale_emin, scale_max)
            scales[r] = s
            for j in range(g):
                c = _srne(x[r, j] / s)
                if c < cmin:
                    c = cmin
                elif c > cmax:
                    c = cmax
                codes[r, j] = np.int64(c)
                out[r, j] = c * s + 0.0
        else:
            s = _round_scale((hi - lo) / levels, scale_mbits, scale_emin, scale_max)
            scales[r] = s
            z = _srne(-lo / s)
            if z < 0.0:
                z = 0.0
            elif z > levels:
                z = levels
            zps[r] = z - shift
            for j in range(g):
                c = _srne(x[r, j] / s) + z
                if c < 0.0:
                    c = 0.0
                elif c > levels:
                    c = levels
                codes[r, j] = np.int64(c - shift)
                out[r, j] = (c - z) * s + 0.0
    return out, codes, scales, zps


@njit(cache=True)
def quantize_int_values(x: np.ndarray, out: np.ndarray, bits: int, signed: int, symmetric: int, scale_mbits: int,
                        scale_emin: int, scale_max: float) -> None:
    """The values of :func:`quantize_int_groups` only, into ``out`` (allocated by the caller): the same
    arithmetic, without the code/scale arrays (what ``quantize`` needs; half the memory traffic)."""
    ng, g = x.shape
    if signed:
        cmin, cmax = -(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1.0
    else:
        cmin, cmax = 0.0, 2.0 ** bits - 1.0
    levels = 2.0 ** bits - 1.0
    for r in range(ng):
        lo = 0.0
        hi = 0.0
        for j in range(g):
            v = x[r, j]
            if v < lo:
                lo = v
            if v > hi:
                hi = v
        if symmetric:
            amax = max(-lo, hi) if signed else hi
            s = _round_scale(amax / cmax, scale_mbits, scale_emin, scale_max)
            for j in range(g):
                c = _srne(x[r, j] / s)
                if c < cmin:
                    c = cmin
                elif c > cmax:
                    c = cmax
                out[r, j] = c * s + 0.0
        else:
            s = _round_scale((hi - lo) / levels, scale_mbits, scale_emin, scale_max)
            z = _srne(-lo / s)
            if z < 0.0:
                z = 0.0
            elif z > levels:
                z = levels
            for j in range(g):
                c = _srne(x[r, j] / s) + z
                if c < 0.0:
                    c = 0.0
                elif c > levels:
                    c = levels
                out[r, j] = (c - z) * s + 0.0


@njit(cache=True)
def _nearest(v: float, vals: np.ndarray, pref: np.ndarray) -> float:
    """The entry of the ascending table ``vals`` nearest to ``v``; a tie goes to the higher ``pref``, then to
    the smaller magnitude. Beyond the ends, the end value (saturation)."""
    n = vals.size
    if v <= vals[0]:
        return vals[0]
    if v >= vals[n - 1]:
        return vals[n - 1]
    lo = 0
    hi = n - 1
    while hi - lo > 1:  # vals[lo] < v < vals[hi] after the loop... or equal to one end
        mid = (lo + hi) // 2
        if vals[mid] <= v:
            lo = mid
        else:
            hi = mid
    d0 = v - vals[lo]
    d1 = vals[hi] - v
    if d0 < d1:
        return vals[lo]
    if d1 < d0:
        return vals[hi]
    if pref[lo] != pref[hi]:
        return vals[lo] if pref[lo] > pref[hi] else vals[hi]
    return vals[lo] if abs(vals[lo]) <= abs(vals[hi]) else vals[hi]


@njit(cache=True)
def olive_group_steps(x: np.ndarray, scale_mbits: int, scale_emin: int, scale_max: float) -> np.ndarray:
    """OliVe's step (the value of int4 code 1) for each row of ``x``: ``max(|mean ± 3 std|) / 7``.

    The bound follows the released OliVe code (``search_mse``: ``x_max = max(|mean + 3 std|, |mean - 3 std|)``
    with torch's unbiased std) mapped to the largest normal value 7; its MSE search over clipping ratios is
    not reproduced. The step is rounded to the scale format like an integer scale (see
    :func:`quantize_int_groups`).
    """
    ng, g = x.shape
    steps = np.empty(ng, dtype=np.float64)
    for r in range(ng):
        mean = 0.0
        for j in range(g):
            mean += x[r, j]
        mean /= g
        var = 0.0
        for j in range(g):
            d = x[r, j] - mean
            var += d * d
        std = math.sqrt(var / (g - 1)) if g > 1 else 0.0
        bound = max(abs(mean + OLIVE_SIGMAS * std), abs(mean - OLIVE_SIGMAS * std))
        steps[r] = _round_scale(bound / OLIVE_NORMAL_MAX, scale_mbits, scale_emin, scale_max)
    return steps


@njit(cache=True)
def quantize_olive(x: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """OliVe outlier-victim pair (OVP) encoding, 4 bits per value, of each row of ``x`` with its step.

    Each value ``v / step`` rounds to the nearest of the normal values (int4 -7..7) and the outlier values
    (abfloat: +-12, 16, 24, 32, 48, 64, 96; saturating at 96), ties to the even code and, between 7 and 12,
    to the normal value. Values then pair up along the row (elements 2i, 2i+1): when a pair holds an outlier,
    the outlier keeps its 4 bits and its partner (the victim) is pruned to 0 (the victim's slot holds the
    identifier 1000); when both are outliers the first is kept, as in the released code
    (quant_modules.py ``_forward``: ``victim_odd``/``victim_even`` masks). Rows must have even length.
    """
    ng, g = x.shape
    out = np.empty_like(x)
    vals = np.empty(2 * _OLIVE_MAGS.size - 1, dtype=np.float64)
    pref = np.empty(2 * _OLIVE_MAGS.size - 1, dtype=np.int64)
    m = _OLIVE_MAGS.size
    for i in range(m):
        vals[m - 1 - i] = -_OLIVE_MAGS[i]
        vals[m - 1 + i] = _OLIVE_MAGS[i]
        pref[m - 1 - i] = _OLIVE_PREF[i]
        pref[m - 1 + i] = _OLIVE_PREF[i]
    for r in range(ng):
        s = steps[r]
        for j in range(0, g, 2):
            q0 = _nearest(x[r, j] / s, vals, pref)
            q1 = _nearest(x[r, j + 1] / s, vals, pref)
            if abs(q0) > OLIVE_NORMAL_MAX:
                q1 = 0.0
            elif abs(q1) > OLIVE_NORMAL_MAX:
                q0 = 0.0
            out[r, j] = q0 * s + 0.0
            out[r, j + 1] = q1 * s + 0.0
    return out


@njit(cache=True)
def quantize_bitmod(x: np.ndarray, scale_mbits: int, scale_emin: int,
                    scale_max: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BitMoD per-group data-type adaptation (4 bits): each row takes the one of the four data types
    (:data:`BITMOD_NAMES`) with the least squared error.

    For a data type with table ``T``, ``s = max|x| / max|T|`` (rounded to the scale format like an integer
    scale), each ``x / s`` rounds to the nearest table value (ties to the even FP4 code, never to the special
    value on a tie, saturating at the ends), the error is the sum of squares in float64; the first data type
    with the least error wins (BitMoD-HPCA-25 ``search_datatype``). Returns values, the chosen data type
    index per row and the scales.
    """
    ng, g = x.shape
    out = np.empty_like(x)
    tmp = np.empty(g, dtype=np.float64)
    kinds = np.empty(ng, dtype=np.int64)
    scales = np.empty(ng, dtype=np.float64)
    nt = _BM_VALS.shape[0]
    for r in range(ng):
        amax = 0.0
        for j in range(g):
            if abs(x[r, j]) > amax:
                amax = abs(x[r, j])
        best = math.inf
        for t in range(nt):
            vals = _BM_VALS[t]
            pref = _BM_PREF[t]
            qmax = max(-vals[0], vals[vals.size - 1])
            s = _round_scale(amax / qmax, scale_mbits, scale_emin, scale_max)
            err = 0.0
            for j in range(g):
                tmp[j] = _nearest(x[r, j] / s, vals, pref) * s + 0.0
                d = tmp[j] - x[r, j]
                err += d * d
            if err < best:
                best = err
                kinds[r] = t
                scales[r] = s
                for j in range(g):
                    out[r, j] = tmp[j]
    return out, kinds, scales


@njit(cache=True)
def prune_nm_rows(x: np.ndarray, n: int, m: int) -> np.ndarray:
    """N:M structured sparsity: in every ``m`` consecutive elements of each row of ``x`` keep the ``n`` of
    largest magnitude (equal magnitudes: the lower index first) and set the others to zero (2:4 of NVIDIA's
    sparse tensor cores, N:16 of FlightLLM's sparse DSP chain). The row length must be a multiple of ``m``."""
    rows, length = x.shape
    out = np.zeros_like(x)
    for r in range(rows):
        for c0 in range(0, length, m):
            for j in range(c0, c0 + m):
                a = abs(x[r, j])
                rank = 0
                for k in range(c0, c0 + m):
                    b = abs(x[r, k])
                    if b > a or (b == a and k < j):
                        rank += 1
                if rank < n:
                    out[r, j] = x[r, j]
    return out
