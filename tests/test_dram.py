"""The cycle-level DRAM model: kernel vs its plain-Python twin, skipping vs ticking, engine integration
(instruction streams equal request-by-request replay, channel classes exact, reuse bounded), policies,
presets, energy, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import simpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accelsim.config import load_hardware
from accelsim.config.dram import dram_presets, load_dram_preset, read_dramsim3_ini
from accelsim.config.schema import Source
from accelsim.engine.dram import DramDevice, DramMemory, kernel_params, parse_trace, replay_trace
from accelsim.errors import AccelsimError, ConfigError
from accelsim.kernels import dram as K
from accelsim.kernels import reference_dram as R
from accelsim.validate.dram_traces import make_trace, write_trace

from conftest import ROOT, run_cli

DATA = ROOT / "accelsim" / "validate" / "data"
HBM2_INI = str(DATA / "HBM2_4Gb_x128.ini")
DDR4_INI = str(DATA / "DDR4_8Gb_x8_3200.ini")


def _ini(path: str):  # type: ignore[no-untyped-def]
    return read_dramsim3_ini(path)[0]


def _with(cfg, **changes):  # type: ignore[no-untyped-def]
    """A copy of a DramConfig with fields of its sections replaced: section__field=value."""
    from dataclasses import replace

    secs: dict[str, dict] = {}
    for k, v in changes.items():
        sec, field = k.split("__")
        secs.setdefault(sec, {})[field] = v
    return replace(cfg, **{sec: replace(getattr(cfg, sec), **f) for sec, f in secs.items()})


# ---------------------------------------------------------------------------------------------- twin
def _twin_run(cfg, addrs, writes, cycles, unlimited: bool):  # type: ignore[no-untyped-def]
    d = cfg.derive()
    pk, T = kernel_params(d)
    p = np.zeros(R.N_P, np.int64)
    for name, i in R.P.items():
        if name == "write_buf":
            p[i] = pk[K.P["drain_thr"]]
        elif name in ("pr_cap", "pw_cap"):
            # the twin keeps merged reads as separate entries (DRAMsim3's multimap), and merged reads take no
            # queue slot: with unlimited issue every request of the trace may be pending at once
            p[i] = max(2 * int(pk[K.P["tq"]]) + int(pk[K.P["nq"]]) * int(pk[K.P["cq"]]), len(addrs))
        else:
            p[i] = pk[K.P[name]]
    state = R.new_state(p)
    cyc = R.run_trace(p, T, *state, addrs, writes, cycles, 1 if unlimited else 0, 1 << 40)
    stats, rk = state[1], state[2]
    return cyc, {name: stats[:, i].copy() for name, i in R.STAT.items()}, rk.sum(axis=0)


def _kernel_run(cfg, addrs, writes, cycles, unlimited: bool, skip: bool = True):  # type: ignore[no-untyped-def]
    dev = DramDevice(cfg, skip=skip)
    cyc = K.run_trace(dev.p, dev.T, dev.state, addrs, writes, cycles, np.int64(1 if unlimited else 0), np.int64(1 << 40))
    s = dev.stats()
    ork = int(dev.p[K.O_RK])
    rk = dev.state[:, ork:ork + 2 * dev.d.ranks].reshape(-1, dev.d.ranks, 2).sum(axis=0)
    return int(cyc), {name: s[name] for name in K.STAT}, rk


# small configurations that exercise different mechanisms: HBM2 (dual command, per-bank queues: the kernel's
# fast path), DDR4 (bank groups, two ranks), per-rank queues (the general scan), closed page + FCFS, per-bank
# refresh with a short interval, refresh closing banks with one PREA, a unified queue
_TWIN_CONFIGS = {
    "hbm2": lambda: _ini(HBM2_INI),
    "ddr4": lambda: _ini(DDR4_INI),
    "ddr4-per-rank": lambda: _with(_ini(DDR4_INI), system__queue_structure="PER_RANK"),
    "ddr4-closed-fcfs": lambda: _with(_ini(DDR4_INI), system__row_buf_policy="CLOSE_PAGE", system__scheduler="FCFS"),
    "hbm2-refresh-per-bank": lambda: _with(_ini(HBM2_INI), system__refresh_policy="BANK_LEVEL_STAGGERED",
                                           timing__tREFI=600, timing__tREFIb=40),
    "hbm2-refresh-prea": lambda: _with(_ini(HBM2_INI), system__refresh_precharge="ALL", timing__tREFI=300),
    "ddr4-unified": lambda: _with(_ini(DDR4_INI), system__unified_queue=True, system__trans_queue_size=8),
}


@st.composite
def _traces(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(20, 160))
    lines = draw(st.sampled_from([16, 256, 1 << 14]))  # few lines: merges and write-buffer hits; many: conflicts
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    addrs = rng.integers(0, lines, n).astype(np.int64) * 64
    writes = (rng.random(n) < draw(st.sampled_from([0.0, 0.3, 0.7]))).astype(np.int64)
    gaps = rng.integers(0, draw(st.sampled_from([1, 4, 40])), n)
    return addrs, writes, np.cumsum(gaps).astype(np.int64), draw(st.booleans())


@pytest.mark.parametrize("name", sorted(_TWIN_CONFIGS))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trace=_traces())
def test_kernel_equals_plain_python_twin(name: str, trace) -> None:  # type: ignore[no-untyped-def]
    cfg = _TWIN_CONFIGS[name]()
    addrs, writes, cycles, unlimited = trace
    c1, s1, rk1 = _kernel_run(cfg, addrs, writes, cycles, unlimited)
    c2, s2, rk2 = _twin_run(cfg, addrs, writes, cycles, unlimited)
    assert c1 == c2
    for k in K.STAT:
        if k == "ticks":
            continue  # the twin does not count ticks
        assert s1[k].tolist() == s2[k].tolist(), k
    assert rk1.tolist() == rk2.tolist()


@pytest.mark.parametrize("name", sorted(_TWIN_CONFIGS))
def test_skipping_idle_cycles_changes_nothing(name: str) -> None:
    cfg = _TWIN_CONFIGS[name]()
    for pattern, gap in (("mix21", 3), ("seq", 0), ("random", 17)):
        addrs, writes, cycles = make_trace(pattern, 3000, 1 << 28, gap=gap)
        a = _kernel_run(cfg, addrs, writes, cycles, True, skip=True)
        b = _kernel_run(cfg, addrs, writes, cycles, True, skip=False)
        assert a[0] == b[0]
        for k in K.STAT:
            if k != "ticks":
                assert a[1][k].tolist() == b[1][k].tolist(), (pattern, k)
        assert a[2].tolist() == b[2].tolist()


# ---------------------------------------------------------------------------------------------- policies
def test_policies_change_what_they_should() -> None:
    base = _ini(DDR4_INI)
    addrs, writes, cycles = make_trace("random", 4000, 1 << 22)  # a small region: many row hits to find
    fr = replay_trace(base, addrs, writes, cycles, unlimited=True)
    fcfs = replay_trace(_with(base, system__scheduler="FCFS"), addrs, writes, cycles, unlimited=True)
    closed = replay_trace(_with(base, system__row_buf_policy="CLOSE_PAGE"), addrs, writes, cycles, unlimited=True)
    assert fr.row_hit_rate > fcfs.row_hit_rate  # FR-FCFS takes ready row hits first
    assert fr.cycles < fcfs.cycles
    # closed page: every column command has its own activate (a refresh may close a row before its column
    # command, which then needs another)
    assert closed.row_hit_rate == 0 and closed.act_count >= closed.read_cmds + closed.write_cmds
    assert closed.act_count - (closed.read_cmds + closed.write_cmds) <= 4 * closed.ref_count
    seq = make_trace("seq", 4000, 1 << 28)
    a = replay_trace(base, *seq)
    b = replay_trace(_with(base, system__address_mapping="rochrabacobg"), *seq)
    assert a.row_hit_rate > 0.9 and a.bandwidth_gbps > 0  # sequential lines share rows
    assert a.act_count != b.act_count or a.cycles != b.cycles  # the mapping moves the work between banks


def test_refresh_costs_bandwidth_and_is_counted() -> None:
    base = _ini(HBM2_INI)
    seq = make_trace("seq", 20000, 1 << 30)
    with_ref = replay_trace(base, *seq, unlimited=True)
    rare = replay_trace(_with(base, timing__tREFI=10**9), *seq, unlimited=True)
    assert with_ref.ref_count > 0 and rare.ref_count == 0
    assert with_ref.cycles > rare.cycles


def test_refresh_with_precharge_all() -> None:
    """refresh_precharge ALL closes a rank's open banks with one PREA before each refresh, not a PRE each."""
    base = _with(_ini(HBM2_INI), timing__tREFI=500)
    seq = make_trace("seq", 20000, 1 << 30)
    one_by_one = replay_trace(base, *seq, unlimited=True)
    prea = replay_trace(_with(base, system__refresh_precharge="ALL"), *seq, unlimited=True)
    dev_stats = prea.per_channel
    assert prea.ref_count == one_by_one.ref_count > 0
    assert prea.pre_count < one_by_one.pre_count  # PREA counts once per refresh that found banks open
    assert sum(dev_stats["reads_done"]) == 20000


