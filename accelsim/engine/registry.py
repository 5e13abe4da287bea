"""Explicit registry of component models: device kind -> compute model, memory ``model`` -> memory model."""

from __future__ import annotations

import numpy as np

from ..config.gpu import FA2_EFFICIENCY, KERNEL_LATENCY_S, PRECISIONS, TENSOR_CORE_EFFICIENCY, GpuConfig
from ..config.hardware import HardwareConfig
from ..kernels.compute import DATAFLOWS, STYLES, compute_durations_ps
from ..kernels.gpu import gpu_durations_ps
from .dram import DramMemory
from .memory import BandwidthMemory

__all__ = ["FpgaComputeModel", "GpuComputeModel", "gpu_params", "COMPUTE_MODELS", "MEMORY_MODELS"]


class FpgaComputeModel:
    """Durations of MM/MV/SFU instructions on a FlightLLM-style device (see accelsim.kernels.compute)."""

    def __init__(self, hw: HardwareConfig) -> None:
        me, sfu = hw.compute.matrix_engine, hw.compute.sfu
        arr = me.array
        self.params = np.array([
            1e12 / hw.clocks.main, hw.slrs.parallel_efficiency, hw.slrs.count,
            me.mm_parallelism.macs_per_cycle, me.mm_tile_rows, me.mm_tile_cols,
            me.mv_parallelism.macs_per_cycle, me.mv_tile_outputs, me.reduction_block, sfu.lanes,
            STYLES.index(me.style), arr.rows if arr else 1, arr.cols if arr else 1, arr.depth if arr else 1,
            DATAFLOWS.index(arr.dataflow) if arr else 0,
        ], dtype=np.float64)

    def durations(self, trace: np.ndarray) -> np.ndarray:
        return compute_durations_ps(trace["opcode"], trace["rows"], trace["cols"], trace["red"],
                                    trace["density_ppm"], trace["passes"], self.params)


def gpu_params(hw: GpuConfig) -> np.ndarray:
    """The parameter array of accelsim.kernels.gpu (layout: its PARAM_NAMES) for a GPU hwconfig."""
    sm, fw = hw.sm, hw.framework
    rates = [hw.tensor_rate_flops(p) or 0.0 for p in PRECISIONS]
    return np.array([
        sm.count, sm.boost_clock, hw.memory.bandwidth, hw.memory.sustained_fraction, KERNEL_LATENCY_S,
        TENSOR_CORE_EFFICIENCY, sm.l2_bytes_per_clk, sm.fp32_tflops * 1e12, *rates,
        fw.torch_op_host, fw.module_call_host, fw.python_op_host, fw.sync_host,
        fw.step_prepare, fw.step_prepare_per_seq, fw.sampler_host, fw.sampler_host_per_seq,
        fw.process_outputs, fw.process_outputs_per_seq, FA2_EFFICIENCY,
    ], dtype=np.float64)


class GpuComputeModel:
    """Durations of GPU kernels and host work (see accelsim.kernels.gpu); columns as accelsim.compiler.gpu."""

    def __init__(self, hw: GpuConfig) -> None:
        self.params = gpu_params(hw)

    def durations(self, trace: np.ndarray) -> np.ndarray:
        return gpu_durations_ps(trace["opcode"], trace["func"], trace["rows"], trace["cols"], trace["red"],
                                trace["passes"], trace["bytes"], trace["addr"], trace["chan_n"], trace["path"],
                                self.params)


COMPUTE_MODELS = {"fpga": FpgaComputeModel, "gpu": GpuComputeModel}
MEMORY_MODELS = {"bandwidth": BandwidthMemory, "dram": DramMemory}
