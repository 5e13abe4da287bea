"""Engine unit tests: exact timelines of hand-written traces (like SimPy's own tests), contention, reuse."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.compiler.fpga import UNITS
from accelsim.compiler.isa import LOAD, MM, MV, PATH_CROSS, SFU, STORE, TRACE_DTYPE, Block, Program
from accelsim.config import load_hardware
from accelsim.engine import Engine

NS = 1000  # ps

# a toy device: 1 GHz (1 ns cycles), one SLR at 100 % efficiency, 1 MAC per cycle, 2 memory channels of
# 1 GB/s each (1 ns per byte) with 100 ns latency, 1-cycle barrier
TOY = {
    "clocks.main": "1 GHz", "slrs.count": 1, "slrs.parallel_efficiency": 1.0,
    "compute.matrix_engine.mm_parallelism": {"n": 1, "k": 1, "m": 1},
    "compute.matrix_engine.mv_parallelism": {"n": 1, "k": 1, "m": 1},
    "compute.matrix_engine.mm_tile_rows": 4, "compute.matrix_engine.mm_tile_cols": 4,
    "compute.matrix_engine.mv_tile_outputs": 1, "compute.matrix_engine.reduction_block": 1,
    "compute.sfu.lanes": 16,
    "memories.hbm.channels": 2, "memories.hbm.bandwidth": "2 GB/s", "memories.hbm.efficiency": 1.0,
    "memories.hbm.cross_channel_efficiency": 0.5, "memories.hbm.latency": "100 ns", "memories.hbm.model": "bandwidth",
    "mapping.a_buffer_channels": 2, "mapping.b_buffer_channels": 1, "mapping.barrier_cycles": 1,
}


@pytest.fixture(scope="module")
def toy():  # type: ignore[no-untyped-def]
    return load_hardware("vhk158-flightllm", TOY)


_UNIT = {LOAD: 0, STORE: 1, MM: 2, MV: 3, SFU: 4}


def ins(opcode: int, deps=(), **kw) -> dict:  # type: ignore[no-untyped-def]
    d = {"opcode": opcode, "unit": _UNIT[opcode], "density_ppm": 1_000_000, "chan_n": 1, "chan_stride": 1,
         "dep0": -1, "dep1": -1, "dep2": -1}
    for i, x in enumerate(deps):
        d[f"dep{i}"] = x
    d.update(kw)
    return d


def program(*instrs: dict, repeat: int = 1) -> Program:
    tr = np.zeros(len(instrs), dtype=TRACE_DTYPE)
    for i, d in enumerate(instrs):
        for k, v in d.items():
            tr[i][k] = v
    blk = Block.make(tr, ("test",), ("linear",))
    return Program(UNITS, (blk,), np.array([[0, 0]] * repeat, dtype=np.int64))


def run(hw, prog: Program, fidelity: str = "cycle"):  # type: ignore[no-untyped-def]
    eng = Engine(hw, UNITS, fidelity=fidelity, timeline=True)
    return eng.run([("p", prog)])


def test_single_compute_instruction(toy) -> None:  # type: ignore[no-untyped-def]
    st = run(toy, program(ins(MV, rows=1, cols=5, red=1)))
    assert st.phases[0].duration_ps == 5 * NS + 1 * NS  # 5 MAC cycles + barrier
    assert st.totals()["unit_busy_ps"][UNITS.index("mv")] == 5 * NS


def test_load_then_dependent_compute(toy) -> None:  # type: ignore[no-untyped-def]
    st = run(toy, program(ins(LOAD, bytes=1000), ins(MV, deps=(0,), rows=1, cols=5, red=1)))
    # 1000 B at 1 ns/B on one channel, data 100 ns later, then 5 cycles, then the barrier
    assert st.phases[0].duration_ps == 1000 * NS + 100 * NS + 5 * NS + NS
    assert st.totals()["mem.bytes_read"].tolist() == [1000, 0]


def test_channel_contention_between_load_and_store(toy) -> None:  # type: ignore[no-untyped-def]
    same = run(toy, program(ins(LOAD, bytes=1000), ins(STORE, bytes=1000)))
    assert same.phases[0].duration_ps == 2000 * NS + 100 * NS + NS  # the store waits for the channel
    apart = run(toy, program(ins(LOAD, bytes=1000), ins(STORE, bytes=1000, chan_lo=1)))
    assert apart.phases[0].duration_ps == 1000 * NS + 100 * NS + NS
    assert apart.totals()["mem.bytes_written"].tolist() == [0, 1000]


def test_spread_over_channels_and_cross_path(toy) -> None:  # type: ignore[no-untyped-def]
    spread = run(toy, program(ins(LOAD, bytes=1000, chan_n=2)))
    assert spread.phases[0].duration_ps == 500 * NS + 100 * NS + NS
    cross = run(toy, program(ins(LOAD, bytes=1000, path=PATH_CROSS)))
    assert cross.phases[0].duration_ps == 2000 * NS + 100 * NS + NS  # cross-switch efficiency 0.5


def test_in_order_units_and_late_producers(toy) -> None:  # type: ignore[no-untyped-def]
    st = run(toy, program(
        ins(LOAD, bytes=1000),                       # 0: occupies the load unit until 1000 ns
        ins(LOAD, bytes=100, chan_lo=1),             # 1: issues at 1000 ns, data at 1200 ns
        ins(MV, deps=(1,), rows=1, cols=7, red=1),   # 2: waits for a producer that has not issued yet
        ins(MV, rows=1, cols=3, red=1),              # 3: no dependency, but in order after 2
    ))
    spans = {u: (s, e) for _, _, u, s, e, _ in [(a, b, c, d, d + e, f) for a, b, c, d, e, f in st.timeline]}
    assert spans["mv"] == (1200 * NS, 1210 * NS)
    assert st.phases[0].duration_ps == 1210 * NS + NS


def test_padding_of_tiles_and_sfu_passes(toy) -> None:  # type: ignore[no-untyped-def]
    mm = run(toy, program(ins(MM, rows=3, cols=5, red=3)))
    assert mm.phases[0].duration_ps == 4 * 8 * 3 * NS + NS  # output padded to 4x8 tiles
    sfu = run(toy, program(ins(SFU, rows=2, cols=33, passes=2)))
    assert sfu.phases[0].duration_ps == 2 * 3 * 2 * NS + NS  # ceil(33/16) cycles per pass per row


def test_reuse_replays_the_recorded_outcome(toy) -> None:  # type: ignore[no-untyped-def]
    prog = program(ins(LOAD, bytes=1000), ins(MV, deps=(0,), rows=1, cols=5, red=1), repeat=3)
    reused = run(toy, prog, "cycle")
    exact = run(toy, prog, "exact")
    assert reused.blocks_simulated == 1 and reused.blocks_reused == 2
    assert exact.blocks_simulated == 3 and exact.blocks_reused == 0
    assert reused.phases[0].duration_ps == exact.phases[0].duration_ps == 3 * (1105 * NS + NS)
    for k in ("unit_busy_ps", "mem.bytes_read", "unit_instructions"):
        np.testing.assert_array_equal(reused.totals()[k], exact.totals()[k])
    assert [t[3] for t in reused.timeline] == [t[3] for t in exact.timeline]


def test_a_repeated_program_is_replayed_as_a_whole(toy) -> None:  # type: ignore[no-untyped-def]
    """A program (a decode step of one length bucket) that starts again from a memory state it started from
    before is replayed whole: its time, outcome counts, end state and timeline; with the bandwidth memory
    (exact state) that equals simulating it block by block."""
    tr = np.zeros(2, dtype=TRACE_DTYPE)
    for i, d in enumerate((ins(LOAD, bytes=600, chan_n=2), ins(MV, deps=(0,), rows=1, cols=7, red=1))):
        for k, v in d.items():
            tr[i][k] = v
    other = Block.make(tr, ("other",), ("linear",))
    step = Program(UNITS, (program(ins(LOAD, bytes=1000), ins(MV, deps=(0,), rows=1, cols=5, red=1)).blocks[0], other),
                   np.array([[0, 0], [1, 0], [0, 1]], dtype=np.int64))
    phases = [(f"decode.{i}", step) for i in range(1, 5)]

    def go(fidelity: str):  # type: ignore[no-untyped-def]
        return Engine(toy, UNITS, fidelity=fidelity, timeline=True).run(phases)

    a, b = go("cycle"), go("exact")
    assert a.steps_reused == 3 and b.steps_reused == 0
    assert a.blocks_simulated == 2 and a.blocks_reused == 10 and b.blocks_simulated == 12
    assert [p.duration_ps for p in a.phases] == [p.duration_ps for p in b.phases]
    for k in ("unit_busy_ps", "mem.bytes_read", "unit_instructions", "unit_macs", "duration_ps"):
        np.testing.assert_array_equal(a.totals("decode.3")[k], b.totals("decode.3")[k])
        np.testing.assert_array_equal(a.totals()[k], b.totals()[k])
    assert a.timeline == b.timeline
    # a different program in between: each replays its own record
    alt = Program(UNITS, (other,), np.array([[0, 0]], dtype=np.int64))
    c = Engine(toy, UNITS, fidelity="cycle").run([("decode.1", step), ("decode.2", alt), ("decode.3", step),
                                                  ("decode.4", alt)])
    d = Engine(toy, UNITS, fidelity="exact").run([("decode.1", step), ("decode.2", alt), ("decode.3", step),
                                                  ("decode.4", alt)])
    assert c.steps_reused == 2 and [p.duration_ps for p in c.phases] == [p.duration_ps for p in d.phases]


def test_a_repeated_layer_is_replayed_as_a_whole(toy) -> None:  # type: ignore[no-untyped-def]
    """The blocks of one layer (consecutive entries of one layer index) that start again from a memory state
    they started from before are replayed together; with the bandwidth memory that equals block by block."""
    first = program(ins(LOAD, bytes=1000), ins(MV, deps=(0,), rows=1, cols=5, red=1)).blocks[0]
    second = program(ins(LOAD, bytes=300, chan_n=2), ins(STORE, bytes=200, chan_lo=1),
                     ins(MV, deps=(0,), rows=1, cols=9, red=1)).blocks[0]
    seq = np.array([[b, layer] for layer in range(4) for b in (0, 1)], dtype=np.int64)
    prog = Program(UNITS, (first, second), seq, (0, 0, 0, 0), (4096, 0, 0, 0))

    def go(fidelity: str):  # type: ignore[no-untyped-def]
        return Engine(toy, UNITS, fidelity=fidelity, timeline=True).run([("prefill", prog)])

    a, b = go("cycle"), go("exact")
    assert a.layers_reused == 3 and b.layers_reused == 0
    assert a.blocks_simulated == 2 and a.blocks_reused == 6 and b.blocks_simulated == 8
    assert a.phases[0].duration_ps == b.phases[0].duration_ps
    for k in ("unit_busy_ps", "mem.bytes_read", "mem.bytes_written", "unit_instructions", "duration_ps"):
        np.testing.assert_array_equal(a.totals()[k], b.totals()[k])
    assert a.timeline == b.timeline


def test_engine_runs_are_deterministic(toy) -> None:  # type: ignore[no-untyped-def]
    prog = program(ins(LOAD, bytes=777, chan_n=2), ins(STORE, bytes=333), ins(MV, deps=(0,), rows=2, cols=3, red=5),
                   ins(SFU, deps=(2,), rows=1, cols=17, passes=1))
    a, b = run(toy, prog), run(toy, prog)
    assert a.phases[0].duration_ps == b.phases[0].duration_ps
    np.testing.assert_array_equal(a.totals()["unit_busy_ps"], b.totals()["unit_busy_ps"])
