#!/usr/bin/env python3
"""Wall time of the shipped FPGA design-space sweep, as a user runs it (``accelsim sweep`` in a fresh process,
a local pool of one worker per CPU, Numba caches warm).

    python benchmarks/bench_sweep.py [--fidelity roofline|cycle] [--max-points N] [--workers N]

The design-space issue's targets for ``experiments/fpga-dsp-hbm-sweep.yaml`` (576 points, LLaMA-2-7B, prompt
128, 128 generated tokens) on the 2-core machine: under 20 s at ``roofline``, under 5 minutes at full
fidelity. Prints points, ok/skipped/failed, wall seconds and seconds per point; every point is simulated
(a fresh result directory each time), nothing is extrapolated unless --max-points cuts the sweep, in which
case the line says so.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiment", default=str(ROOT / "experiments" / "fpga-dsp-hbm-sweep.yaml"))
    ap.add_argument("--fidelity", default="roofline", choices=("roofline", "cycle", "exact"))
    ap.add_argument("--max-points", type=int, default=None)
    ap.add_argument("--workers", type=int, default=None)
    a = ap.parse_args()
    # warm the Numba cache once (not timed), as a user's second sweep would find it
    subprocess.run([sys.executable, "-m", "accelsim.cli", "run", "vhk158-flightllm", "gpt2-small", "--prompt", "16",
                    "--gen", "2"], check=True, capture_output=True, cwd=ROOT)
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "accelsim.cli", "sweep", a.experiment, "--out", out, "--fidelity", a.fidelity]
        if a.max_points:
            cmd += ["--max-points", str(a.max_points)]
        if a.workers:
            cmd += ["--workers", str(a.workers)]
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        if r.returncode:
            print(r.stdout, r.stderr, file=sys.stderr)
            return r.returncode
        import pandas as pd

        df = pd.read_csv(os.path.join(out, "results.csv"))
    n = len(df)
    counts = df["status"].value_counts().to_dict()
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{Path(a.experiment).name} at {a.fidelity}: {n} points "
          f"({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))}) in {wall:.1f} s wall, "
          f"{wall / max(n, 1):.2f} s per point; mean point wall in its worker {df['wall_s'].mean():.2f} s")
    if a.max_points:
        print(f"(first {a.max_points} points only: the whole sweep was not run)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
