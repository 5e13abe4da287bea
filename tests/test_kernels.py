"""The Numba kernels equal their plain-numpy twins on random inputs (compiled path, not NUMBA_DISABLE_JIT)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.kernels.compute import compute_durations_ps
from accelsim.kernels.memory import channel_access
from accelsim.kernels.reference import channel_access_ref, compute_durations_ps_ref

_i = st.integers


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_i(0, 5), _i(1, 600), _i(1, 20000), _i(1, 20000), _i(1, 1_000_000), _i(0, 4)),
                min_size=1, max_size=40),
       st.floats(100.0, 20000.0), st.floats(0.1, 1.0), _i(1, 8), _i(1, 8192), _i(1, 256), _i(1, 64),
       _i(1, 4096), _i(1, 1024), _i(1, 64), _i(1, 128),
       st.tuples(_i(0, 4), _i(1, 256), _i(1, 256), _i(1, 64), _i(0, 2)))
def test_compute_kernel_matches_reference(rows, period, eff, n_slr, mm_rate, tm, tn, mv_rate, tv, rb, lanes,
                                          engine) -> None:  # type: ignore[no-untyped-def]
    a = np.array(rows, dtype=np.int64)
    params = np.array([period, eff, n_slr, mm_rate, tm, tn, mv_rate, tv, rb, lanes, *engine], dtype=np.float64)
    args = (a[:, 0].copy(), a[:, 1].copy(), a[:, 2].copy(), a[:, 3].copy(), a[:, 4].copy(), a[:, 5].copy(), params)
    got = compute_durations_ps(*args)
    ref = compute_durations_ps_ref(*args)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, ref)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_i(0, 3_000_000), _i(0, 7), _i(1, 4), _i(1, 2), _i(0, 10_000_000), _i(0, 1)),
                min_size=1, max_size=30),
       st.floats(0.001, 5.0), _i(0, 200_000))
def test_memory_kernel_matches_reference(accesses, ps_per_byte, latency) -> None:
    n_ch = 16
    state_a = [np.zeros(n_ch, np.int64) for _ in range(4)]
    state_b = [np.zeros(n_ch, np.int64) for _ in range(4)]
    now = 0
    for dt, lo, n, stride, nbytes, w in accesses:
        now += dt
        got = channel_access(*state_a, np.int64(now), np.int64(lo), np.int64(n), np.int64(stride), np.int64(nbytes),
                             np.int64(w), ps_per_byte, np.int64(latency))
        ref = channel_access_ref(*state_b, now, lo, n, stride, nbytes, w, ps_per_byte, latency)
        assert tuple(int(x) for x in got) == ref
        for x, y in zip(state_a, state_b):
            np.testing.assert_array_equal(x, y)


def test_compute_kernel_known_values() -> None:
    # FlightLLM MV instruction: 512 outputs x K=4096 on 4 SLRs of 64x16 lanes at 225 MHz, 80 % lockstep efficiency
    params = np.array([1e12 / 225e6, 0.8, 4, 4096, 128, 16, 1024, 512, 16, 16, 0, 1, 1, 1, 0], dtype=np.float64)
    one = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731
    mv = compute_durations_ps(one(3), one(1), one(512), one(4096), one(1_000_000), one(0), params)
    assert mv[0] == round(512 * 4096 / 4096 * (1e12 / 225e6) / 0.8)
    # a 100-output MV still costs a whole 512-output tile
    mv_small = compute_durations_ps(one(3), one(1), one(100), one(4096), one(1_000_000), one(0), params)
    assert mv_small[0] == mv[0]
    # sparsity scales the work
    mv_sparse = compute_durations_ps(one(3), one(1), one(512), one(4096), one(700_000), one(0), params)
    assert mv_sparse[0] == round(math.ceil(512 * 4096 * 0.7 / 4096) * (1e12 / 225e6) / 0.8)  # whole cycles


def test_tensor_engine_styles_known_values() -> None:
    """One 128 x 128 x 4096 instruction (M x N x K) on one SLR, each style with 16384 MACs."""
    one = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731

    def cycles(style: int, r: int, c: int, d: int, flow: int = 0, m: int = 128, n: int = 128, k: int = 4096) -> int:
        params = np.array([1.0, 1.0, 1, 1, 1, 1, 1, 1, 1, 1, style, r, c, d, flow], dtype=np.float64)
        return int(compute_durations_ps(one(2), one(m), one(n), one(k), one(10**6), one(0), params)[0])

    assert cycles(1, 128, 128, 1, 0) == 4096 + 128 + 128 - 2            # systolic OS: one fold
    assert cycles(1, 128, 128, 1, 1) == 32 * (2 * 128 + 128 + 128 - 2)  # WS: 4096/128 row folds, T = M = 128
    assert cycles(2, 16, 1, 1024) == (128 * 128 // 16) * 4 + 10         # 16 trees of 1024: log2 1024 stages
    assert cycles(3, 128, 128, 1) == 4096 + 1                           # outer product: one rank-1 update/cycle
    assert cycles(4, 16, 16, 64) == 8 * 8 * 64 + 6                      # 16x16x64 cube
    # a skinny (decode) instruction wastes most of a 128x128 systolic array, not an adder tree
    assert cycles(1, 128, 128, 1, 0, m=1) == cycles(1, 128, 128, 1, 0)
    assert cycles(2, 16, 1, 1024, m=1) == 8 * 4 + 10  # 1/128 of the work, plus the same 10 tree stages
