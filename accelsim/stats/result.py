"""Results of a run: latency per phase, throughput, utilisation, bytes per memory, breakdown by op.

A :class:`Result` is built from the engine's run statistics (duck-typed: anything with the attributes of
``accelsim.engine.RunStats``) and serialises to a JSON object, a flat dict with dotted keys (one CSV or
DataFrame row) and files in an output directory.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Result", "build_result"]


@dataclass
class Result:
    """What one simulated run reports. Times in seconds, rates per second, bytes in bytes."""

    device: str
    workload: str
    batch: int
    prompt: int
    gen: int
    fidelity: str
    prefill_s: float
    decode_s: float
    e2e_s: float
    ttft_s: float
    tpot_s: float
    tokens_per_s: float
    decode_step_s: list[float]
    clock_hz: float
    cycles: dict[str, int]
    utilization: dict[str, float]
    bytes: dict[str, dict[str, int]]
    instructions: dict[str, int]
    macs: int
    breakdown_s: dict[str, dict[str, float]]
    formats: dict[str, Any]
    sim_wall_s: float
    sim: dict[str, Any] = field(default_factory=dict)
    counters: dict[str, float] = field(default_factory=dict)  # dotted: unit.mv.busy_cycles, hbm.ch3.bytes_read
    memory: dict[str, dict[str, float]] = field(default_factory=dict)  # per memory: commands, row hits, energy
    energy_j: float | None = None        # whole run (prefill + decode), J; None: the hwconfig has no power section
    tokens_per_j: float | None = None    # generated tokens / energy_j
    power_w: float | None = None         # energy_j / e2e_s
    energy: dict[str, Any] = field(default_factory=dict)  # breakdown (J) of the run and per phase, assumptions
    area: dict[str, Any] = field(default_factory=dict)    # FPGA resources used and their utilisation of the part
    numerics: dict[str, Any] = field(default_factory=dict)  # error of the deployment's formats vs float64 (optional)
    config_hash: str = ""  # hash of the hwconfig and workload files, overrides, scenario and fidelity

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    def flat(self) -> dict[str, Any]:
        """One row: nested dicts become dotted columns; lists of numbers (the per-step times) become summary
        columns (first, last, max), lists of records their count."""
        out: dict[str, Any] = {}

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for k, v in value.items():
                    walk(f"{prefix}.{k}" if prefix else str(k), v)
            elif isinstance(value, list):
                if value and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
                    out[f"{prefix}.first"] = value[0]
                    out[f"{prefix}.last"] = value[-1]
                    out[f"{prefix}.max"] = max(value)
                elif value:  # a list of records (e.g. the flash device's GEMV plans): only how many
                    out[f"{prefix}.count"] = len(value)
            else:
                out[prefix] = value

        walk("", self.to_dict())
        return out

    def to_frame(self):  # type: ignore[no-untyped-def]
        """A one-row pandas DataFrame with dotted columns."""
        import pandas as pd

        return pd.DataFrame([self.flat()])

    def write(self, out_dir: str, meta: dict[str, Any] | None = None) -> list[str]:
        """Write ``result.json``, ``result.csv`` (one row), ``decode_steps.csv`` and ``meta.json``."""
        os.makedirs(out_dir, exist_ok=True)
        paths = [os.path.join(out_dir, n) for n in ("result.json", "result.csv", "decode_steps.csv", "meta.json")]
        with open(paths[3], "w", encoding="utf-8") as fh:
            json.dump(meta or {}, fh, indent=2)
        with open(paths[0], "w", encoding="utf-8") as fh:
            fh.write(self.to_json(indent=2))
        row = self.flat()
        with open(paths[1], "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(row))
            w.writeheader()
            w.writerow(row)
        with open(paths[2], "w", newline="", encoding="utf-8") as fh:
            w2 = csv.writer(fh)
            w2.writerow(["step", "kv_len", "step_s"])
            for i, s in enumerate(self.decode_step_s):
                w2.writerow([i + 1, self.prompt + i + 1, s])
        return paths

    def table(self) -> str:
        """A readable summary table (what ``accelsim run`` prints without --json)."""
        ms = 1e3
        lines = [
            f"{self.workload} on {self.device}: batch {self.batch}, prompt {self.prompt}, gen {self.gen} "
            f"(fidelity {self.fidelity})",
            f"  formats: weights {self.formats.get('weights')}, activations {self.formats.get('activations')}, "
            f"KV cache {self.formats.get('kv_cache')}, special functions {self.formats.get('special_functions')}"
            + (f"; sparsity {self.formats['sparsity_density']}" if self.formats.get("sparsity_density") else ""),
            "",
            f"  {'prefill':<22}{self.prefill_s * ms:12.3f} ms  {self.cycles['prefill']:>14,d} cycles",
            f"  {'decode (all steps)':<22}{self.decode_s * ms:12.3f} ms  {self.cycles['decode']:>14,d} cycles",
            f"  {'end to end':<22}{self.e2e_s * ms:12.3f} ms  {self.cycles['e2e']:>14,d} cycles",
            f"  {'time to first token':<22}{self.ttft_s * ms:12.3f} ms",
            f"  {'time per output token':<22}{self.tpot_s * ms:12.3f} ms",
            f"  {'decode throughput':<22}{self.tokens_per_s:12.2f} tokens/s",
            "",
            "  utilization (busy / end-to-end time):",
        ]
        for unit, u in self.utilization.items():
            lines.append(f"    {unit:<10}{100 * u:7.1f} %")
        if self.energy_j is not None:
            e = self.energy.get("run", {})
            lines.append(f"  energy                {self.energy_j:10.3f} J    power {self.power_w or 0:8.2f} W    "
                         f"{self.tokens_per_j or 0:8.3f} tokens/J")
            if e:
                parts = ", ".join(f"{k.removesuffix('_j')} {e[k]:.3f} J" for k in ("compute_j", "sfu_j", "buffers_j",
                                                                                "dram_j", "static_j") if k in e)
                lines.append(f"    ({parts}; technology {self.energy.get('technology', '?')})")
            elif isinstance(self.energy.get("decode"), dict):  # flash and PIM devices: joules per part and phase
                tot: dict[str, float] = {}
                for ph in ("prefill", "decode"):
                    for k, v in self.energy.get(ph, {}).items():
                        if k != "energy_j" and isinstance(v, (int, float)):
                            tot[k] = tot.get(k, 0.0) + float(v)
                lines.append("    (" + ", ".join(f"{k} {v:.3f} J" for k, v in sorted(tot.items(), key=lambda kv: -kv[1])
                                                 if v > 0) + ")")
            if self.energy.get("decode_energy_per_token_j") is not None:
                lines.append(f"    decode energy per token {self.energy['decode_energy_per_token_j']:.4f} J")
        if self.area.get("mm2") is not None:
            a = self.area
            lines.append(f"  area at {a['node']}: {a['mm2']:.2f} mm2 ({a['mac_units']:,} MAC units {a['mac_mm2']:.2f} mm2, "
                         f"{a['sram_bytes'] / 2**20:.1f} MiB SRAM {a['sram_mm2']:.2f} mm2)")
        if self.area.get("used"):
            used, util = self.area["used"], self.area.get("utilization", {})
            lines.append("  FPGA resources on " + str(self.area.get("part")) + ": " + ", ".join(
                f"{k} {used[k]:,} ({100 * util[k]:.0f} %)" for k in used if k in util))
        if self.numerics:
            lg = self.numerics["logits"]
            lines.append(f"  numerics vs float64 ({self.numerics['dims'].get('layers')} layers): logits rel L2 "
                         f"{lg['rel_l2']:.3e}, cosine {lg['cosine']:.5f}, top-1 {100 * self.numerics['top1_agreement']:.0f} %, "
                         f"top-5 {100 * self.numerics['top5_agreement']:.0f} %")
        lines.append("  off-chip traffic:")
        for mem, d in self.bytes.items():
            lines.append(f"    {mem:<12}read {d['read'] / 1e9:10.3f} GB   written {d['written'] / 1e9:10.3f} GB")
        lines.append(f"  simulated in {self.sim_wall_s:.2f} s wall ({self.sim.get('blocks_simulated', 0)} blocks "
                     f"simulated, {self.sim.get('blocks_reused', 0)} reused; "
                     f"{self.sim.get('steps_reused', 0)} decode steps replayed whole)")
        return "\n".join(lines)


def _memory_summary(tot: dict[str, Any], name: str) -> dict[str, dict[str, float]]:
    """DRAM command counts, row-hit rate, average read latency and energy of the run (cycle-level model only)."""
    if "mem.act" not in tot:
        return {}
    rw = float(tot["mem.read_cmds"].sum() + tot["mem.write_cmds"].sum())
    reads = float(tot["mem.reads_done"].sum())
    bits = 8.0 * float(tot["mem.bytes_read"].sum() + tot["mem.bytes_written"].sum())
    energy = float(tot["mem.energy_pj"].sum())
    return {name: {"act": int(tot["mem.act"].sum()), "pre": int(tot["mem.pre"].sum()), "ref": int(tot["mem.ref"].sum()),
                   "read_cmds": int(tot["mem.read_cmds"].sum()), "write_cmds": int(tot["mem.write_cmds"].sum()),
                   "row_hit_rate": float(tot["mem.row_hits"].sum()) / rw if rw else 0.0,
                   "avg_read_latency_cycles": float(tot["mem.read_lat_sum"].sum()) / reads if reads else 0.0,
                   "energy_j": energy * 1e-12, "energy_pj_per_bit": energy / bits if bits else 0.0}}


def build_result(stats: Any, *, device: str, workload: str, batch: int, prompt: int, gen: int, fidelity: str,
                 formats: dict[str, Any], wall_s: float, instructions_total: int = 0) -> Result:
    """Turn the engine's run statistics into a :class:`Result` (phases labelled 'prefill' and 'decode.<i>')."""
    ps = 1e-12
    prefill_ps = sum(p.duration_ps for p in stats.phases if p.label == "prefill")
    steps_ps = [p.duration_ps for p in stats.phases if p.label.startswith("decode")]
    decode_ps = sum(steps_ps)
    e2e_ps = prefill_ps + decode_ps
    period_s = 1.0 / stats.clock_hz
    tot = stats.totals()
    units = list(stats.units)
    util = {u: (float(tot["unit_busy_ps"][i]) / e2e_ps if e2e_ps else 0.0) for i, u in enumerate(units)}
    instr = {u: int(tot["unit_instructions"][i]) for i, u in enumerate(units)}
    breakdown: dict[str, dict[str, float]] = {}
    for phase in ("prefill", "decode"):
        breakdown[phase] = {k: v * ps for k, v in sorted(stats.op_time_ps(phase).items(), key=lambda kv: -kv[1])}
    decode_s = decode_ps * ps
    return Result(
        device=device, workload=workload, batch=batch, prompt=prompt, gen=gen, fidelity=fidelity,
        prefill_s=prefill_ps * ps, decode_s=decode_s, e2e_s=e2e_ps * ps, ttft_s=prefill_ps * ps,
        tpot_s=decode_s / gen if gen else 0.0, tokens_per_s=(gen * batch / decode_s) if decode_s else 0.0,
        decode_step_s=[s * ps for s in steps_ps], clock_hz=stats.clock_hz,
        cycles={"prefill": int(round(prefill_ps * ps / period_s)), "decode": int(round(decode_s / period_s)),
                "e2e": int(round(e2e_ps * ps / period_s))},
        utilization=util,
        bytes={stats.memory_name: {"read": int(tot["mem.bytes_read"].sum()),
                                   "written": int(tot["mem.bytes_written"].sum())}},
        memory=_memory_summary(tot, stats.memory_name),
        instructions=instr, macs=int(tot["unit_macs"].sum()), breakdown_s=breakdown, formats=formats,
        sim_wall_s=wall_s,
        sim={"blocks_simulated": stats.blocks_simulated, "blocks_reused": stats.blocks_reused,
             "blocks_reused_refresh_free": stats.blocks_reused_refresh_free, "steps_reused": stats.steps_reused,
             "layers_reused": stats.layers_reused,
             "simpy_events": stats.events, "instructions_executed": instructions_total},
        counters=stats.counters(),
    )
