"""One call from YAML to a :class:`~accelsim.stats.Result`: load, build graphs, compile, simulate, report.

``simulate(hw, workload, Scenario(batch, prompt, gen))`` runs the prefill of the (bucketed) prompt and every
one of the ``gen`` decode steps. Decode step i (1..gen) processes one new token per sequence with a KV
length of prompt + i; steps in the same length bucket share one compiled program (length-adaptive
compilation), and the engine reuses recorded block outcomes (``fidelity="cycle"``) or re-simulates every
block (``"exact"``). ``"roofline"`` skips the engine and sums every op's roofline bound.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
from typing import Any

from . import __version__
from .compiler import compiler_for
from .compiler.isa import Program
from .compiler.roofline import graph_roofline_s
from .config import load_hardware, load_workload, resolve
from .engine import Engine
from .errors import AccelsimError
from .stats import Result, build_result, write_chrome_trace
from .workload import Scenario, build_decode, build_prefill, resolve_numerics

__all__ = ["simulate", "compile_step", "config_hash", "result_meta", "FIDELITY_CHOICES"]

FIDELITY_CHOICES = ("cycle", "exact", "roofline")


def _attach_file(exc: AccelsimError, hw_path: str, wl_path: str) -> AccelsimError:
    if exc.file is None and exc.key_path:
        # capacity and mapping errors are about the device description
        exc.file = hw_path
    return exc


def compile_step(hw: Any, model: Any, phase: str, batch: int, length: int) -> Program:
    """Compile one prefill (``length`` = prompt tokens) or decode step (``length`` = KV length)."""
    comp = compiler_for(hw)
    num = resolve_numerics(model, hw.deployment, hw.name)
    if phase == "prefill":
        q = comp.bucket("prefill", length)
        logits = "all" if hw.mapping.prefill_logits == "all_rows" else "last"
        return comp.compile(build_prefill(model, batch, q, num, logits))
    return comp.compile(build_decode(model, batch, comp.bucket("decode", length), num))


def simulate(hw_name: str, workload_name: str, scenario: Scenario, *, fidelity: str = "cycle",
             timeline_path: str | None = None, hw_overrides: dict[str, Any] | None = None,
             workload_overrides: dict[str, Any] | None = None, numerics: dict[str, Any] | None = None) -> Result:
    """Simulate ``scenario`` of a workload on a device; see the module docstring.

    ``numerics`` (e.g. ``{"layers": 2, "tokens": 8}``, keys of :func:`accelsim.functional.device.device_report`)
    also runs the deployment's number formats against the float64 reference and stores the error metrics in
    ``result.numerics``."""
    if fidelity not in FIDELITY_CHOICES:
        raise AccelsimError(f"unknown fidelity {fidelity!r}", key_path="--fidelity",
                            hint="use one of " + ", ".join(FIDELITY_CHOICES))
    t_wall = time.perf_counter()
    hw_path, wl_path = resolve(hw_name, "hwconfigs"), resolve(workload_name, "workloads")
    hw = load_hardware(hw_path, hw_overrides)
    model = load_workload(wl_path, workload_overrides)
    try:
        result = _simulate(hw, model, scenario, fidelity, timeline_path, t_wall)
    except AccelsimError as exc:
        raise _attach_file(exc, hw_path, wl_path)
    if numerics is not None:
        from .functional.device import device_report

        opts = {"layers": 2, "tokens": 8, **numerics}
        opts["layers"] = min(int(opts["layers"]), model.layers)
        result.numerics = device_report(hw, model, **opts).to_dict()
    result.config_hash = config_hash(hw_path, wl_path, scenario, fidelity, hw_overrides,
                                     workload_overrides if numerics is None else {**(workload_overrides or {}),
                                                                                  "numerics": numerics})
    return result


def config_hash(hw_path: str, wl_path: str, scenario: Scenario, fidelity: str,
                hw_overrides: dict[str, Any] | None = None, workload_overrides: dict[str, Any] | None = None) -> str:
    """A content hash of everything a result depends on (file contents, overrides, scenario, fidelity, version)."""
    h = hashlib.sha256()
    for path in (hw_path, wl_path):
        with open(path, "rb") as fh:
            h.update(fh.read())
    h.update(json.dumps([hw_overrides, workload_overrides, [scenario.batch, scenario.prompt, scenario.gen],
                         fidelity, __version__], sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def result_meta(result: Result, hw_name: str, workload_name: str) -> dict[str, Any]:
    """What ``meta.json`` records beside a result: inputs, config hash, package version, date."""
    return {"hwconfig": resolve(hw_name, "hwconfigs"), "workload": resolve(workload_name, "workloads"),
            "config_hash": result.config_hash, "accelsim_version": __version__,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def _simulate(hw: Any, model: Any, sc: Scenario, fidelity: str, timeline_path: str | None, t_wall: float) -> Result:
    if sc.prompt + sc.gen > model.max_positions:
        raise AccelsimError(
            f"prompt + gen = {sc.prompt + sc.gen} tokens exceeds {model.name}'s {model.max_positions} positions",
            key_path="--prompt/--gen", hint=f"keep prompt + gen <= {model.max_positions}")
    comp = compiler_for(hw)
    num = resolve_numerics(model, hw.deployment, hw.name)
    logits = "all" if hw.mapping.prefill_logits == "all_rows" else "last"
    q = comp.bucket("prefill", sc.prompt)
    prefill_graph = build_prefill(model, sc.batch, q, num, logits)
    comp.check_capacity(prefill_graph, sc.batch, max(q, sc.prompt + sc.gen))
    if fidelity == "roofline":
        return _roofline(hw, model, sc, num, prefill_graph, comp, t_wall)
    # one memory map for the whole run: the KV cache laid out for its longest context
    kv_tokens = max(q, comp.bucket("decode", sc.prompt + sc.gen) if sc.gen else 0)
    phases: list[tuple[str, Program]] = [("prefill", comp.compile(prefill_graph, kv_tokens))]
    by_bucket: dict[int, Program] = {}
    for i in range(1, sc.gen + 1):
        b = comp.bucket("decode", sc.prompt + i)
        if b not in by_bucket:
            by_bucket[b] = comp.compile(build_decode(model, sc.batch, b, num), kv_tokens)
        phases.append((f"decode.{i}", by_bucket[b]))
    engine = Engine(hw, comp.units, fidelity=fidelity, timeline=timeline_path is not None)
    stats = engine.run(phases)
    instr = sum(p.instruction_count for _, p in phases)
    result = build_result(stats, device=hw.name, workload=model.name, batch=sc.batch, prompt=sc.prompt, gen=sc.gen,
                          fidelity=fidelity, formats=num.describe(), wall_s=0.0, instructions_total=instr)
    if hw.kind == "gpu":
        _gpu_results(result, hw, engine, stats, phases, comp, prefill_graph, sc)  # sets its own memory plan
    else:
        if hw.kind == "flash":
            _flash_results(result, hw, engine, stats, phases)
        elif hw.kind == "pim":
            _pim_results(result, hw, engine, stats, phases)
        else:
            _add_energy_and_area(result, hw, stats, sc)
        result.sim["memory_plan"] = comp.memory_plan(prefill_graph, sc.batch, max(q, sc.prompt + sc.gen))
    if timeline_path:
        write_chrome_trace(stats, hw.name, timeline_path)
    result.sim_wall_s = time.perf_counter() - t_wall
    return result


def _phase_bytes(stats: Any, prefix: str) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    """Bytes and DRAM energy of one phase ('prefill', 'decode') of a run."""
    tot = stats.totals(prefix)
    name = stats.memory_name
    by = {name: {"read": int(tot["mem.bytes_read"].sum()) if "mem.bytes_read" in tot else 0,
                 "written": int(tot["mem.bytes_written"].sum()) if "mem.bytes_written" in tot else 0}}
    mem = {name: {"energy_j": float(tot["mem.energy_pj"].sum()) * 1e-12}} if "mem.energy_pj" in tot else {}
    return by, mem


def _add_energy_and_area(result: Result, hw: Any, stats: Any, sc: Scenario) -> None:
    """Price the run's actions with the energy tables (accelsim.stats.device) and count FPGA resources."""
    from .stats.device import check_part_fit, device_energy

    if hw.part is not None:
        result.area = check_part_fit(hw)  # a misfit names the part key; simulate() adds the hwconfig path
    if hw.power is None:
        return
    if hw.part is None and hw.power.technology.lower().endswith("nm"):
        from .stats.device import asic_area

        result.area = asic_area(hw, hw.power.technology)
    run = device_energy(hw, result.counters, result.e2e_s, result.formats, result.memory, result.bytes)
    assert run is not None
    result.energy_j = run.energy_j
    result.power_w = run.energy_j / result.e2e_s if result.e2e_s else 0.0
    result.tokens_per_j = sc.gen * sc.batch / run.energy_j if run.energy_j else 0.0
    out: dict[str, Any] = {"run": run.to_dict(), "technology": run.technology, "static_w": hw.power.static_w}
    for phase, seconds in (("prefill", result.prefill_s), ("decode", result.decode_s)):
        by, mem = _phase_bytes(stats, phase)
        e = device_energy(hw, stats.counters(phase), seconds, result.formats, mem, by)
        assert e is not None
        out[phase] = e.to_dict()
    out["decode_energy_per_token_j"] = out["decode"]["energy_j"] / (sc.gen * sc.batch)
    result.energy = out


