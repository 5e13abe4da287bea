#!/usr/bin/env python3
"""Speed of the cycle-level DRAM model: requests per second on one core.

    python benchmarks/bench_dram.py [--requests 10000000] [--repeat 2]

1. Trace mode (``accelsim dram``): sequential and random 64 B reads through DRAMsim3's HBM2_4Gb_x128 channel
   group (8 channels), as DRAMsim3 replays them, at issue rate 1 and unlimited. Every request goes through
   the controller queues and bank state machines; nothing is extrapolated.
2. Engine mode: the same number of requests as load instructions over the VHK158's 32 HBM2E pseudo-channels
   (32 B requests), as the simulator issues weight streams: with channel classes (all channels receive the
   same stream, so one is simulated, exactly) and with every channel simulated.

The issue's targets: >= 20 M requests/s streaming and >= 5 M/s random in trace mode (DRAMsim3 does ~0.1-0.35
M/s on these machines). Numba compile time is excluded (one small warm-up run first).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from accelsim.config import load_hardware  # noqa: E402
from accelsim.config.dram import read_dramsim3_ini  # noqa: E402
from accelsim.engine.dram import DramMemory, replay_trace  # noqa: E402
from accelsim.validate.dram_traces import make_trace  # noqa: E402


def trace_rate(cfg, pattern: str, n: int, unlimited: bool, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    addrs, writes, cycles = make_trace(pattern, n, cfg.derive().capacity_bytes)
    best, res = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        res = replay_trace(cfg, addrs, writes, cycles, unlimited=unlimited)
        best = min(best, time.perf_counter() - t)
    return n / best, res


def engine_rate(n: int, share: bool, random_rows: bool) -> tuple[float, float]:
    mem_cfg = load_hardware("vhk158-flightllm").memories["hbm"]

    class M(DramMemory):
        share_channels = share

    mem = M("hbm", mem_cfg)
    env = simpy.Environment()
    mem.attach(env)
    rb = mem.d.request_bytes
    # weight tiles of 64 KiB per channel; "random" places each tile at a random row-aligned address
    tile = 64 * 1024 * mem.channels
    ntiles = max(1, n * rb // tile)
    rng = np.random.default_rng(1)
    addrs = (rng.integers(0, 2**24, ntiles) * 4096 * mem.channels if random_rows
             else np.arange(ntiles) * tile).tolist()

    def proc():  # type: ignore[no-untyped-def]
        dones = []
        for a in addrs:
            acc, done = mem.access(env.now, 0, mem.channels, 1, tile, False, 0, int(a))
            yield acc
            dones.append(done)
        yield env.all_of(dones)

    t = time.perf_counter()
    env.process(proc())
    env.run()
    wall = time.perf_counter() - t
    reqs = ntiles * tile // rb
    return reqs / wall, ntiles * tile / (env.now * 1e-12) / 1e9


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    cfg, _ = read_dramsim3_ini(str(ROOT / "accelsim" / "validate" / "data" / "HBM2_4Gb_x128.ini"))
    trace_rate(cfg, "seq", 20_000, True, 1)  # compile
    engine_rate(100_000, True, False)
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; {args.requests:,} requests per run")
    print("trace mode, DRAMsim3 HBM2_4Gb_x128 (8 channels x 128 bit, 64 B requests):")
    for pattern in ("seq", "random"):
        for unlimited in (False, True):
            rate, res = trace_rate(cfg, pattern, args.requests, unlimited, args.repeat)
            print(f"  {pattern:6s} issue-rate {'unlimited' if unlimited else '1':9s} {rate / 1e6:6.2f} M requests/s"
                  f"   (simulated {res.bandwidth_gbps:6.1f} GB/s, row hits {res.row_hit_rate:.3f})")  # type: ignore[attr-defined]
    print("engine mode, VHK158 32 x HBM2E pseudo-channels (32 B requests), 64 KiB per channel per load:")
    for share in (True, False):
        for random_rows in (False, True):
            n = args.requests if share else args.requests // 4
            rate, gbps = engine_rate(n, share, random_rows)
            print(f"  {'channel classes' if share else 'every channel  '} {'random tiles' if random_rows else 'sequential  '}"
                  f" {rate / 1e6:7.2f} M requests/s   (simulated {gbps:6.1f} GB/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
