"""Slow tier (run with `python -m pytest -m slow`): long runs at full fidelity without reuse."""

from __future__ import annotations

import pytest

from accelsim.simulate import simulate
from accelsim.workload import Scenario

pytestmark = pytest.mark.slow


def test_exact_equals_reuse_on_llama2_7b() -> None:
    """With the bandwidth memory model replay is exact; with the cycle-level DRAM model (the default) a
    replayed block may sit at another refresh phase, bounded by engine.core.REFRESH_PHASE_TOLERANCE."""
    sc = Scenario(1, 128, 48)
    bw = {"memories.hbm.model": "bandwidth"}
    a = simulate("vhk158-flightllm", "llama2-7b", sc, hw_overrides=bw)
    b = simulate("vhk158-flightllm", "llama2-7b", sc, fidelity="exact", hw_overrides=bw)
    assert a.decode_step_s == b.decode_step_s and a.prefill_s == b.prefill_s and a.bytes == b.bytes
    sc = Scenario(1, 128, 16)  # exact DRAM simulation of a 7B step takes ~5 s
    c = simulate("vhk158-flightllm", "llama2-7b", sc)
    d = simulate("vhk158-flightllm", "llama2-7b", sc, fidelity="exact")
    assert c.bytes == d.bytes and c.instructions == d.instructions
    assert abs(c.prefill_s / d.prefill_s - 1) <= 0.01 and abs(c.decode_s / d.decode_s - 1) <= 0.01
    assert all(abs(x / y - 1) <= 0.02 for x, y in zip(c.decode_step_s, d.decode_step_s))


def test_long_prefill_and_context() -> None:
    r = simulate("vhk158-flightllm", "llama2-7b", Scenario(1, 1024, 1024))
    assert r.decode_step_s[-1] > r.decode_step_s[0]
    short = simulate("vhk158-flightllm", "llama2-7b", Scenario(1, 128, 1))
    # prefill is compute bound: 8x the tokens take about 8x as long (plus a little more attention)
    assert 7.5 < r.prefill_s / short.prefill_s < 9.0