def _gpu_results(result: Result, hw: Any, engine: Any, stats: Any, phases: list[tuple[str, Program]], comp: Any,
                 prefill_graph: Any, sc: Scenario) -> None:
    """GPU-specific parts of a Result: DRAM bytes and the op breakdown from the kernels (a GPU kernel times its
    own DRAM traffic, so the engine's memory model sees none), board energy from utilisation, memory plan."""
    from .compiler.isa import KERNEL
    from .kernels.gpu import kernel_utilization
    from .stats.gpu import GpuEnergy, energy_summary, gpu_energy

    cache: dict[str, tuple[Any, ...]] = {}
    reads = writes = 0
    breakdown: dict[str, dict[str, float]] = {"prefill": {}, "decode": {}}
    energy: dict[str, GpuEnergy] = {}
    for (label, prog), ph in zip(phases, stats.phases):
        blk = prog.blocks[0]
        if blk.key not in cache:
            tr = blk.trace
            dur = engine.compute.durations(tr)
            kern = tr["opcode"] == KERNEL
            tu, mu = kernel_utilization(tr["opcode"], tr["macs"], tr["bytes"], tr["addr"], tr["path"], dur,
                                        engine.compute.params)
            per_op: dict[str, float] = {}
            for name_i, d in zip(tr["op"][kern].tolist(), dur[kern].tolist()):
                per_op[blk.op_names[name_i]] = per_op.get(blk.op_names[name_i], 0.0) + d * 1e-12
            cache[blk.key] = (int(tr["bytes"][kern].sum()), int(tr["addr"][kern].sum()), per_op,
                              dur[kern] * 1e-12, tu[kern], mu[kern])
        r, w, per_op, d_s, tu, mu = cache[blk.key]
        reads, writes = reads + r, writes + w
        group = "prefill" if label == "prefill" else "decode"
        seconds = ph.duration_ps * 1e-12
        bd = breakdown[group]
        for name, t in per_op.items():
            bd[name] = bd.get(name, 0.0) + t
        bd["gpu_idle"] = bd.get("gpu_idle", 0.0) + seconds - sum(per_op.values())
        e = gpu_energy(hw, seconds, d_s, tu, mu)
        energy[group] = energy[group] + e if group in energy else e
    result.breakdown_s = {g: dict(sorted(v.items(), key=lambda kv: -kv[1])) for g, v in breakdown.items()}
    result.bytes = {"hbm": {"read": reads, "written": writes}}
    run = energy["prefill"] + energy["decode"]
    result.energy_j = run.energy_j
    result.power_w = run.power_w
    result.tokens_per_j = sc.gen * sc.batch / run.energy_j if run.energy_j else 0.0
    result.energy = energy_summary(run, energy, sc.gen * sc.batch, hw)
    plan = comp.memory_plan(prefill_graph, sc.batch, sc.prompt + sc.gen)
    result.sim.update({"memory_plan": plan, "framework": hw.framework.name,
                       "gpu_busy_fraction": float(run.gpu_busy_s / run.seconds) if run.seconds else 0.0})


