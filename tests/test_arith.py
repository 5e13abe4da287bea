"""Arithmetic of functional units: exact integer GEMM with finite accumulators, the DSP48E2 INT8 packing,
dequantize-on-the-fly GEMM/GEMV, quantized KV-cache attention, special functions in a precision, and the
accumulator-overflow check; each Numba kernel against its numpy twin and against numpy int64/float64."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accelsim import formats as F
from accelsim.errors import AccelsimError
from accelsim.kernels import arith as A
from accelsim.kernels import reference_arith as R


def _ints(bits: int) -> st.SearchStrategy[int]:
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


# ----------------------------------------------------------------------------------- integer GEMM
@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5), st.integers(1, 40), st.integers(1, 6), st.sampled_from([4, 8, 16]),
       st.sampled_from([8, 12, 16, 20, 32, 63, 64]), st.sampled_from(["wrap", "saturate"]), st.data())
def test_int_gemm_exact_and_twin(m: int, k: int, n: int, bits: int, acc: int, mode: str, data: st.DataObject) -> None:
    a = data.draw(hnp.arrays(np.int64, (m, k), elements=_ints(bits)))
    w = data.draw(hnp.arrays(np.int64, (k, n), elements=_ints(bits)))
    got = A.int_gemm(a, w, acc, mode)
    ref, ref_events = R.int_gemm_ref(a, w.T, acc, A.OVERFLOW_MODES[mode])
    core, events = A.int_gemm_core(a, np.ascontiguousarray(w.T), acc, A.OVERFLOW_MODES[mode])
    assert np.array_equal(got, ref) and np.array_equal(core, got) and events == ref_events
    exact = a @ w
    risk = A.accumulator_overflow(k, bits, bits, acc)
    if not risk.can_overflow:  # the worst case fits: always exact, never an event
        assert np.array_equal(got, exact) and events == 0
    if mode == "wrap":  # two's complement: the final sum modulo 2^acc, whatever happened on the way
        wrapped = (exact.astype(object) + 2 ** (acc - 1)) % 2 ** acc - 2 ** (acc - 1)
        assert np.array_equal(got.astype(object), wrapped)
    assert np.array_equal(A.int_gemv(w.T, a[0], acc, mode), got[0])


def test_saturating_accumulator_clips_in_order() -> None:
    a = np.array([[100, 100, -100]])
    w = np.array([[100], [100], [100]])
    # 10000 + 10000 clips at 16383 (15-bit), then - 10000 -> 6383; wrap gives 10000 (+20000 wraps, -10000 back)
    assert A.int_gemm(a, w, 15, "saturate")[0, 0] == 6383
    assert A.int_gemm(a, w, 15, "wrap")[0, 0] == 10000
    _, events = A.int_gemm_core(a, np.ascontiguousarray(w.T), 15, 1)
    assert events == 1


# --------------------------------------------------------------------------------------- DSP48E2
INT8 = np.arange(-128, 128, dtype=np.int64)
SAMPLE = np.array([-128, -127, -65, -1, 0, 1, 2, 63, 64, 126, 127], dtype=np.int64)


def test_dsp48e2_packing_all_pairs() -> None:
    """WP486: ((w1 << 18) + w2) * a gives a*w1 and a*w2 after the low product's sign correction; every
    (a, w2) pair for sampled w1 and every (a, w1) pair for sampled w2, -128 included."""
    a, w = np.meshgrid(INT8, INT8, indexing="ij")
    for s in SAMPLE:
        hi, lo = A.dsp48e2_int8x2(a, s, w)
        assert np.array_equal(hi, a * s) and np.array_equal(lo, a * w)
        hi, lo = A.dsp48e2_int8x2(a, w, s)
        assert np.array_equal(hi, a * w) and np.array_equal(lo, a * s)
    rh, rl = R.dsp48e2_int8x2_ref(a, -128, w)
    assert np.array_equal(A.dsp48e2_int8x2(a, -128, w)[0], rh) and np.array_equal(A.dsp48e2_int8x2(a, -128, w)[1], rl)
    # without the correction the high product is off by one exactly when the low product is negative
    p = ((np.int64(5) << A.WP486_SHIFT) + w) * a
    assert np.array_equal((p >> A.WP486_SHIFT) == 5 * a, a * w >= 0)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 30), st.integers(1, 7), st.integers(1, A.WP486_MAX_CHAIN), st.data())
def test_dsp48e2_gemm_exact(m: int, k: int, n: int, chain: int, data: st.DataObject) -> None:
    a = data.draw(hnp.arrays(np.int64, (m, k), elements=_ints(8)))
    w = data.draw(hnp.arrays(np.int64, (k, n), elements=_ints(8)))
    assert np.array_equal(A.dsp48e2_gemm(a, w, chain), a @ w)


def test_dsp48e2_chain_limit() -> None:
    a = np.full((1, 16), -128)
    w = np.full((16, 2), -128)
    assert A.WP486_MAX_CHAIN == 7
    assert np.array_equal(A.dsp48e2_gemm(a, w, 7), a @ w)  # worst case, 7 products per split: exact
    w_t = np.ascontiguousarray(w.T)
    assert not np.array_equal(A.dsp48e2_gemm_core(a, w_t, 8), a @ w)  # 8 x 2^14 overflows the 18-bit field
    with pytest.raises(ValueError, match="chain must be"):
        A.dsp48e2_gemm(a, w, 8)
    with pytest.raises(ValueError, match=r"INT8 values in \[-128, 127\]"):
        A.dsp48e2_int8x2(np.array([128]), 1, 1)


# ------------------------------------------------------------------------- dequantize on the fly
@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(1, 6), st.sampled_from([(8, 64), (32, 64), (16, 48), (128, 128)]),
       st.sampled_from(["int4", "int8", "uint4", "uint8"]), st.booleans(), st.integers(0, 2 ** 31))
def test_dequant_gemm_matches_float64(m: int, n: int, gk: tuple[int, int], fmt: str, symmetric: bool,
                                      seed: int) -> None:
    g, k = gk
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((n, k)) * rng.uniform(0.01, 10)
    x = rng.standard_normal((m, k))
    enc = F.encode_int(w, fmt, group_size=g, symmetric=symmetric)
    wq = F.quantize(w, fmt, group_size=g, symmetric=symmetric)
    got = A.dequant_gemm(x, enc.codes, enc.scales, g, enc.zero_points)
    ref = x @ wq.T
    twin = R.dequant_gemm_ref(x, enc.codes.astype(np.int16), enc.scales, enc.zero_points, g)
    tol = 1e-12 * (np.abs(x) @ np.abs(wq).T + 1e-300)
    assert np.all(np.abs(got - ref) <= tol) and np.all(np.abs(twin - ref) <= tol)
    gemv = A.dequant_gemv(enc.codes, enc.scales, x[0], g, enc.zero_points)
    assert np.allclose(gemv, got[0], rtol=0, atol=tol[0].max())


def test_kv_attention_matches_twin_and_float64() -> None:
    rng = np.random.default_rng(8)
    t, d, nq = 40, 64, 3
    k = rng.standard_normal((t, d))
    v = rng.standard_normal((t, d))
    q = rng.standard_normal((nq, d))
    for kfmt, kax, vfmt, vax in (("int8", 1, "int8", 1), ("int4", 0, "uint4", 1)):
        kenc = F.encode_int(k, kfmt, group_size=8 if kax == 0 else 32, axis=-1 if kax == 1 else 0)
        venc = F.encode_int(v, vfmt, group_size=32, axis=-1)
        kc = kenc.codes if kax == 1 else kenc.codes.T  # encode_int puts the grouping axis last
        ks = kenc.scales if kax == 1 else kenc.scales.T
        kz = kenc.zero_points if kax == 1 else kenc.zero_points.T
        kwargs = dict(k_group_size=kenc.group_size, v_group_size=32, k_zero_points=kz,
                      v_zero_points=venc.zero_points, k_axis=kax, v_axis=vax)
        got = A.kv_attention(q, kc, ks, venc.codes, venc.scales, **kwargs)
        twin = R.kv_attention_ref(q, kc.astype(np.int16), ks, kz, kenc.group_size, kax, venc.codes.astype(np.int16),
                                  venc.scales, venc.zero_points, 32, vax, 1 / math.sqrt(d))
        kq = F.quantize(k, kfmt, group_size=kenc.group_size, axis=-1 if kax == 1 else 0)
        vq = F.quantize(v, vfmt, group_size=32)
        s = q @ kq.T / math.sqrt(d)
        p = np.exp(s - s.max(axis=1, keepdims=True))
        ref = (p / p.sum(axis=1, keepdims=True)) @ vq
        assert np.allclose(got, twin, rtol=0, atol=1e-12) and np.allclose(got, ref, rtol=0, atol=1e-12)
        assert np.allclose(A.kv_attention(q[0], kc, ks, venc.codes, venc.scales, **kwargs), got[0], atol=1e-15)
    # INT8 KV stays close to the float64 attention
    s = q @ k.T / math.sqrt(d)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    exact = (p / p.sum(axis=1, keepdims=True)) @ v
    assert np.abs(got - exact).max() < 0.2


# ----------------------------------------------------------------------------- special functions
@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 70), st.sampled_from(list(A.PRECISIONS)),
       st.sampled_from([None, "fp32", "fp64"]), st.floats(0.01, 300), st.integers(0, 2 ** 31))
def test_special_functions_twins(rows: int, cols: int, prec: str, accp: str | None, spread: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, cols)) * spread
    w = rng.uniform(0.5, 2, cols)
    b = rng.standard_normal(cols)
    p = A.PRECISIONS[prec]
    ap = p if accp is None else A.PRECISIONS[accp]
    sm = A.softmax(x, prec, accp)
    rn = A.rmsnorm(x, w, 1e-6, prec, accp)
    ln = A.layernorm(x, w, b, 1e-5, prec, accp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        refs = (R.softmax_ref(x, p, ap), R.rmsnorm_ref(x, w, 1e-6, p, ap), R.layernorm_ref(x, w, b, 1e-5, p, ap))
    for got, ref in zip((sm, rn, ln), refs):
        assert np.array_equal(got, ref, equal_nan=True)
    if prec == "fp16":  # every value a float16
        assert np.array_equal(sm, sm.astype(np.float16).astype(np.float64))


def test_special_functions_accuracy() -> None:
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 4096)) * 3
    w = rng.uniform(0.5, 2, 4096)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    sm64 = e / e.sum(axis=1, keepdims=True)
    assert np.allclose(A.softmax(x, "fp64"), sm64, rtol=1e-13, atol=0)
    assert np.allclose(A.softmax(x, "fp16", "fp32"), sm64, rtol=2e-2, atol=1e-6)
    rms64 = x / np.sqrt((x * x).mean(axis=1, keepdims=True) + 1e-6) * w
    assert np.allclose(A.rmsnorm(x, w, 1e-6, "fp64"), rms64, rtol=1e-13)
    assert np.allclose(A.rmsnorm(x, w, 1e-6, "fp16", "fp32"), rms64, rtol=3e-3, atol=1e-3)
    # a pure FP16 unit overflows the sum of squares of 4096 values of size 3 (36864 > 65504 after ~7300)
    assert np.all(A.rmsnorm(x * 4, w, 1e-6, "fp16") == 0)
    ln64 = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    assert np.allclose(A.layernorm(x, np.ones(4096), np.zeros(4096), 1e-5, "fp64"), ln64, rtol=1e-12, atol=1e-12)
    assert np.allclose(A.layernorm(x, np.ones(4096), np.zeros(4096), 1e-5, "bf16", "fp32"), ln64, rtol=2e-2, atol=2e-2)


# ---------------------------------------------------------------------------------- overflow check
def test_accumulator_overflow_worst_case_brute_force() -> None:
    for k, ab, wb in itertools.product((1, 2, 3), (2, 3), (2, 3)):
        vals_a = range(-(2 ** (ab - 1)), 2 ** (ab - 1))
        vals_w = range(-(2 ** (wb - 1)), 2 ** (wb - 1))
        prods = [x * y for x in vals_a for y in vals_w]
        smin, smax = k * min(prods), k * max(prods)
        need = next(b for b in range(1, 20) if -(2 ** (b - 1)) <= smin and smax < 2 ** (b - 1))
        for acc in range(2, 10):
            r = A.accumulator_overflow(k, ab, wb, acc)
            assert r.bits_needed == need and r.can_overflow == (acc < need)
    assert not A.accumulator_overflow(1, 8, 8, 16).can_overflow  # (-128)(-128) = 2^14 fits 16 bits
    assert A.accumulator_overflow(2, 8, 8, 16).can_overflow  # 2^15 does not
    assert A.accumulator_overflow(4096, 8, 4, 32).bits_needed == 24  # INT8 x INT4 over K = 4096: 4096 x 2^10 = 2^22
    assert A.accumulator_overflow(4, 8, 8, 16, a_signed=False, w_signed=False).bits_needed == 19


def test_accumulator_overflow_probability_and_actions() -> None:
    r = A.accumulator_overflow(64, 8, 8, 17)
    mc = R.accumulator_overflow_monte_carlo(64, 8, 8, 17, 40000)
    assert r.can_overflow and abs(r.probability - mc) < 0.01
    assert A.accumulator_overflow(64, 8, 8, 22).probability == 0.0
    tiny = A.accumulator_overflow(64, 8, 8, 21)
    assert tiny.can_overflow and tiny.probability < 1e-6
    with pytest.warns(RuntimeWarning, match="needs a 22-bit accumulator"):
        F.accumulator_overflow(64, 8, 8, 20, action="warn")
    with pytest.raises(AccelsimError, match="needs a 22-bit accumulator"):
        F.accumulator_overflow(64, 8, 8, 20, action="error")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert F.accumulator_overflow(64, 8, 8, 32, action="error") == A.accumulator_overflow(64, 8, 8, 32)
    with pytest.raises(AccelsimError, match="action must be"):
        F.accumulator_overflow(64, 8, 8, 32, action="raise")
    with pytest.raises(AccelsimError, match="k must be a positive integer"):
        F.accumulator_overflow(0, 8, 8, 32)


def test_arith_bad_inputs() -> None:
    with pytest.raises(ValueError, match="do not share the reduction length"):
        A.int_gemm(np.ones((2, 3), int), np.ones((4, 2), int))
    with pytest.raises(ValueError, match="must hold integers"):
        A.int_gemm(np.full((2, 3), 0.5), np.ones((3, 2), int))
    with pytest.raises(ValueError, match="overflow must be one of"):
        A.int_gemm(np.ones((2, 3), int), np.ones((3, 2), int), overflow="clip")
    with pytest.raises(ValueError, match="acc_bits must be"):
        A.int_gemm(np.ones((2, 3), int), np.ones((3, 2), int), acc_bits=70)
    with pytest.raises(ValueError, match="group_size=5 does not divide"):
        A.dequant_gemm(np.ones((1, 8)), np.ones((2, 8), np.int8), np.ones((2, 1)), 5)
    with pytest.raises(ValueError, match="scales must have shape"):
        A.dequant_gemm(np.ones((1, 8)), np.ones((2, 8), np.int8), np.ones((2, 3)), 4)
    with pytest.raises(ValueError, match="precision must be one of"):
        A.softmax(np.ones((2, 3)), "fp8")
    with pytest.raises(ValueError, match="k_axis must be"):
        A.kv_attention(np.ones(4), np.ones((2, 4), np.int8), np.ones((2, 1)), np.ones((2, 4), np.int8),
                       np.ones((2, 1)), k_group_size=4, v_group_size=4, k_axis=2)
