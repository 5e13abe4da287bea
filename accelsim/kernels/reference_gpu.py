"""Plain-Python twin of :mod:`accelsim.kernels.gpu` for equivalence tests (same inputs, same outputs)."""

from __future__ import annotations

import numpy as np

__all__ = ["gpu_durations_ps_ref", "kernel_utilization_ref"]

_TILES = ((128, 256), (256, 128), (128, 128), (128, 64), (64, 128), (64, 64))
_BYTES = (2.0, 2.0, 1.0, 1.0, 4.0, 0.5)


def _rate(p: list[float], path: int) -> float:
    r = p[8 + path] if 0 <= path < 6 else 0.0
    return r if r > 0.0 else p[7]


def _gemm(m: int, n: int, k: int, groups: int, path: int, p: list[float]) -> float:
    sms = int(p[0])
    sm_rate = _rate(p, path) / sms
    l2_sm = p[6] * p[1] / sms
    elem = _BYTES[path] if 0 <= path < 6 else 4.0
    times = []
    for tm, tn in _TILES:
        waves = -(-(-(-m // tm) * -(-n // tn) * groups) // sms)
        times.append(waves * max(2.0 * tm * tn * k / (sm_rate * p[5]), (tm + tn) * k * elem / l2_sm))
    return min(times)


def _fa2(heads_total: int, kv: int, d: int, q: int, path: int, p: list[float]) -> float:
    sms = int(p[0])
    sm_rate = _rate(p, path) / sms
    past = kv - q
    load = [0.0] * sms
    for i in reversed(range(-(-q // 128))):
        blocks = -(-(past + min((i + 1) * 128, q)) // 64)
        tile = 4.0 * 128 * 64 * blocks * d / (sm_rate * p[24])
        for _ in range(heads_total):
            j = min(range(sms), key=lambda s: (load[s], s))
            load[j] += tile
    return max(load)


def gpu_durations_ps_ref(opcode: np.ndarray, func: np.ndarray, rows: np.ndarray, cols: np.ndarray, red: np.ndarray,
                         passes: np.ndarray, nbytes: np.ndarray, written: np.ndarray, grid: np.ndarray,
                         path: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Twin of :func:`accelsim.kernels.gpu.gpu_durations_ps`."""
    p = [float(x) for x in params]
    sms = int(p[0])
    bw = p[2] * p[3]
    l2_sm = p[6] * p[1] / sms
    out = np.zeros(len(opcode), dtype=np.int64)
    for i in range(len(opcode)):
        op, f = int(opcode[i]), int(func[i])
        r, c, k, ps, pa = int(rows[i]), int(cols[i]), int(red[i]), int(passes[i]), int(path[i])
        traffic = float(int(nbytes[i]) + int(written[i]))
        if op == 5:
            if f == 0:
                s = max(_gemm(r, c, k, max(1, ps), pa, p), traffic / bw) + p[4]
            elif f == 1:
                s = max(1, ps) * p[4] + traffic / bw
            elif f == 2:
                s = max(_fa2(r, c, k, ps, pa, p), traffic / bw) + p[4]
            else:
                s = traffic / min(bw, min(max(1, int(grid[i])), sms) * l2_sm) + p[4]
        elif op == 6:
            if f == 0:
                s = r * p[14] + c * p[15] + k * p[16]
            elif f == 1:
                s = p[18 + 2 * ps] + r * p[19 + 2 * ps]
            else:
                s = p[17]
        else:
            continue
        out[i] = int(np.round(s * 1e12))
    return out


def kernel_utilization_ref(opcode: np.ndarray, macs: np.ndarray, nbytes: np.ndarray, written: np.ndarray,
                           path: np.ndarray, duration_ps: np.ndarray, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Twin of :func:`accelsim.kernels.gpu.kernel_utilization`."""
    p = [float(x) for x in params]
    tensor = np.zeros(len(opcode))
    memory = np.zeros(len(opcode))
    for i in range(len(opcode)):
        if int(opcode[i]) != 5 or duration_ps[i] <= 0:
            continue
        t = float(duration_ps[i]) * 1e-12
        tensor[i] = min(1.0, 2.0 * float(macs[i]) / (_rate(p, int(path[i])) * t))
        memory[i] = min(1.0, float(int(nbytes[i]) + int(written[i])) / (p[2] * t))
    return tensor, memory

