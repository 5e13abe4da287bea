#!/usr/bin/env python3
"""Speed of the systolic-array GEMM cost model (``accelsim gemm``) next to SCALE-Sim's own run time.

    python benchmarks/bench_gemm.py [--repeat 3]

1. A 4096 x 4096 x 4096 GEMM on a 128 x 128 array, each dataflow (SCALE-Sim has no figure for it: its
   README notes over 10 minutes and 7.7 GB for a smaller 128 x 4096 x 4096 GEMM on a 32 x 32 array).
2. The LLaMA-7B-sized reference cases (tags ``decode_llama7b_*`` and ``prefill_llama7b_qkvo``, CALC rows of
   ``accelsim/validate/data/scalesim_gemm.csv``), with SCALE-Sim's recorded ``sim_run_s`` (its simulation)
   and ``process_wall_s`` (the whole process) from the same file, and a check that the cycles agree.

Times are the best of ``--repeat`` calls of :func:`accelsim.kernels.systolic.gemm_cost` in this process,
after one warm-up call that compiles (or loads) the Numba kernels; the compile time is excluded.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from accelsim.kernels.systolic import DATAFLOWS, SystolicCost, gemm_cost  # noqa: E402
from accelsim.validate.scalesim import load_scalesim_reference  # noqa: E402

LLAMA_TAGS = ("decode_llama7b_qkvo", "decode_llama7b_ffn_up", "prefill_llama7b_qkvo")


def best_time(repeat: int, m: int, n: int, k: int, rows: int, cols: int, dataflow: str) -> tuple[float, SystolicCost]:
    """Best wall time in seconds of ``repeat`` calls, and the result."""
    best, cost = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        cost = gemm_cost(m, n, k, rows, cols, dataflow)
        best = min(best, time.perf_counter() - t)
    assert cost is not None
    return best, cost


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    t = time.perf_counter()
    gemm_cost(64, 64, 64, 32, 32, "os")
    print(f"warm-up (Numba compile or cache load): {time.perf_counter() - t:.2f} s\n")

    print("4096 x 4096 x 4096 on 128 x 128 (SCALE-Sim: no figure; > 10 min for 128 x 4096 x 4096 on 32 x 32)")
    print(f"  {'dataflow':<9} {'accelsim s':>11} {'compute cycles':>15} {'DRAM ifmap reads':>17}")
    for df in DATAFLOWS:
        s, c = best_time(a.repeat, 4096, 4096, 4096, 128, 128, df)
        print(f"  {df:<9} {s:11.3f} {c.compute_cycles:15,} {c.dram_ifmap_reads:17,}")

    print("\nLLaMA-7B-sized SCALE-Sim reference cases (CALC)")
    print(f"  {'case':<40} {'accelsim s':>11} {'SCALE-Sim run s':>16} {'process s':>10} {'speed-up':>9}  cycles")
    for r in load_scalesim_reference("CALC"):
        if r["tag"] not in LLAMA_TAGS:
            continue
        s, c = best_time(a.repeat, int(r["M"]), int(r["N"]), int(r["K"]), int(r["array_rows"]),
                         int(r["array_cols"]), r["dataflow"])
        ref_run, ref_proc = float(r["sim_run_s"]), float(r["process_wall_s"])
        same = "equal" if c.compute_cycles == int(r["compute:Total Cycles"]) else "DIFFERENT"
        print(f"  {r['name']:<40} {s:11.4f} {ref_run:16.1f} {ref_proc:10.1f} {ref_proc / s:8.0f}x  {same}")


if __name__ == "__main__":
    main()
