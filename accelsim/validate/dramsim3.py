"""DRAMsim3 reference cases: the shipped HBM2 and DDR4 configurations on several access patterns.

The reference figures (``data/dramsim3_results.csv``, ``data/dramsim3_sweeps.csv``) and the two ``.ini`` files
were produced with DRAMsim3 (umd-memsys/DRAMsim3 at commit 29817593); ``data/dramsim3_README.md`` says how.
Targets (the DRAM issue): bandwidth within 3 %, average read latency within 5 %, row-hit rate within 2
percentage points, ACT count within 3 %.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .cases import Case

__all__ = ["TARGETS", "run_dramsim3"]

DATA = Path(__file__).resolve().parent / "data"
TARGETS = {"bandwidth": 3.0, "latency": 5.0, "row_hit": 2.0, "act": 3.0}
CAPACITY = {"HBM2_4Gb_x128": 4 << 30, "DDR4_8Gb_x8_3200": 16 << 30}
SOURCE = "DRAMsim3 29817593 (umd-memsys), shared validation set; see data/dramsim3_README.md"


def _cases(area: str, name: str, res, ref: dict[str, float]) -> list[Case]:  # type: ignore[no-untyped-def]
    out = []
    if "bw" in ref:
        out.append(Case(area, name, "bandwidth", ref["bw"], res.bandwidth_gbps, "GB/s", TARGETS["bandwidth"], SOURCE))
    out.append(Case(area, name, "latency", ref["lat"], res.avg_read_latency_cycles, "cycles", TARGETS["latency"], SOURCE))
    if "hit" in ref:
        out.append(Case(area, name, "row_hit", 100 * ref["hit"], 100 * res.row_hit_rate, "pp", TARGETS["row_hit"],
                        SOURCE, absolute=True))
    if "act" in ref:
        out.append(Case(area, name, "act", ref["act"], res.act_count, "cmds", TARGETS["act"], SOURCE))
    return out


def run_dramsim3(requests: int | None = None) -> list[Case]:
    """Replay every reference case through accelsim's DRAM model (``requests`` caps the trace length for
    quick checks; the reference figures are for the full length)."""
    from ..config.dram import read_dramsim3_ini
    from ..engine.dram import replay_trace
    from .dram_traces import make_trace

    configs = {name: read_dramsim3_ini(str(DATA / f"{name}.ini"))[0] for name in CAPACITY}
    cases: list[Case] = []
    with open(DATA / "dramsim3_results.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            n = int(r["requests"]) if requests is None else min(requests, int(r["requests"]))
            a, w, cyc = make_trace(r["pattern"], n, CAPACITY[r["config"]])
            res = replay_trace(configs[r["config"]], a, w, cyc, unlimited=r["driver"] == "driveU")
            ref = {"bw": float(r["achieved_bw_GBps"]), "lat": float(r["avg_read_latency_cycles"]),
                   "hit": float(r["row_hit_rate"]), "act": float(r["act_cmds"])}
            cases += _cases("dram", f"{r['config']}/{r['pattern']}/{r['driver']}", res, ref)
    with open(DATA / "dramsim3_sweeps.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            n = int(r["requests"]) if requests is None else min(requests, int(r["requests"]))
            if r["experiment"].startswith("stride"):
                a, w, cyc = make_trace("stride", n, CAPACITY[r["config"]], stride=int(r["stride_B"]))
                res = replay_trace(configs[r["config"]], a, w, cyc, unlimited=True)
                ref = {"bw": float(r["bw_GBps"]), "lat": float(r["avg_read_latency_cycles"]),
                       "hit": float(r["row_hit_rate"]), "act": float(r["act_cmds"])}
                cases += _cases("dram", f"{r['config']}/stride{r['stride_B']}", res, ref)
            else:
                if int(r["reads_done"]) < int(r["requests"]):
                    continue  # saturated: DRAMsim3 stopped at a fixed cycle with requests still queued
                a, w, cyc = make_trace("random", n, CAPACITY[r["config"]], gap=int(r["gap_cycles"]))
                res = replay_trace(configs[r["config"]], a, w, cyc, unlimited=False)
                cases += _cases("dram", f"{r['config']}/openloop_gap{r['gap_cycles']}", res,
                                {"lat": float(r["avg_read_latency_cycles"])})
    return cases
