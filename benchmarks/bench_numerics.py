#!/usr/bin/env python3
"""Wall time of the functional (numerics) run of one LLaMA-2-7B-sized layer in INT8 weights and activations.

    python benchmarks/bench_numerics.py [--repeat 3]

Times the device numerics of one full-width LLaMA-2-7B layer (4096 hidden, 11008 FFN, 32 heads; a 256-token
vocabulary so that the embedding and LM head do not dominate): quantizing the layer's weights (202 M
parameters, INT8, per-channel scales) and running an 8-token prefill plus 8 decode steps with INT8
activations, an INT8 KV cache and FP16 special functions. Generating the random float64 weights (the test
fixture, not the functional unit) is timed separately. Numba compile time is excluded (one warm-up run).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accelsim.config import load_hardware, load_workload  # noqa: E402
from accelsim.functional.device import DeviceNumerics  # noqa: E402
from accelsim.functional.reference import Decoder, dims, random_weights  # noqa: E402
from accelsim.workload import resolve_numerics  # noqa: E402


def run(d, w, num) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    dec = Decoder(d, w, DeviceNumerics(num.formats, dict(num.sparsity)))
    t1 = time.perf_counter()
    dec.forward(np.arange(8))
    for i in range(8):
        dec.forward(np.array([i]))
    return t1 - t0, time.perf_counter() - t1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    m = load_workload("llama2-7b")
    hw = load_hardware("vhk158-flightllm", {"deployment.formats.weights": "int8", "deployment.sparsity": {}})
    num = resolve_numerics(m, hw.deployment)
    small = dims(m, layers=1, hidden=256, vocab=64)
    run(small, random_weights(small), num)  # compile
    d = dims(m, layers=1, vocab=256)
    t = time.perf_counter()
    w = random_weights(d)
    gen = time.perf_counter() - t
    best = min((run(d, w, num) for _ in range(args.repeat)), key=sum)
    print(f"one LLaMA-2-7B layer ({sum(v.size for v in w.values()) / 1e6:.0f} M parameters), INT8 weights and "
          f"activations, INT8 KV cache, FP16 SFU:")
    print(f"  quantize weights {best[0]:.2f} s, prefill 8 + 8 decode steps {best[1]:.2f} s, "
          f"functional run {sum(best):.2f} s (random weights generated in {gen:.2f} s, not counted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
