"""Durations of GPU kernels and of the host work that launches them (Numba).

One trace instruction is one GPU kernel (opcode ``KERNEL``) or one piece of host work (opcode ``HOST``); the
compiler (accelsim/compiler/gpu.py) documents which trace column carries what. The mechanisms:

* **GEMM** ``C[M,N] = A[M,K] B[K,N]`` (``groups`` independent ones per launch): the output is cut into CTA
  tiles ``tm x tn``; a tile costs ``max(tm tn K 2 / (SM rate x efficiency), (tm + tn) K bytes / SM's L2
  bandwidth)`` (compute at the precision's tensor rate, or the L2 feed of a small tile); tiles run in waves
  over the SMs, so the compute time is ``ceil(tiles / SMs) x tile time`` (tile and wave quantisation); the
  library picks the best of a few tile shapes (cuBLAS/CUTLASS Ampere shapes 128x256 ... 64x64). The kernel
  takes ``max(compute, DRAM bytes / sustained bandwidth) + kernel latency`` — for M of a few rows (a GEMV)
  this is the bandwidth term, whose efficiency falls with size because of the fixed latency.
* **Memory-bound kernels** (norms, RoPE, activations, residual adds, KV-cache writes, copies, sampling):
  ``passes x latency + bytes / sustained bandwidth``.
* **Prefill attention (FlashAttention-2 forward)**: one CTA per 128 query rows and head; a CTA's causal work
  is its 64-key blocks up to its last query x 4 x 128 x 64 x d FLOPs at the tensor rate x FA-2's main-loop
  efficiency; CTAs are list-scheduled on the SMs heaviest first (FA-2 reverses the causal tile order), the
  makespan against the Q/K/V/O DRAM traffic.
* **Decode attention (paged / FlashDecoding)**: streams the KV pages at the sustained bandwidth unless its
  grid is too small: ``min(CTAs, SMs)`` SMs each fed at most its share of the L2 bandwidth.
* **Host**: launches cost (torch ops x op cost + module calls x module cost + kernel-less ops x their cost);
  fixed per-step work (schedule/prepare, sampler, output processing) is ``fixed + per sequence x batch``;
  a sync costs its latency (the wait for the device is the engine's dependency, not part of the duration).

Parameters travel as one float64 array (:data:`PARAM_NAMES`) so the compiled signature never changes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["PARAM_NAMES", "gpu_durations_ps", "OP_KERNEL", "OP_HOST", "K_GEMM", "K_MEMORY", "K_ATTN_PREFILL",
           "K_ATTN_DECODE", "H_LAUNCH", "H_FIXED", "H_SYNC", "FIXED_PREPARE", "FIXED_SAMPLER", "FIXED_PROCESS",
           "GEMM_TILES", "PRECISION_BYTES", "kernel_utilization"]

OP_KERNEL, OP_HOST = 5, 6  # must equal accelsim.compiler.isa KERNEL, HOST
#: kernel classes (the trace's ``func`` column of a KERNEL instruction)
K_GEMM, K_MEMORY, K_ATTN_PREFILL, K_ATTN_DECODE = 0, 1, 2, 3
#: host work classes (``func`` of a HOST instruction) and the fixed per-step costs (``passes`` of H_FIXED)
H_LAUNCH, H_FIXED, H_SYNC = 0, 1, 2
FIXED_PREPARE, FIXED_SAMPLER, FIXED_PROCESS = 0, 1, 2

#: CTA tile shapes (tm, tn) a GEMM library chooses among (CUTLASS 2.x / cuBLAS sm80 fp16 tiles)
GEMM_TILES = np.array([[128, 256], [256, 128], [128, 128], [128, 64], [64, 128], [64, 64]], dtype=np.int64)
#: operand bytes per element of the tensor-core precisions, in accelsim.config.gpu.PRECISIONS order
PRECISION_BYTES = np.array([2.0, 2.0, 1.0, 1.0, 4.0, 0.5])
#: FlashAttention-2 forward tiles for head dim <= 128 on sm80 (flash-attn 2.x kernel traits: kBlockM 128,
#: kBlockN 64)
FA2_BLOCK_M, FA2_BLOCK_N = 128, 64

PARAM_NAMES = ("sm_count", "sm_clock_hz", "bandwidth_bytes_per_s", "sustained_fraction", "kernel_latency_s",
               "tensor_efficiency", "l2_bytes_per_clk", "fp32_flops", "rate_fp16", "rate_bf16", "rate_int8",
               "rate_fp8", "rate_tf32", "rate_int4", "torch_op_host_s", "module_call_host_s", "python_op_host_s",
               "sync_host_s", "step_prepare_s", "step_prepare_per_seq_s", "sampler_host_s", "sampler_host_per_seq_s",
               "process_outputs_s", "process_outputs_per_seq_s", "fa2_efficiency")


@njit(cache=True)
def _cdiv(a: np.int64, b: np.int64) -> np.int64:
    return (a + b - 1) // b


@njit(cache=True)
def _rate(params: np.ndarray, path: np.int64) -> float:
    r = params[8 + path] if 0 <= path < 6 else 0.0
    return r if r > 0.0 else params[7]


@njit(cache=True)
def _gemm_compute_s(m: np.int64, n: np.int64, k: np.int64, groups: np.int64, path: np.int64,
                    params: np.ndarray) -> float:
    sms = np.int64(params[0])
    sm_rate = _rate(params, path) / sms
    eff = params[5]
    l2_sm = params[6] * params[1] / sms
    elem = PRECISION_BYTES[path] if 0 <= path < 6 else 4.0
    best = 1e300
    for t in range(GEMM_TILES.shape[0]):
        tm, tn = GEMM_TILES[t, 0], GEMM_TILES[t, 1]
        tiles = _cdiv(m, tm) * _cdiv(n, tn) * groups
        waves = _cdiv(tiles, sms)
        tile_s = max(2.0 * tm * tn * k / (sm_rate * eff), (tm + tn) * k * elem / l2_sm)
        if waves * tile_s < best:
            best = waves * tile_s
    return best


@njit(cache=True)
def _fa2_compute_s(heads_total: np.int64, kv: np.int64, d: np.int64, q: np.int64, path: np.int64,
                   params: np.ndarray) -> float:
    """Makespan of FA-2's CTAs (heaviest first) on the SMs; every (sequence, head) has the same tiles."""
    sms = np.int64(params[0])
    sm_rate = _rate(params, path) / sms
    eff = params[24]
    past = kv - q
    n_qt = _cdiv(q, np.int64(FA2_BLOCK_M))
    load = np.zeros(sms, dtype=np.float64)
    for i in range(n_qt - 1, -1, -1):  # the last query tile attends to the most keys
        last_row = min((i + 1) * FA2_BLOCK_M, q)
        blocks = _cdiv(past + last_row, np.int64(FA2_BLOCK_N))
        tile_s = 4.0 * FA2_BLOCK_M * FA2_BLOCK_N * blocks * d / (sm_rate * eff)
        for _c in range(heads_total):
            j = 0
            for s in range(1, sms):
                if load[s] < load[j]:
                    j = s
            load[j] += tile_s
    return load.max()


