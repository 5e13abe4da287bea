#!/usr/bin/env python3
"""Speed of the number-format and arithmetic kernels (Numba) next to their plain-numpy twins.

    python benchmarks/bench_formats.py [--repeat 5]

1. A 4096 x 4096 GEMV with INT4 weights group-quantized along K (group 128, FP16 scales, symmetric) and
   float64 activations: :func:`accelsim.kernels.arith.dequant_gemm_core` (each group's partial sum scaled
   once) against :func:`accelsim.kernels.reference_arith.dequant_gemm_ref` (dequantize the whole weight with
   numpy broadcasting, then ``x @ W.T``).
2. MXFP4 quantize + dequantize of 16 M (2**24) elements: :func:`accelsim.kernels.formats.quantize_block_scaled`
   (allocating its output) and :func:`~accelsim.kernels.formats.quantize_block_scaled_into` (into a
   preallocated array) against :func:`accelsim.kernels.reference_formats.quantize_block_scaled_ref`
   (vectorised ``frexp``/``rint`` over the whole array). The time to allocate and first touch a 128 MiB
   array is printed too: on small VMs page faults are a large part of every variant's time.

Times are the best of ``--repeat`` calls after one warm-up call that compiles (or loads) the kernels; both
sides get the same inputs and the results are checked to agree. The target is a ratio of at least 10.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from accelsim import formats as F  # noqa: E402
from accelsim.kernels import arith, formats, reference_arith, reference_formats  # noqa: E402

GEMV_N = GEMV_K = 4096
GEMV_GROUP = 128
MX_ELEMENTS = 2 ** 24


def best(repeat: int, fn: Callable[[], object]) -> tuple[float, object]:
    """Best wall time in seconds of ``repeat`` calls of ``fn`` (after a warm-up call), and its result."""
    out = fn()
    t_best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)

    w = rng.standard_normal((GEMV_N, GEMV_K))
    enc = F.encode_int(w, "int4", group_size=GEMV_GROUP)
    codes = enc.codes.astype(np.int8)  # as arith.dequant_gemm passes INT4/INT8 codes
    x = rng.standard_normal((1, GEMV_K))
    t_k, y_k = best(args.repeat, lambda: arith.dequant_gemm_core(x, codes, enc.scales, enc.zero_points, GEMV_GROUP))
    t_r, y_r = best(args.repeat, lambda: reference_arith.dequant_gemm_ref(x, codes, enc.scales, enc.zero_points,
                                                                          GEMV_GROUP))
    assert np.allclose(y_k, y_r, rtol=1e-12, atol=1e-9)

    blocks = rng.standard_normal((MX_ELEMENTS // F.MX_BLOCK_SIZE, F.MX_BLOCK_SIZE)) * 3.0
    mbits, emin, mx, _ = formats.FLOAT_FORMATS["fp4_e2m1"]
    mx_args = (formats.ELEM_FLOAT, mbits, emin, mx, 2)
    t_mk, (v_k, _) = best(args.repeat, lambda: formats.quantize_block_scaled(blocks, *mx_args))
    out, exps = np.empty_like(blocks), np.empty(blocks.shape[0], dtype=np.int64)
    t_mi, _ = best(args.repeat, lambda: formats.quantize_block_scaled_into(blocks, *mx_args, out, exps))
    t_mr, (v_r, _) = best(args.repeat, lambda: reference_formats.quantize_block_scaled_ref(blocks, *mx_args))
    assert np.array_equal(v_k, v_r) and np.array_equal(out, v_r)
    t_touch, _ = best(args.repeat, lambda: np.ones_like(blocks))

    print("| what | Numba kernel | numpy twin | ratio |")
    print("|---|---:|---:|---:|")
    print(f"| INT4 g128 GEMV {GEMV_N}x{GEMV_K} (dequantize on the fly) | {t_k * 1e3:.1f} ms | {t_r * 1e3:.1f} ms "
          f"| {t_r / t_k:.1f}x |")
    print(f"| MXFP4 quantize+dequantize, {MX_ELEMENTS / 2 ** 20:.0f} M elements | {t_mk * 1e3:.0f} ms "
          f"| {t_mr * 1e3:.0f} ms | {t_mr / t_mk:.1f}x |")
    print(f"| MXFP4, into a preallocated output | {t_mi * 1e3:.0f} ms | {t_mr * 1e3:.0f} ms | {t_mr / t_mi:.1f}x |")
    print(f"(GEMV: {GEMV_N * GEMV_K / t_k / 1e9:.2f} G weights/s; MXFP4: {MX_ELEMENTS / t_mi / 1e6:.0f} M elements/s "
          f"into a preallocated array; allocating and first touching one {blocks.nbytes / 2 ** 20:.0f} MiB array "
          f"alone takes {t_touch * 1e3:.0f} ms here)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