def _step_counts(model: Any, stats: Any, phases: list[tuple[str, Program]]) -> tuple[dict[str, dict[str, float]],
                                                                                    dict[str, dict[str, float]]]:
    """Per phase group ('prefill', 'decode'): the sum of every instruction's counts (``model.count_names``) over
    the steps run, and the time per op name; each distinct step block is priced once."""
    names = model.count_names
    cache: dict[str, tuple[Any, ...]] = {}
    totals = {"prefill": dict.fromkeys(names, 0.0), "decode": dict.fromkeys(names, 0.0)}
    breakdown: dict[str, dict[str, float]] = {"prefill": {}, "decode": {}}
    for (label, prog), ph in zip(phases, stats.phases):
        blk = prog.blocks[0]
        if blk.key not in cache:
            dur, counts = model.durations_and_counts(blk.trace)
            per_op: dict[str, float] = {}
            for oi, d in zip(blk.trace["op"].tolist(), dur.tolist()):
                name = blk.op_names[oi]
                if "." in name and name.split(".", 1)[0] in ("prefill", "decode"):
                    name = name.split(".", 1)[1]
                per_op[name] = per_op.get(name, 0.0) + d * 1e-12
            cache[blk.key] = (counts.sum(axis=0), per_op)
        csum, per_op = cache[blk.key]
        group = "prefill" if label == "prefill" else "decode"
        for k, v in zip(names, csum.tolist()):
            totals[group][k] += v
        bd = breakdown[group]
        for name, t in per_op.items():
            bd[name] = bd.get(name, 0.0) + t
    return totals, {g: dict(sorted(v.items(), key=lambda kv: -kv[1])) for g, v in breakdown.items()}


