#!/usr/bin/env python3
"""Wall time of the main job, end to end, as a user runs it (a fresh `accelsim` process each time).

    python benchmarks/bench_run.py [--repeat 3] [--gen 512] [--hw vhk158-flightllm] [--workload llama2-7b]

Times ``accelsim run hwconfigs/vhk158-flightllm.yaml workloads/llama2-7b.yaml --prompt 128 --gen 512`` (or
the device and workload given; the flash issue's target: ``--hw cambricon-llm-l --workload llama2-70b
--gen 128`` under 30 s) after
one warm-up run that fills the Numba cache (NUMBA_CACHE_DIR, a temporary directory unless set). Every decode
step is simulated at full fidelity (fidelity "cycle": repeated blocks replay their recorded outcome, nothing
is extrapolated). Prints the timings and the simulator's own counters.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--prompt", type=int, default=128)
    ap.add_argument("--gen", type=int, default=512)
    ap.add_argument("--hw", default="vhk158-flightllm", help="hwconfig name (hwconfigs/NAME.yaml)")
    ap.add_argument("--workload", default="llama2-7b", help="workload name (workloads/NAME.yaml)")
    args = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("NUMBA_CACHE_DIR", tempfile.mkdtemp(prefix="accelsim-bench-numba-"))
    hw, wl = f"hwconfigs/{args.hw}.yaml", f"workloads/{args.workload}.yaml"
    cmd = [sys.executable, "-m", "accelsim.cli", "run", hw, wl,
           "--prompt", str(args.prompt), "--gen", str(args.gen), "--json"]
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    cold = time.perf_counter() - t
    walls, result = [], {}
    for _ in range(args.repeat):
        t = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
        walls.append(time.perf_counter() - t)
        result = json.loads(proc.stdout)
    print(f"command: accelsim run {hw} {wl} --prompt {args.prompt} --gen {args.gen}")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"first run (compiles the Numba kernels into the cache): {cold:.2f} s")
    print(f"warm runs: min {min(walls):.2f} s, median {statistics.median(walls):.2f} s over {len(walls)} "
          f"(in-process simulation {result['sim_wall_s']:.2f} s)")
    sim = result["sim"]
    print(f"simulated: {sim['instructions_executed']:,} instructions in {len(result['decode_step_s'])} decode steps + prefill;"
          f" {sim['blocks_simulated']} blocks simulated in SimPy ({sim['simpy_events']:,} events),"
          f" {sim['blocks_reused']:,} replayed")
    print(f"result: prefill {result['prefill_s'] * 1e3:.1f} ms, decode {result['decode_s'] * 1e3:.1f} ms, "
          f"{result['tokens_per_s']:.1f} tokens/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
