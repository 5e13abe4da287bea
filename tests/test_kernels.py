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
       _i(1, 4096), _i(1, 1024), _i(1, 64), _i(1, 128))
def test_compute_kernel_matches_reference(rows, period, eff, n_slr, mm_rate, tm, tn, mv_rate, tv, rb, lanes) -> None:
    a = np.array(rows, dtype=np.int64)
    params = np.array([period, eff, n_slr, mm_rate, tm, tn, mv_rate, tv, rb, lanes], dtype=np.float64)
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
    params = np.array([1e12 / 225e6, 0.8, 4, 4096, 128, 16, 1024, 512, 16, 16], dtype=np.float64)
    one = lambda *v: np.array(v, dtype=np.int64)  # noqa: E731
    mv = compute_durations_ps(one(3), one(1), one(512), one(4096), one(1_000_000), one(0), params)
    assert mv[0] == round(512 * 4096 / 4096 * (1e12 / 225e6) / 0.8)
    # a 100-output MV still costs a whole 512-output tile
    mv_small = compute_durations_ps(one(3), one(1), one(100), one(4096), one(1_000_000), one(0), params)
    assert mv_small[0] == mv[0]
    # sparsity scales the work
    mv_sparse = compute_durations_ps(one(3), one(1), one(512), one(4096), one(700_000), one(0), params)
    assert mv_sparse[0] == round(math.ceil(512 * 4096 * 0.7 / 4096) * (1e12 / 225e6) / 0.8)  # whole cycles
