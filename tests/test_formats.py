"""Number formats: bit-exact against ml_dtypes where it has the format, properties (idempotence, signs,
saturation) on random and edge inputs, Numba kernels equal to their numpy twins, and clear errors."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accelsim import formats as F
from accelsim.config.formats import FORMATS, format_bits
from accelsim.errors import AccelsimError
from accelsim.kernels import formats as K
from accelsim.kernels import reference_formats as R

#: our name -> ml_dtypes type with the same values
ML = {"fp8_e4m3": ml_dtypes.float8_e4m3fn, "fp8_e5m2": ml_dtypes.float8_e5m2,
      "fp6_e3m2": ml_dtypes.float6_e3m2fn, "fp6_e2m3": ml_dtypes.float6_e2m3fn,
      "fp4_e2m1": ml_dtypes.float4_e2m1fn, "bf16": ml_dtypes.bfloat16, "fp16": np.float16, "fp32": np.float32}
NO_NAN_CODE = ("fp6_e3m2", "fp6_e2m3", "fp4_e2m1")


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-for-bit equal float64 arrays (any NaN equals any NaN; -0 differs from +0)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and bool(np.all((a.view(np.int64) == b.view(np.int64)) | (np.isnan(a) & np.isnan(b))))


def _representable(t: type) -> np.ndarray:
    """Every finite value of a small ml_dtypes type (all codes), or a sample of a 16/32-bit one."""
    if np.dtype(t).itemsize == 1:
        vals = np.arange(256, dtype=np.uint8).view(t).astype(np.float64)
    else:
        rng = np.random.default_rng(1)
        bits = rng.integers(0, 2 ** 16, 4000).astype(np.uint16)
        if np.dtype(t).itemsize == 4:
            bits = rng.integers(0, 2 ** 32, 4000, dtype=np.uint64).astype(np.uint32)
        with np.errstate(invalid="ignore"):
            vals = bits.view(t).astype(np.float64)
    return np.unique(vals[np.isfinite(vals)])


def edge_inputs(t: type) -> np.ndarray:
    """Representable values, every midpoint (ties) and its float64 neighbours, beyond-max values, float64
    subnormals, signed zeros, infinities and NaN."""
    v = _representable(t)
    v = np.concatenate([v, -v])
    v = np.unique(v)
    mid = (v[:-1] + v[1:]) / 2
    mx = float(ml_dtypes.finfo(t).max) if t not in (np.float16, np.float32) else float(np.finfo(t).max)
    extra = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 2.2e-308, 1e308, -1e308,
                      mx * 1.0001, mx * 1.03, mx * 1.07, -mx * 1.07, mx * 2, mx * (1 + 2 ** -4), mx * (1 + 2 ** -5)])
    rng = np.random.default_rng(0)
    rand = rng.standard_normal(3000) * np.exp2(rng.uniform(-30, 30, 3000))
    return np.concatenate([v, mid, np.nextafter(mid, np.inf), np.nextafter(mid, -np.inf), extra, rand])


# ------------------------------------------------------------------------------ elementwise formats
@pytest.mark.parametrize("fmt", list(ML))
def test_float_formats_equal_ml_dtypes(fmt: str) -> None:
    t = ML[fmt]
    x = edge_inputs(t)
    if fmt in NO_NAN_CODE:  # ml_dtypes turns NaN into +-0 there; we keep NaN (no code can encode it)
        x = x[~np.isnan(x)]
    with np.errstate(over="ignore", invalid="ignore"):
        ref = x.astype(t).astype(np.float64)
    got = F.quantize(x, fmt)
    bad = ~((got.view(np.int64) == ref.view(np.int64)) | (np.isnan(got) & np.isnan(ref)))
    assert not bad.any(), list(zip(x[bad][:5], got[bad][:5], ref[bad][:5]))


@pytest.mark.parametrize("fmt", ["fp8_e4m3", "fp8_e5m2", "fp16", "bf16"])
def test_saturating_conversion(fmt: str) -> None:
    t = ML[fmt]
    mx = float(ml_dtypes.finfo(t).max) if t is not np.float16 else 65504.0
    x = edge_inputs(t)
    with np.errstate(over="ignore", invalid="ignore"):
        ref = np.clip(x, -mx, mx).astype(t).astype(np.float64)  # clip keeps NaN
    assert same(F.quantize(x, fmt, saturate=True), ref)


def test_special_values() -> None:
    e4 = F.quantize([448.0, 464.0, 464.01, 480.0, np.inf, -0.0, -1e-30, 2.0 ** -9, 2.0 ** -10], "fp8_e4m3")
    assert same(e4, [448.0, 448.0, np.nan, np.nan, np.nan, -0.0, -0.0, 2.0 ** -9, 0.0])  # tie 2^-10 -> 0 (even)
    e5 = F.quantize([57344.0, 61440.0, 61439.0, -np.inf, 2.0 ** -17, 3 * 2.0 ** -17], "fp8_e5m2")
    assert same(e5, [57344.0, np.inf, 57344.0, -np.inf, 0.0, 2.0 ** -15])
    fp4 = F.quantize([np.inf, -7.0, 0.25, 0.75, 2.5, 5.0, -0.0, np.nan], "fp4_e2m1")
    assert same(fp4, [6.0, -6.0, 0.0, 1.0, 2.0, 4.0, -0.0, np.nan])
    assert same(F.quantize(np.float64(65520.0), "fp16"), np.float64(np.inf))  # rounds past max -> inf


finite_or_special = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True, width=64)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 200), elements=finite_or_special),
       st.sampled_from(list(K.FLOAT_FORMATS)), st.booleans())
def test_float_properties(x: np.ndarray, fmt: str, saturate: bool) -> None:
    mbits, emin, mx, ovf = K.FLOAT_FORMATS[fmt]
    params = {"saturate": saturate} if fmt not in NO_NAN_CODE else {}
    q = F.quantize(x, fmt, **params)
    ovf = K.OVF_SATURATE if saturate else ovf
    assert same(q, R.quantize_float_ref(x, mbits, emin, mx, ovf))  # twin
    assert same(F.quantize(q, fmt, **params), q)  # idempotent
    fin = np.isfinite(q)
    assert np.all(np.abs(q[fin]) <= mx)
    assert np.array_equal(np.signbit(q[~np.isnan(q)]), np.signbit(x[~np.isnan(q)]))  # sign kept, -0 too
    assert np.all(np.isnan(q[np.isnan(x)]))
    if ovf == K.OVF_SATURATE:
        assert not np.isinf(q).any()
    # round to nearest: no representable value is closer (checked against the neighbours of q)
    xf, qf = x[fin & np.isfinite(x)], q[fin & np.isfinite(x)]
    err = np.abs(xf - qf)
    up = F.quantize(np.nextafter(qf, np.inf) * (1 + 2.0 ** -(mbits + 1)), fmt, **params)
    assert np.all((np.abs(xf - up) >= err) | ~np.isfinite(up))


# ----------------------------------------------------------------------------------------------- MX
MX_ELEM = {"mxfp8_e4m3": ("fp8_e4m3", 8), "mxfp8_e5m2": ("fp8_e5m2", 15), "mxfp6_e3m2": ("fp6_e3m2", 4),
           "mxfp6_e2m3": ("fp6_e2m3", 2), "mxfp4": ("fp4_e2m1", 2)}


def mx_expected(x: np.ndarray, fmt: str) -> np.ndarray:
    """OCP MX v1.0 §6.3 written with ml_dtypes: E8M0 scale, saturated elements in the ml_dtypes type."""
    elem, emax = MX_ELEM[fmt]
    t = ML[elem]
    blocks = x.reshape(-1, 32)
    amax = np.abs(blocks).max(axis=1)
    with np.errstate(divide="ignore"):
        se = np.clip(np.where(amax > 0, np.floor(np.log2(amax)) - emax, -127), -127, 127)
    scale = np.exp2(se).astype(ml_dtypes.float8_e8m0fnu).astype(np.float64)  # representable in E8M0
    assert np.array_equal(scale, np.exp2(se))
    mx = float(ml_dtypes.finfo(t).max)
    p = np.clip(blocks / scale[:, None], -mx, mx).astype(t).astype(np.float64)
    return (p * scale[:, None]).reshape(x.shape)


@pytest.mark.parametrize("fmt", list(MX_ELEM))
def test_mx_equals_spec_with_ml_dtypes(fmt: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 256)) * np.exp2(rng.integers(-40, 40, (64, 1)))
    x[0, :32] = 0.0
    x[1, :32] = rng.standard_normal(32) * 2.0 ** -140  # scale clamps at 2^-127, elements underflow
    x[2, :32] *= 2.0 ** 120
    x[3, 5] = -0.0
    elem = ML[MX_ELEM[fmt][0]]
    x[4, :] = rng.choice(_representable(elem), 256) * 2.0 ** 3  # exactly representable blocks
    got = F.quantize(x, fmt)
    assert same(got, mx_expected(x, fmt))
    assert same(F.quantize(got, fmt), got)  # idempotent


def test_mxint8_and_special_blocks() -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((8, 64))
    amax = np.abs(x.reshape(-1, 32)).max(axis=1)
    scale = np.exp2(np.floor(np.log2(amax)))
    ref = (np.clip(np.rint(x.reshape(-1, 32) / scale[:, None] * 64), -127, 127) / 64 * scale[:, None]).reshape(x.shape)
    assert same(F.quantize(x, "mxint8"), ref + 0.0)
    x[0, 3] = np.nan
    x[1, 40] = -np.inf
    q = F.quantize(x, "mxfp8_e4m3")
    assert np.isnan(q[0, :32]).all() and np.isnan(q[1, 32:]).all()  # NaN scale (E8M0 0xFF) for the block
    assert np.isfinite(q[0, 32:]).all() and np.isfinite(q[2:]).all()
    # a short last block is padded with zeros; axis chooses the blocking direction
    y = rng.standard_normal((40, 3))
    assert same(F.quantize(y, "mxfp4", axis=0)[:32], F.quantize(y[:32], "mxfp4", axis=0))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.sampled_from(list(F._MX)), st.integers(-60, 60), st.data())
def test_block_formats_twin_and_idempotent(rows: int, nblocks: int, fmt: str, shift: int, data: st.DataObject) -> None:
    x = data.draw(hnp.arrays(np.float64, (rows, 32 * nblocks),
                             elements=st.floats(-1e6, 1e6, allow_subnormal=True))) * 2.0 ** shift
    elem = F._MX[fmt]
    if elem is None:
        args = (K.ELEM_INT, 6, 0, 127 / 64, 0)
    else:
        mbits, emin, mx, _ = K.FLOAT_FORMATS[elem]
        args = (K.ELEM_FLOAT, mbits, emin, mx, F._EMAX_ELEM[elem])
    blocks = np.ascontiguousarray(x.reshape(-1, 32))
    v, e = K.quantize_block_scaled(blocks, *args)
    vr, er = R.quantize_block_scaled_ref(blocks, *args)
    assert same(v, vr) and np.array_equal(e, er)
    q = F.quantize(x, fmt)
    assert same(q, v.reshape(x.shape))
    assert same(F.quantize(q, fmt), q)
    bfp = F.quantize(x, "bfp8", block_size=16)
    assert same(F.quantize(bfp, "bfp8", block_size=16), bfp)


# ----------------------------------------------------------------------------------------- integers
@settings(max_examples=60, deadline=None)
@given(st.integers(2, 8), st.booleans(), st.booleans(), st.sampled_from(["fp16", "fp32", "fp64", "bf16"]),
       st.sampled_from([(4, 8), (4, 16), (2, 32), (3, 4)]), st.integers(-30, 30), st.data())
def test_int_twin_idempotent_and_bounds(bits: int, signed: bool, symmetric: bool, sdt: str, shape: tuple[int, int],
                                        shift: int, data: st.DataObject) -> None:
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-1e3, 1e3))) * 2.0 ** shift
    fmt = f"{'' if signed else 'u'}int{bits}"
    g = shape[1] // 2 if shape[1] % 2 == 0 else shape[1]
    params = dict(group_size=g, symmetric=symmetric, scale_dtype=sdt)
    q = F.quantize(x, fmt, **params)
    rows = np.ascontiguousarray(x.reshape(-1, g))
    sargs = F.SCALE_DTYPES[sdt][:3]
    got = K.quantize_int_groups(rows, bits, int(signed), int(symmetric), *sargs)
    ref = R.quantize_int_groups_ref(rows, bits, int(signed), int(symmetric), *sargs)
    for a, b in zip(got, ref):
        assert same(a, b)
    assert same(q, got[0].reshape(x.shape))
    enc = F.encode_int(x, fmt, **params)
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
    assert enc.codes.min() >= lo and enc.codes.max() <= hi
    s, z = enc.scales.reshape(-1, 1), enc.zero_points.reshape(-1, 1)
    dec = ((enc.codes.reshape(-1, g) - z) * s).reshape(x.shape)
    assert same(dec + 0.0, q)
    assert not np.signbit(q[q == 0]).any()  # integer formats have no -0
    # decoded values are grid points: re-encoding them with their own scale and zero point changes nothing
    again = np.clip(np.rint(q.reshape(-1, g) / s) + z, lo, hi)
    assert np.array_equal(again, enc.codes.reshape(-1, g))
    # quantizing twice changes nothing when the scale is re-derived exactly: symmetric, the scale format's
    # rounding error (2^-(mbits+1) relative) below half a code at the largest code (qmax < 2^mbits), normal
    mbits, emin = F.SCALE_DTYPES[sdt][:2]
    qmax = hi
    if symmetric and sdt != "fp64" and qmax < 2 ** mbits and np.all(enc.scales >= 2.0 ** emin):
        assert same(F.quantize(q, fmt, **params), q)


def test_int_granularities_and_values() -> None:
    x = np.array([[1.0, -2.0, 3.0, 7.0], [0.5, 0.25, -0.125, 0.0]])
    # per-channel int4: scale 7/7 = 1 on row 0, 0.5/7 on row 1 (fp16-rounded)
    q = F.quantize(x, "int4", granularity="channel")
    assert same(q[0], [1.0, -2.0, 3.0, 7.0])
    s1 = float(np.float16(0.5 / 7))
    assert same(q[1], np.clip(np.rint(x[1] / s1), -8, 7) * s1 + 0.0)
    t = F.quantize(x, "int8", granularity="tensor", scale_dtype="fp64")
    assert same(t, np.rint(x / (7 / 127)) * (7 / 127) + 0.0)
    # asymmetric uint4 of a positive range: zero stays exact, max maps to code 15
    u = F.encode_int(np.array([0.0, 1.0, 2.0, 3.0]), "uint4", scale_dtype="fp64")
    assert u.codes.tolist() == [0, 5, 10, 15] and u.zero_points.tolist() == [0.0]
    # axis picks the grouping direction: per-column groups of a [K, N] matrix
    y = np.random.default_rng(0).standard_normal((8, 3))
    assert same(F.quantize(y, "int4", group_size=4, axis=0), F.quantize(y.T, "int4", group_size=4).T)


# ------------------------------------------------------------------------ BFP, OliVe, BitMoD, N:M
def test_bfp8_and_channel_rearrangement() -> None:
    rng = np.random.default_rng(5)
    tokens, ch = 64, 64
    k = rng.standard_normal((tokens, ch))
    outl = np.array([5, 21, 37, 53])  # one in each block of 16
    k[:, outl] *= 50.0  # outlier channels (the channel-wise pattern of LLM keys)
    plain = F.quantize(k, "bfp8", block_size=16)
    sorted_ = F.quantize(k, "bfp8", block_size=16, rearrange=True)
    normal = np.setdiff1d(np.arange(ch), outl)
    err = lambda q: float(np.sum((q - k)[:, normal] ** 2))  # noqa: E731
    assert err(sorted_) < 0.5 * err(plain)  # 12 normal channels share the outliers' block instead of 60
    assert np.sum((sorted_ - k) ** 2) < np.sum((plain - k) ** 2)
    # the rule: blocks of channels in descending norm order, returned in the original order
    perm = np.argsort(-np.linalg.norm(k, axis=0), kind="stable")
    assert same(sorted_[:, perm], F.quantize(k[:, perm], "bfp8", block_size=16))
    # 8-bit sign-magnitude mantissa under the block's exponent: |error| <= half a step of 2^(E-6)
    e = np.floor(np.log2(np.abs(k.reshape(-1, 16)).max(axis=1)))
    assert np.all(np.abs(plain - k).reshape(-1, 16) <= 2.0 ** (e - 7)[:, None] * (1 + 1e-12))


def test_olive_pairs() -> None:
    steps = np.array([1.0])
    x = np.array([[0.4, 30.0, 2.6, -3.5, 100.0, 13.0, 5.0, 9.5, -9.6, 1.0]])
    got = K.quantize_olive(x, steps)
    # 30 -> outlier 32, victim 0.4 -> 0; -3.5 -> -4 (tie to even); 100 saturates to 96 and prunes its partner
    # (both outliers: the first wins); 9.5 is a normal/outlier tie -> 7; -9.6 -> outlier -12 prunes 1.0
    assert same(got, [[0.0, 32.0, 3.0, -4.0, 96.0, 0.0, 5.0, 7.0, -12.0, 0.0]])
    assert same(R.quantize_olive_ref(x, steps), got)
    assert same(K.quantize_olive(got, steps), got)  # idempotent for a fixed step
    rng = np.random.default_rng(6)
    w = rng.standard_normal((16, 128))
    w[3, 17] = 40.0
    q = F.quantize(w, "olive4")  # per output channel by default
    rows = np.ascontiguousarray(w)
    st_k = K.olive_group_steps(rows, *F.SCALE_DTYPES["fp16"][:3])
    st_r = R.olive_group_steps_ref(rows, *F.SCALE_DTYPES["fp16"][:3])
    assert np.allclose(st_k, st_r, rtol=1e-3)
    assert same(q, K.quantize_olive(rows, st_k))
    assert q[3, 16] == 0.0 and abs(q[3, 17] - 40.0) < 0.2 * 40.0  # the outlier survives, its victim is pruned
    assert np.mean((q - w) ** 2) < np.mean((F.quantize(w, "int4", granularity="channel") - w) ** 2)


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, (6, 16), elements=st.floats(-100, 100)), st.integers(-20, 20))
def test_olive_and_bitmod_twins(x: np.ndarray, shift: int) -> None:
    x = x * 2.0 ** shift
    steps = K.olive_group_steps(x, *F.SCALE_DTYPES["fp16"][:3])
    assert same(K.quantize_olive(x, steps), R.quantize_olive_ref(x, steps))
    got = K.quantize_bitmod(x, *F.SCALE_DTYPES["fp16"][:3])
    ref = R.quantize_bitmod_ref(x, *F.SCALE_DTYPES["fp16"][:3])
    assert same(got[0], ref[0])


def test_bitmod_picks_the_best_type() -> None:
    g = 16
    unit = np.array([0, 1, 2, 3, 4, 6, 8, 12, -1, -2, -3, -4, -6, -8, -12, 16.0])  # has +16: fp4_ea_pos
    x = np.stack([unit, -unit, np.where(unit == 16, 10, unit), -np.where(unit == 16, 10, unit)]) * 0.01
    vals, kinds, _ = K.quantize_bitmod(x, *F.SCALE_DTYPES["fp64"][:3])
    assert [K.BITMOD_NAMES[k] for k in kinds] == ["fp4_ea_pos", "fp4_ea_neg", "fp4_er_pos", "fp4_er_neg"]
    assert np.allclose(vals, x, rtol=1e-12, atol=0)
    assert same(F.quantize(x, "bitmod4", group_size=g, scale_dtype="fp64"), vals)
    rng = np.random.default_rng(7)
    w = rng.standard_normal((8, 256))
    q = F.quantize(w, "bitmod4")
    assert same(F.quantize(q, "bitmod4"), q)
    assert np.mean((q - w) ** 2) <= np.mean((F.quantize(w, "int4", group_size=128) - w) ** 2)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([(2, 4), (1, 4), (8, 16), (4, 16), (0, 16), (16, 16)]), st.integers(1, 4), st.integers(1, 3),
       st.data())
def test_prune_nm(nm: tuple[int, int], rows: int, blocks: int, data: st.DataObject) -> None:
    n, m = nm
    x = data.draw(hnp.arrays(np.float64, (rows, m * blocks), elements=st.sampled_from([0.0, 1.0, -1.0, 2.5, -3.0, 0.5])
                             | st.floats(-10, 10)))
    y = F.prune_nm(x, n, m)
    assert same(y, R.prune_nm_rows_ref(x, n, m))
    b, yb = x.reshape(rows, blocks, m), y.reshape(rows, blocks, m)
    kept = yb != 0
    assert np.all(kept.sum(axis=-1) <= n)
    assert np.all((yb == b) | (yb == 0))
    # every kept magnitude >= every pruned one
    kmin = np.where(kept, np.abs(b), np.inf).min(axis=-1)
    pmax = np.where(~kept & (b != 0), np.abs(b), -np.inf).max(axis=-1)
    assert np.all(kmin >= pmax)
    assert same(F.prune_nm(x.T, n, m, axis=0), y.T)


# ---------------------------------------------------------------------------- names, sizes, errors
def test_names_and_describe_agree_with_config() -> None:
    for name in F.names():
        d = F.describe(name)
        assert d.name == name and d.definition and d.bits_per_element >= d.element_bits
        if name in FORMATS:
            info = FORMATS[name]
            assert d.element_bits == info.element_bits, name
            assert d.bits_per_element == pytest.approx(info.bits), name
    required = [f"int{b}" for b in range(2, 9)] + [f"uint{b}" for b in range(2, 9)] + [
        "fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "fp6_e3m2", "fp6_e2m3", "fp4_e2m1", "mxfp8_e4m3", "mxfp8_e5m2",
        "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "mxint8", "bfp8", "olive4", "bitmod4"]
    assert set(required) <= set(F.names())
    assert F.describe("int4", group_size=128).bits_per_element == pytest.approx(format_bits("int4", 128))
    assert F.describe("uint4", group_size=64).bits_per_element == pytest.approx(4 + (16 + 4) / 64)
    assert F.describe("bfp8").bits_per_element == 8.5
    assert F.describe("bitmod4", group_size=128).bits_per_element == pytest.approx(4 + 18 / 128)


def test_bad_inputs() -> None:
    x = np.ones((4, 96))
    with pytest.raises(AccelsimError, match=r"unknown number format 'mxfp5'.*did you mean.*known: .*int2"):
        F.quantize(x, "mxfp5")
    with pytest.raises(AccelsimError, match="group_size=64 does not divide the length 96"):
        F.quantize(x, "int4", group_size=64)
    with pytest.raises(AccelsimError, match="group_size must be an integer >= 1"):
        F.quantize(x, "int4", group_size=0)
    with pytest.raises(AccelsimError, match=r"unknown parameter 'groupsize' \(did you mean 'group_size'\?\)"):
        F.quantize(x, "int4", groupsize=32)
    with pytest.raises(AccelsimError, match="always saturates"):
        F.quantize(x, "fp4_e2m1", saturate=False)
    with pytest.raises(AccelsimError, match="fixes the block at 32"):
        F.quantize(x, "mxfp4", block_size=16)
    with pytest.raises(AccelsimError, match=r"granularity must be one of .*did you mean 'channel'"):
        F.quantize(x, "int8", granularity="chanel")
    with pytest.raises(AccelsimError, match="scale_dtype"):
        F.quantize(x, "int8", scale_dtype="fp8")
    with pytest.raises(AccelsimError, match="saturate must be True or False"):
        F.quantize(x, "fp16", saturate="yes")
    with pytest.raises(AccelsimError, match="NaN or infinity"):
        F.quantize(np.array([1.0, np.nan]), "int8")
    with pytest.raises(AccelsimError, match="axis 2 is out of range"):
        F.quantize(x, "mxfp4", axis=2)
    with pytest.raises(AccelsimError, match="block_size=20 does not divide"):
        F.quantize(x, "bfp8", block_size=20)
    with pytest.raises(AccelsimError, match="even group"):
        F.quantize(np.ones((2, 3)), "olive4")
    with pytest.raises(AccelsimError, match="m=16 does not divide"):
        F.prune_nm(np.ones((2, 24)), 8, 16)
    with pytest.raises(AccelsimError, match="n must be at most m"):
        F.prune_nm(x, 5, 4)
    with pytest.raises(AccelsimError, match="not an integer format"):
        F.encode_int(x, "fp16")
    with pytest.raises(AccelsimError, match="real numbers"):
        F.quantize(["a"], "fp16")
    with pytest.raises(AccelsimError, match="group_size is only meaningful"):
        F.quantize(x, "int4", granularity="tensor", group_size=32)


def test_int_values_path_equals_the_encoding_path() -> None:
    """quantize() uses a values-only integer kernel; it must give the values of encode_int's kernel."""
    from accelsim import formats as F
    from accelsim.kernels import formats as K

    rng = np.random.default_rng(5)
    x = rng.standard_normal((37, 96)) * rng.uniform(0.01, 10, (37, 1))
    for fmt, params in (("int8", {"granularity": "channel"}), ("int4", {"group_size": 32}),
                        ("uint4", {"group_size": 16}), ("int3", {"granularity": "tensor"}),
                        ("int4", {"group_size": 32, "symmetric": False, "scale_dtype": "bf16"})):
        enc = F.encode_int(x, fmt, **params)
        want = (enc.codes.reshape(37, -1, enc.group_size) - enc.zero_points[..., None]) * enc.scales[..., None]
        np.testing.assert_array_equal(F.quantize(x, fmt, **params), want.reshape(37, 96) + 0.0)
    assert hasattr(K, "quantize_int_values")
