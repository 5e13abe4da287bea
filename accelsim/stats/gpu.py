"""A GPU's energy and power for a run: board power modelled from each kernel's utilisation.

A GPU board does not report energy per action the way the FPGA's Accelergy-style tables do, and NVIDIA
publishes only its power limit (TDP). accelsim therefore models board power from utilisation, the way
nvidia-smi readings behave: while a kernel runs the board draws

    P = idle + (TDP - idle) x min(1, tensor_share x tensor-core utilisation + memory_share x DRAM utilisation)

(``power.*`` in the hwconfig: a compute-bound GEMM at the full tensor rate reaches the power limit; streaming
at the full peak bandwidth draws ``memory_share`` of the dynamic range — an assumption stated in the YAML),
and while the GPU waits for the host it draws ``idle``. Utilisations come from the kernel's useful FLOPs and
DRAM bytes over its duration and the device's peaks. Energy = sum over kernels of P x duration + idle x idle
time. ``compute_j``/``dram_j`` split the dynamic energy by the two terms; ``static_j`` is idle power x time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..config.gpu import GpuConfig

__all__ = ["GpuEnergy", "gpu_energy", "energy_summary", "GPU_ENERGY_MODEL"]

GPU_ENERGY_MODEL = "board power from utilisation: idle + (TDP - idle) x min(1, tensor_share x u_tensor + memory_share x u_dram)"


@dataclass
class GpuEnergy:
    """Energy of one phase (or a whole run) on a GPU, in joules, and what it is made of."""

    energy_j: float
    compute_j: float
    dram_j: float
    static_j: float
    seconds: float
    gpu_busy_s: float

    @property
    def power_w(self) -> float:
        return self.energy_j / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, float]:
        d = asdict(self)
        d["power_w"] = self.power_w
        return d

    def __add__(self, other: "GpuEnergy") -> "GpuEnergy":
        return GpuEnergy(*(a + b for a, b in zip(asdict(self).values(), asdict(other).values())))


def gpu_energy(hw: GpuConfig, seconds: float, duration_s: np.ndarray, tensor_util: np.ndarray,
               memory_util: np.ndarray, weight: np.ndarray | None = None) -> GpuEnergy:
    """Energy of a phase lasting ``seconds`` whose GPU ran kernels of ``duration_s`` (each run ``weight`` times)
    at the given tensor-core and DRAM utilisations (arrays of equal length)."""
    p = hw.power
    w = np.ones_like(duration_s) if weight is None else weight
    dyn_range = p.tdp_w - p.idle_w
    tensor_term = p.tensor_share * tensor_util
    memory_term = p.memory_share * memory_util
    total = tensor_term + memory_term
    frac = np.minimum(1.0, total)
    scale = np.divide(frac, total, out=np.zeros_like(total), where=total > 0)
    compute = float(np.sum(w * duration_s * dyn_range * tensor_term * scale))
    dram = float(np.sum(w * duration_s * dyn_range * memory_term * scale))
    busy = float(np.sum(w * duration_s))
    static = p.idle_w * seconds
    return GpuEnergy(compute + dram + static, compute, dram, static, seconds, busy)


def energy_summary(run: GpuEnergy, phases: dict[str, GpuEnergy], tokens: int, hw: GpuConfig) -> dict[str, Any]:
    """The ``energy`` dict of a GPU Result (same keys as the FPGA's where they mean the same)."""
    out: dict[str, Any] = {"run": run.to_dict(), "technology": "gpu", "model": GPU_ENERGY_MODEL,
                           "static_w": hw.power.idle_w, "tdp_w": hw.power.tdp_w,
                           "tensor_share": hw.power.tensor_share, "memory_share": hw.power.memory_share}
    for name, e in phases.items():
        out[name] = e.to_dict()
    if "decode" in phases and tokens:
        out["decode_energy_per_token_j"] = phases["decode"].energy_j / tokens
    return out