# ---------------------------------------------------------------------------------------------- presets, energy
@pytest.mark.parametrize("name", sorted(dram_presets()))
def test_every_preset_streams_below_its_peak(name: str) -> None:
    cfg = load_dram_preset(name)
    d = cfg.derive()
    addrs, writes, cycles = make_trace("seq", 4000, d.capacity_bytes)
    res = replay_trace(cfg, addrs * d.request_bytes // 64, writes, cycles, unlimited=True)
    peak = d.peak_bandwidth / 1e9
    assert 0.3 * peak < res.bandwidth_gbps <= peak * 1.0001, (res.bandwidth_gbps, peak)
    assert res.energy_pj > 0 and res.energy_pj_per_bit > 0


def test_energy_is_commands_times_increments_plus_background() -> None:
    cfg = _ini(HBM2_INI)
    d = cfg.derive()
    addrs, writes, cycles = make_trace("mix21", 2000, 1 << 26)
    dev = DramDevice(cfg)
    K.run_trace(dev.p, dev.T, dev.state, addrs, writes, cycles, np.int64(1), np.int64(1 << 40))
    s = dev.stats()
    e_act, e_rd, e_wr, e_ref, e_refb, e_act_stb, e_pre_stb = d.energy_pj
    expect = (s["act"] * e_act + s["read_cmds"] * e_rd + s["write_cmds"] * e_wr + s["ref"] * e_ref
              + s["refb"] * e_refb + s["rank_active_cycles"] * e_act_stb + s["rank_idle_cycles"] * e_pre_stb)
    assert np.allclose(s["energy_dramsim3"], expect)
    assert np.allclose(s["energy_pj"], expect * d.tCK_ns)
    # every cycle of every rank is either active or precharged standby
    assert (s["rank_active_cycles"] + s["rank_idle_cycles"] == s["ticks"] * d.ranks).all()


# ---------------------------------------------------------------------------------------------- engine
def _one_channel_memory(preset: str = "HBM2E"):  # type: ignore[no-untyped-def]
    cfg = load_dram_preset(preset)
    d = cfg.derive()
    hw = load_hardware("vhk158-flightllm", {
        "memories.hbm.channels": 1, "memories.hbm.bandwidth": f"{d.peak_bandwidth / d.channels} B/s",
        "memories.hbm.channel_capacity": f"{d.capacity_bytes // d.channels} B",
        "memories.hbm.dram": {"preset": preset}, "mapping.a_buffer_channels": 1, "slrs.count": 1})
    return hw.memories["hbm"]


def _engine_access(mem_cfg, accesses, share: bool = True):  # type: ignore[no-untyped-def]
    """Issue (start_ps, nbytes, is_write, addr) accesses on channel 0 from one process; (accepted, done) ps."""

    class M(DramMemory):
        share_channels = share

    mem = M("hbm", mem_cfg)
    env = simpy.Environment()
    mem.attach(env)
    out: list[tuple[int, int]] = []

    def proc():  # type: ignore[no-untyped-def]
        pending = []
        for start, nbytes, is_write, addr in accesses:
            if start > env.now:
                yield env.timeout(start - env.now)
            acc, done = mem.access(env.now, 0, mem.channels, 1, nbytes, is_write, 0, addr)
            t = yield acc
            pending.append((t, done))
        for t, done in pending:
            v = yield done
            out.append((t, v))

    env.process(proc())
    env.run()
    return out, mem


def test_instruction_stream_equals_request_by_request_replay() -> None:
    """One load instruction of N bytes gives the cycle-exact result of its N / 32 requests fed one by one."""
    mem_cfg = _one_channel_memory()
    cfg = mem_cfg.dram_config
    d = cfg.derive()
    tck_fs = int(round(d.tCK_ns * 1e6))
    for nbytes in (64 * 1024, 1 << 20, 96):
        (out,), mem = _engine_access(mem_cfg, [(0, nbytes, False, 0)])
        n = -(-nbytes // d.request_bytes)
        # the engine offers at most one request per cycle to a channel: DRAMsim3's issue rate 1
        dev = DramDevice(cfg, channel_local=True)
        total = K.run_trace(dev.p, dev.T, dev.state, np.arange(n, dtype=np.int64) * d.request_bytes,
                            np.zeros(n, np.int64), np.zeros(n, np.int64), np.int64(0), np.int64(1 << 40))
        # data ready when the last read returns: the trace's last completion cycle (total - 1)
        assert out[1] == ((total - 1) * tck_fs + 999) // 1000
        ref, got = dev.stats(), mem.counters()
        for k in ("act", "read_cmds", "read_lat_sum", "reads_done"):
            assert got[k].tolist() == ref[k].tolist(), k
        assert got["row_hits"].tolist() == ref["read_hits"].tolist()


def test_stores_complete_below_the_drain_threshold() -> None:
    """DRAMsim3 leaves up to write_drain_threshold writes buffered; an engine store is fenced and completes."""
    mem_cfg = _one_channel_memory()
    d = mem_cfg.dram_config.derive()
    for nbytes in (4 * d.request_bytes, 1000 * d.request_bytes):
        (out,), mem = _engine_access(mem_cfg, [(0, nbytes, True, 0)])
        assert mem.counters()["write_cmds"].tolist() == [nbytes // d.request_bytes]
        assert out[1] >= out[0] > 0


def test_state_persists_across_instructions() -> None:
    """A second load of the same rows right after the first finds them open: it is faster than the first."""
    mem_cfg = _one_channel_memory()
    (a0, d0), (a1, d1) = _engine_access(mem_cfg, [(0, 4096, False, 0), (10**6, 4096, False, 0)])[0]
    first, second = d0 - 0, d1 - 10**6
    assert second < first


def test_channel_classes_are_exact() -> None:
    """Simulating one channel per class of identical channels gives every channel's exact numbers."""
    mem_cfg = load_hardware("vhk158-flightllm").memories["hbm"]
    n = mem_cfg.channels
    accesses = [(0, 1 << 20, False, 0), (0, 1 << 16, True, 1 << 24), (5 * 10**5, 1 << 18, False, 1 << 22)]

    def run(share: bool):  # type: ignore[no-untyped-def]
        class M(DramMemory):
            share_channels = share

        mem = M("hbm", mem_cfg)
        env = simpy.Environment()
        mem.attach(env)
        times: list[int] = []

        def proc():  # type: ignore[no-untyped-def]
            evs = []
            for start, nbytes, w, addr in accesses:
                if start > env.now:
                    yield env.timeout(start - env.now)
                a, d = mem.access(env.now, 0, n, 1, nbytes, w, 0, addr)
                evs.append(d)
                # a partial access splits the class while the full ones are in flight
                a2, d2 = mem.access(env.now, 0, 4, 8, nbytes // 8, w, 1, addr)
                evs.append(d2)
                yield a
            for d in evs:
                times.append((yield d))

        env.process(proc())
        env.run()
        mem.snapshot(env.now)
        return times, mem.counters()

    t1, c1 = run(True)
    t0, c0 = run(False)
    assert t1 == t0
    for k in c0:
        assert np.array_equal(c0[k], c1[k]), k


def test_dram_reuse_stays_close_to_exact_simulation() -> None:
    """fidelity 'cycle' replays recorded blocks across refresh phases (engine.core.REFRESH_PHASE_TOLERANCE:
    each refresh misplaced by at most 1 % of its block; a refresh-free recording at any refresh-free start);
    'exact' simulates every block."""
    from accelsim.simulate import simulate
    from accelsim.workload import Scenario

    sc = Scenario(1, 100, 24)
    a = simulate("vhk158-flightllm", "gpt2-small", sc, fidelity="cycle")
    b = simulate("vhk158-flightllm", "gpt2-small", sc, fidelity="exact")
    assert a.sim["blocks_reused"] > 0 and b.sim["blocks_reused"] == 0
    assert 0 < a.sim["blocks_reused_refresh_free"] < a.sim["blocks_reused"]  # the refresh-free rule is used
    assert a.sim["steps_reused"] > 0 and b.sim["steps_reused"] == 0  # and whole decode steps are replayed
    assert a.bytes == b.bytes and a.instructions == b.instructions and a.macs == b.macs
    assert abs(a.prefill_s / b.prefill_s - 1) <= 0.01
    assert abs(a.decode_s / b.decode_s - 1) <= 0.01
    for x, y in zip(a.decode_step_s, b.decode_step_s):
        assert abs(x / y - 1) <= 0.02


def test_engine_with_dram_is_deterministic() -> None:
    from accelsim.simulate import simulate
    from accelsim.workload import Scenario

    a = simulate("vhk158-flightllm", "gpt2-medium", Scenario(1, 64, 6)).to_dict()
    b = simulate("vhk158-flightllm", "gpt2-medium", Scenario(1, 64, 6)).to_dict()
    a.pop("sim_wall_s"), b.pop("sim_wall_s")
    assert a == b


# ---------------------------------------------------------------------------------------------- bad input
def test_unknown_preset_and_standard() -> None:
    with pytest.raises(ConfigError) as exc:
        load_dram_preset("HBM2F")
    assert "did you mean" in exc.value.hint
    proc = run_cli("dram", "--standard", "HBM9", "--trace", str(DATA / "dramsim3_README.md"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "HBM9" in proc.stderr


def test_inconsistent_organisation_and_timing() -> None:
    from accelsim.config.dram import dram_from_mapping

    src = Source("hw.yaml", {})
    with pytest.raises(ConfigError) as exc:
        dram_from_mapping({"preset": "DDR4-3200", "system": {"channel_size": 3000}}, src, "memories.ddr.dram")
    assert exc.value.key_path == "memories.ddr.dram.system.channel_size" and "rows" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        dram_from_mapping({"preset": "HBM2", "timing": {"tRC": 10}}, src, "memories.hbm.dram")
    assert exc.value.key_path == "memories.hbm.dram.timing.tRC" and "tRAS + tRP" in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        dram_from_mapping({"preset": "HBM2", "timing": {"tCL": -3}}, src, "memories.hbm.dram")
    assert exc.value.key_path == "memories.hbm.dram.timing.tCL"


def test_hwconfig_dram_section_is_checked_against_the_memory() -> None:
    with pytest.raises(ConfigError) as exc:
        load_hardware("vhk158-flightllm", {"memories.hbm.channel_capacity": "256 MiB"})
    assert exc.value.key_path == "memories.hbm.channel_capacity" and "1024 MiB" in exc.value.hint
    with pytest.raises(ConfigError) as exc:
        load_hardware("vhk158-flightllm", {"memories.hbm.dram": {"preset": "HBM3"}})
    assert "memories.hbm" in exc.value.key_path


def test_malformed_trace_line_is_named(tmp_path: Path) -> None:
    p = tmp_path / "t.trace"
    p.write_text("0x40 READ 0\n0x80 READ 1\n0xZZ WRITE 2\n")
    with pytest.raises(AccelsimError) as exc:
        parse_trace(str(p))
    assert "line 3" in str(exc.value)
    proc = run_cli("dram", "--dramsim3-config", HBM2_INI, "--trace", str(p))
    assert proc.returncode == 2 and "line 3" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_dram_json_contract(tmp_path: Path) -> None:
    import json

    p = tmp_path / "seq.trace"
    write_trace(str(p), *make_trace("seq", 2000, 1 << 30))
    proc = run_cli("dram", "--dramsim3-config", HBM2_INI, "--trace", str(p), "--issue-rate", "unlimited", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for k in ("requests", "cycles", "bandwidth_gbps", "avg_read_latency_cycles", "avg_read_latency_ns",
              "row_hit_rate", "act_count", "pre_count", "ref_count", "energy_pj"):
        assert k in out, k
    assert out["requests"] == 2000
    res = replay_trace(_ini(HBM2_INI), *parse_trace(str(p)), unlimited=True)
    assert out["cycles"] == res.cycles and out["act_count"] == res.act_count
    proc = run_cli("dram", "--standard", "HBM2E", "--trace", str(p), "--json")
    assert proc.returncode == 0, proc.stderr


def test_refresh_free_block_does_not_depend_on_the_refresh_phase() -> None:
    """engine.core replays a block recorded from a restored state at any start that refresh_window says no
    refresh touches. From the same restored state the same accesses give the same relative times and counters
    at two such starts far apart in the refresh interval; where a due point falls inside, they differ (and the
    window says so)."""
    mem_cfg = load_hardware("vhk158-flightllm").memories["hbm"]
    n = mem_cfg.channels
    # a state to restore: what some reads and writes leave behind
    warm = DramMemory("hbm", mem_cfg)
    env = simpy.Environment()
    warm.attach(env)

    def w():  # type: ignore[no-untyped-def]
        _, d1 = warm.access(env.now, 0, n, 1, 1 << 18, False, 0, 0)
        _, d2 = warm.access(env.now, 0, 4, 8, 1 << 14, True, 0, 1 << 24)
        yield d1
        yield d2

    env.process(w())
    env.run()
    rel = warm.snapshot(env.now)
    interval = warm.d.refresh_interval
    tck_ps = warm.tck_fs // 1000
    assert tck_ps * 1000 == warm.tck_fs  # whole picoseconds per cycle: a start on a cycle edge is exact

    def block(start_cycle: int):  # type: ignore[no-untyped-def]
        t0 = start_cycle * tck_ps
        mem = DramMemory("hbm", mem_cfg)
        env = simpy.Environment(initial_time=t0)
        mem.attach(env)
        mem.restore(rel, t0)
        window = mem.refresh_window(t0)
        out: list[int] = []

        def proc():  # type: ignore[no-untyped-def]
            _, d1 = mem.access(env.now, 0, n, 1, 1 << 17, False, 0, 1 << 20)
            _, d2 = mem.access(env.now, 0, 4, 8, 1 << 12, True, 0, 1 << 24)
            out.append((yield d1) - t0)
            out.append((yield d2) - t0)
            yield env.timeout(2000)

        env.process(proc())
        env.run()
        mem.snapshot(env.now)
        c = mem.counters()
        return window, env.now - t0, out, {k: v.tolist() for k, v in c.items() if not k.startswith("_")}

    wa, da, ta, ca = block(10 * interval + interval // 4)
    wb, db, tb, cb = block(37 * interval + interval // 2)
    assert da < wa and db < wb  # both refresh-free
    assert (da, ta, ca) == (db, tb, cb)
    assert sum(ca["ref"]) == 0
    # a due point inside the block: the window is too short, and the refresh shows
    wc, dc, tc, cc = block(12 * interval - da // (2 * tck_ps))
    assert wc <= dc
    assert sum(cc["ref"]) > 0 and (tc, cc) != (ta, ca)
    # just after a due point (its refresh may still run) the window is closed
    wd = block(20 * interval + 5)[0]
    assert wd == 0
