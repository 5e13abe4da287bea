"""Slow tier (run with `python -m pytest -m slow`): long runs at full fidelity without reuse."""

from __future__ import annotations

import pytest

from accelsim.simulate import simulate
from accelsim.workload import Scenario

pytestmark = pytest.mark.slow


def test_exact_equals_reuse_on_llama2_7b() -> None:
    sc = Scenario(1, 128, 48)
    a = simulate("vhk158-flightllm", "llama2-7b", sc)
    b = simulate("vhk158-flightllm", "llama2-7b", sc, fidelity="exact")
    assert a.decode_step_s == b.decode_step_s and a.prefill_s == b.prefill_s and a.bytes == b.bytes


def test_long_prefill_and_context() -> None:
    r = simulate("vhk158-flightllm", "llama2-7b", Scenario(1, 1024, 1024))
    assert r.decode_step_s[-1] > r.decode_step_s[0]
    short = simulate("vhk158-flightllm", "llama2-7b", Scenario(1, 128, 1))
    # prefill is compute bound: 8x the tokens take about 8x as long (plus a little more attention)
    assert 7.5 < r.prefill_s / short.prefill_s < 9.0
