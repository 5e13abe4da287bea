"""Tensor-engine styles: the same workload on a DSP-chain engine, a systolic array (three dataflows), a
multiplier-adder tree, a 2-D outer-product matrix and a 3-D cube of equal MAC count per SLR."""

from __future__ import annotations

import pytest

from accelsim.config import load_hardware
from accelsim.errors import ConfigError
from accelsim.simulate import simulate
from accelsim.workload import Scenario

E = "compute.matrix_engine"
# 4096 MACs per SLR each, as the FlightLLM MM mode (N=2, K=16, M=128)
STYLES = {
    "dsp_chain": {},
    "systolic_os": {f"{E}.style": "systolic", f"{E}.array": {"rows": 64, "cols": 64, "dataflow": "os"}},
    "systolic_ws": {f"{E}.style": "systolic", f"{E}.array": {"rows": 64, "cols": 64, "dataflow": "ws"}},
    "systolic_is": {f"{E}.style": "systolic", f"{E}.array": {"rows": 64, "cols": 64, "dataflow": "is"}},
    "adder_tree": {f"{E}.style": "adder_tree", f"{E}.array": {"rows": 4, "depth": 1024}},
    "matrix_2d": {f"{E}.style": "matrix_2d", f"{E}.array": {"rows": 64, "cols": 64}},
    "cube_3d": {f"{E}.style": "cube_3d", f"{E}.array": {"rows": 16, "cols": 16, "depth": 16}},
}


@pytest.fixture(scope="module")
def runs():  # type: ignore[no-untyped-def]
    sc = Scenario(1, 128, 4)
    out = {}
    for name, ov in STYLES.items():
        out[name] = (simulate("vhk158-flightllm", "llama2-7b", sc, hw_overrides=ov),
                     simulate("vhk158-flightllm", "llama2-7b", sc, hw_overrides=ov, fidelity="roofline"))
    return out


def test_every_style_runs_and_stays_above_its_roofline(runs) -> None:  # type: ignore[no-untyped-def]
    for name, (cyc, roof) in runs.items():
        # the same work everywhere (prefill attention counts MACs per key tile, whose width follows the array)
        assert cyc.macs == pytest.approx(runs["dsp_chain"][0].macs, rel=0.005), name
        assert roof.prefill_s <= cyc.prefill_s and roof.tpot_s <= cyc.tpot_s, name


def test_styles_differ_where_their_mechanisms_say(runs) -> None:  # type: ignore[no-untyped-def]
    pre = {k: v[0].prefill_s for k, v in runs.items()}
    dec = {k: v[0].tpot_s for k, v in runs.items()}
    # prefill (128-row tiles, K = 4096): the outer product and the cube keep every MAC busy; the output-
    # stationary array pays its fill/drain per fold; weight stationary reloads a 64 x 64 weight fold for
    # only 128 rows of inputs (2R + C + T - 2 = 318 cycles for 128 of work)
    assert pre["matrix_2d"] < pre["systolic_os"] < pre["systolic_ws"]
    assert pre["systolic_ws"] > 2 * pre["matrix_2d"]
    # decode is matrix-vector: one input row uses 1/64 of a 64 x 64 array or 1/16 of a 16-row cube, while
    # adder trees reduce one long dot product at full rate (and beat the DSP chain, whose MV mode has a
    # quarter of its MM mode's MACs)
    assert dec["adder_tree"] < dec["dsp_chain"] < dec["cube_3d"] < dec["systolic_os"]
    assert dec["systolic_os"] > 10 * dec["adder_tree"]


def test_an_array_style_needs_its_array() -> None:
    with pytest.raises(ConfigError) as e:
        load_hardware("vhk158-flightllm", {f"{E}.style": "systolic"})
    assert e.value.key_path == f"{E}.style" and "array" in e.value.hint
    with pytest.raises(ConfigError) as e:
        load_hardware("vhk158-flightllm", {f"{E}.style": "systolic", f"{E}.array": {"rows": 0, "cols": 64}})
    assert e.value.key_path == f"{E}.array.rows"
    with pytest.raises(ConfigError) as e:
        load_hardware("vhk158-flightllm", {f"{E}.style": "matrix_2d", f"{E}.array": {"rows": 8, "cols": 8, "depth": 4}})
    assert "cube_3d" in e.value.hint


def test_an_array_too_large_for_the_part_fails() -> None:
    with pytest.raises(ConfigError) as e:
        load_hardware("u280-flightllm", {f"{E}.style": "systolic", f"{E}.array": {"rows": 128, "cols": 128}})
    assert "DSP" in str(e.value) and e.value.key_path == E
