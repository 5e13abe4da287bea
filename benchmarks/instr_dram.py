#!/usr/bin/env python3
"""Instructions per request of the DRAM trace replay, counted by valgrind's callgrind: a speed measure that
repeats exactly, where wall-clock rates drift with the machine (``bench_dram.py`` on the development machine
has measured the same code at 6.2 and 9.5 M requests/s an hour apart).

    python benchmarks/instr_dram.py [--pattern seq|random] [--unlimited] [--requests 100000]

Each measurement replays the trace twice under callgrind, at N and 2N requests, in a child process that has
loaded the Numba kernels from their cache before instrumentation is switched on (``--instr-atstart=no`` and
``callgrind_control -i on``); the difference of the two totals over N is the cost of one request, free of
the fixed costs (device set-up, statistics). Needs valgrind (Debian: ``apt install valgrind``); the kernels
must be in Numba's cache (run ``bench_dram.py`` or the tests once), otherwise compiling under valgrind takes
many minutes. A compare of two versions: run this in each checkout.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import os, sys, time
sys.path.insert(0, {root!r})
import numpy as np
from accelsim.config.dram import read_dramsim3_ini
from accelsim.engine.dram import replay_trace
from accelsim.validate.dram_traces import make_trace
cfg, _ = read_dramsim3_ini(os.path.join({root!r}, "accelsim", "validate", "data", "HBM2_4Gb_x128.ini"))
a, w, c = make_trace({pattern!r}, {n}, cfg.derive().capacity_bytes)
replay_trace(cfg, a[:1000], w[:1000], c[:1000], unlimited={unlimited})  # loads the kernels
open({ready!r}, "w").close()
time.sleep(2)  # the parent switches instrumentation on
replay_trace(cfg, a, w, c, unlimited={unlimited})
os._exit(0)
"""


def count(pattern: str, n: int, unlimited: bool) -> int:
    """Instructions callgrind counts for one replay of ``n`` requests (after the kernels are loaded)."""
    with tempfile.TemporaryDirectory() as tmp:
        ready, out = os.path.join(tmp, "ready"), os.path.join(tmp, "cg.out")
        script = os.path.join(tmp, "child.py")
        Path(script).write_text(_CHILD.format(root=str(ROOT), pattern=pattern, n=n, unlimited=unlimited, ready=ready))
        proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                                 sys.executable, script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        while not os.path.exists(ready):
            if proc.poll() is not None:
                raise SystemExit("the child ended before the replay:\n" + (proc.stdout.read() if proc.stdout else ""))
            time.sleep(0.5)
        subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], check=True, capture_output=True)
        log, _ = proc.communicate()
        m = re.search(r"Collected : (\d+)", log)
        if not m:
            raise SystemExit("no instruction count in valgrind's output:\n" + log[-2000:])
        return int(m.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pattern", choices=("seq", "random"), default=None, help="default: both")
    ap.add_argument("--unlimited", action="store_true", help="issue rate unlimited (default: 1 per cycle)")
    ap.add_argument("--requests", type=int, default=100_000, help="N (the replays are N and 2N requests)")
    a = ap.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed (Debian: apt install valgrind)", file=sys.stderr)
        return 2
    rate = "unlimited" if a.unlimited else "1"
    for pattern in ([a.pattern] if a.pattern else ["seq", "random"]):
        lo, hi = count(pattern, a.requests, a.unlimited), count(pattern, 2 * a.requests, a.unlimited)
        print(f"{pattern:6s} issue-rate {rate:9s} {(hi - lo) / a.requests:8.0f} instructions per request "
              f"(callgrind, HBM2_4Gb_x128, {a.requests:,} and {2 * a.requests:,} requests)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
