"""Explicit registry of component models: device kind -> compute model, memory ``model`` -> memory model."""

from __future__ import annotations

import numpy as np

from ..config.hardware import HardwareConfig
from ..kernels.compute import DATAFLOWS, STYLES, compute_durations_ps
from .dram import DramMemory
from .memory import BandwidthMemory

__all__ = ["FpgaComputeModel", "COMPUTE_MODELS", "MEMORY_MODELS"]


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


COMPUTE_MODELS = {"fpga": FpgaComputeModel}
MEMORY_MODELS = {"bandwidth": BandwidthMemory, "dram": DramMemory}