def _pim_results(result: Result, hw: Any, engine: Any, stats: Any, phases: list[tuple[str, Program]]) -> None:
    """DRAM-PIM parts of a Result: PIM commands, bytes inside the banks vs over the channels, the op breakdown,
    and energy when the hwconfig has an energy section (accelsim.stats.pim)."""
    totals, result.breakdown_s = _step_counts(engine.compute, stats, phases)
    if hw.energy is not None:
        from .stats.pim import pim_energy

        phases_e = {g: pim_energy(hw, totals[g], sec)
                    for g, sec in (("prefill", result.prefill_s), ("decode", result.decode_s))}
        _set_energy(result, phases_e)
    run = {k: totals["prefill"][k] + totals["decode"][k] for k in totals["decode"]}
    if hw.host.memory is None:
        result.bytes = {"pim": {"read": int(run["channel_bytes"] + run["host_dram_bytes"]), "written": 0}}
    else:  # the weights (and host-side KV reads) come from the host's own memory
        result.bytes = {"pim": {"read": int(run["channel_bytes"]), "written": 0},
                        "host_memory": {"read": int(run["host_dram_bytes"]), "written": 0}}
    result.sim.update({
        "pim": {g: {"acts": int(t["acts"]), "mac_commands": int(t["mac_commands"]),
                    "internal_bytes": int(t["internal_bytes"]), "channel_bytes": int(t["channel_bytes"]),
                    "refreshes": int(t["refreshes"]), "pim_macs": int(t["macs"]), "host_macs": int(t["host_macs"]),
                    "host_dram_bytes": int(t["host_dram_bytes"])} for g, t in totals.items()},
        "gemv_plans": [{"n": k[0], "k": k[1], "m": k[2], "weight_bits": k[3], "vectors": k[4],
                        "matrix": "kv_cache" if k[5] else "weights", "on": v[0], "seconds": v[1]}
                       for k, v in sorted(engine.compute.plans.items())],
        "dispatch": hw.dispatch, "op_per_byte_threshold": float(engine.compute.opb_threshold),
        "model": f"{hw.memory.pim.level}-level PIM command timeline (accelsim.kernels.pim)"})


def _set_energy(result: Result, phases_e: dict[str, dict[str, float]]) -> None:
    """A Result's energy fields from the joules per part of its prefill and decode phases."""
    result.energy_j = phases_e["prefill"]["energy_j"] + phases_e["decode"]["energy_j"]
    result.power_w = result.energy_j / result.e2e_s if result.e2e_s else 0.0
    tokens = result.gen * result.batch
    result.tokens_per_j = tokens / result.energy_j if result.energy_j else 0.0
    per_token = phases_e["decode"]["energy_j"] / tokens if tokens else 0.0
    result.energy = {**phases_e, "decode_energy_per_token_j": per_token}