@njit(cache=True)
def gpu_durations_ps(opcode: np.ndarray, func: np.ndarray, rows: np.ndarray, cols: np.ndarray, red: np.ndarray,
                     passes: np.ndarray, nbytes: np.ndarray, written: np.ndarray, grid: np.ndarray, path: np.ndarray,
                     params: np.ndarray) -> np.ndarray:
    """Duration in ps of every KERNEL and HOST instruction of a trace (0 for other opcodes)."""
    n = opcode.shape[0]
    out = np.zeros(n, dtype=np.int64)
    sms = np.int64(params[0])
    bw = params[2] * params[3]
    lat = params[4]
    l2_sm = params[6] * params[1] / sms
    for i in range(n):
        s = 0.0
        if opcode[i] == OP_KERNEL:
            traffic = float(nbytes[i] + written[i])
            f = func[i]
            if f == K_GEMM:
                compute = _gemm_compute_s(rows[i], cols[i], red[i], max(np.int64(1), passes[i]), path[i], params)
                s = max(compute, traffic / bw) + lat
            elif f == K_MEMORY:
                s = max(np.int64(1), passes[i]) * lat + traffic / bw
            elif f == K_ATTN_PREFILL:
                compute = _fa2_compute_s(rows[i], cols[i], red[i], passes[i], path[i], params)
                s = max(compute, traffic / bw) + lat
            elif f == K_ATTN_DECODE:
                active = min(max(np.int64(1), grid[i]), sms)
                s = traffic / min(bw, active * l2_sm) + lat
        elif opcode[i] == OP_HOST:
            f = func[i]
            if f == H_LAUNCH:
                s = rows[i] * params[14] + cols[i] * params[15] + red[i] * params[16]
            elif f == H_FIXED:
                slot = passes[i]
                s = params[18 + 2 * slot] + rows[i] * params[19 + 2 * slot]
            elif f == H_SYNC:
                s = params[17]
        else:
            continue
        out[i] = np.int64(np.round(s * 1e12))
    return out


@njit(cache=True)
def kernel_utilization(opcode: np.ndarray, macs: np.ndarray, nbytes: np.ndarray, written: np.ndarray,
                       path: np.ndarray, duration_ps: np.ndarray, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per instruction: (tensor-core utilisation, DRAM bandwidth utilisation), each in [0, 1], of kernels."""
    n = opcode.shape[0]
    tensor = np.zeros(n, dtype=np.float64)
    memory = np.zeros(n, dtype=np.float64)
    for i in range(n):
        if opcode[i] != OP_KERNEL or duration_ps[i] <= 0:
            continue
        t = duration_ps[i] * 1e-12
        tensor[i] = min(1.0, 2.0 * macs[i] / (_rate(params, path[i]) * t))
        memory[i] = min(1.0, (nbytes[i] + written[i]) / (params[2] * t))
    return tensor, memory