def _flash_results(result: Result, hw: Any, engine: Any, stats: Any, phases: list[tuple[str, Program]]) -> None:
    """Flash-device parts of a Result: page reads, channel traffic and the GEMV plans from the flash kernel
    (a flash instruction times its own page reads and transfers, so the engine's memory model sees none),
    the op breakdown, and energy when the hwconfig has an energy section."""
    from .engine.registry import FlashComputeModel

    model: FlashComputeModel = engine.compute
    names = model.count_names
    totals, result.breakdown_s = _step_counts(model, stats, phases)
    f = hw.flash
    run = {k: totals["prefill"][k] + totals["decode"][k] for k in names}
    # the channels are the flash chip's off-chip traffic: weights and partial sums to the NPU, input slices to
    # the dies (the array reads inside the dies are in sim["flash"])
    result.bytes = {"flash": {"read": int(run["bus_weight_bytes"] + run["bus_psum_bytes"]),
                              "written": int(run["bus_input_bytes"])},
                    "dram": {"read": int(run["dram_bytes"]), "written": 0}}
    per_phase = {}
    for g, sec in (("prefill", result.prefill_s), ("decode", result.decode_s)):
        t = totals[g]
        internal = (t["rc_page_reads"] + t["rd_page_reads"]) * f.page
        external = t["bus_input_bytes"] + t["bus_psum_bytes"] + t["bus_weight_bytes"]
        per_phase[g] = {
            "page_reads": int(t["rc_page_reads"] + t["rd_page_reads"]),
            "read_compute_page_reads": int(t["rc_page_reads"]), "ordinary_page_reads": int(t["rd_page_reads"]),
            "internal_bytes": int(internal), "channel_bytes": int(external),
            "channel_weight_bytes": int(t["bus_weight_bytes"]),
            "channel_utilization": float(t["bus_busy_s"] / (sec * f.channels)) if sec else 0.0,
            "read_compute_tile_fraction": float(t["rc_tiles"] / t["tiles"]) if t["tiles"] else 0.0,
            "core_macs": int(t["core_macs"]), "npu_macs": int(t["npu_macs"]), "dram_bytes": int(t["dram_bytes"]),
        }
    plans = [{"n": k[0], "k": k[1], "m": k[2], "weight_bits": k[3], "tile": [v[0], v[1]],
              "read_compute_tiles": v[2], "tiles": -(-k[0] // v[0]) * -(-k[1] // v[1]), "seconds": v[3]}
             for k, v in sorted(model.plans.items())]
    e = hw.energy
    if e is not None:
        def joules(t: dict[str, float], seconds: float) -> dict[str, float]:
            channel_bytes = t["bus_input_bytes"] + t["bus_psum_bytes"] + t["bus_weight_bytes"]
            parts = {"flash_array": (t["rc_page_reads"] + t["rd_page_reads"]) * e.page_read,
                     "flash_channels": channel_bytes * e.bus_per_byte,
                     "flash_cores": t["core_macs"] * e.core_mac, "npu": t["npu_macs"] * e.npu_mac,
                     "dram": t["dram_bytes"] * e.dram_per_byte, "static": e.static_w * seconds}
            return {**parts, "energy_j": sum(parts.values())}

        _set_energy(result, {g: joules(totals[g], sec)
                             for g, sec in (("prefill", result.prefill_s), ("decode", result.decode_s))})
    result.sim.update({"flash": per_phase, "gemv_plans": plans,
                       "model": "NAND page reads, channel transfers and in-flash compute (accelsim.kernels.nand)"})


def _roofline(hw: Any, model: Any, sc: Scenario, num: Any, prefill_graph: Any, comp: Any, t_wall: float) -> Result:
    prefill = graph_roofline_s(prefill_graph, hw)
    steps: list[float] = []
    cache: dict[int, float] = {}
    for i in range(1, sc.gen + 1):
        b = comp.bucket("decode", sc.prompt + i)
        if b not in cache:
            cache[b] = graph_roofline_s(build_decode(model, sc.batch, b, num), hw)
        steps.append(cache[b])
    decode = sum(steps)
    period = 1.0 / hw.clock_hz
    return Result(
        device=hw.name, workload=model.name, batch=sc.batch, prompt=sc.prompt, gen=sc.gen, fidelity="roofline",
        prefill_s=prefill, decode_s=decode, e2e_s=prefill + decode, ttft_s=prefill, tpot_s=decode / sc.gen,
        tokens_per_s=sc.gen * sc.batch / decode if decode else 0.0, decode_step_s=steps, clock_hz=hw.clock_hz,
        cycles={"prefill": round(prefill / period), "decode": round(decode / period),
                "e2e": round((prefill + decode) / period)},
        utilization={}, bytes={}, instructions={}, macs=0, breakdown_s={}, formats=num.describe(),
        sim_wall_s=time.perf_counter() - t_wall, sim={"model": "sum of per-op roofline bounds"})
