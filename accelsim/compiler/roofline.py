"""Roofline twin of every op: max(MACs / peak MAC rate, compulsory off-chip bytes / peak bandwidth).

The peak MAC rate of the DSP-chain engine is shape-aware (other tensor-engine styles use the whole array's
rate): an op with ``rows`` output rows can use at most min(rows, m)/m of an
engine mode whose parallelism has m rows (a matrix-vector product fills one of the MM mode's 128 rows), so
the op's peak is the best mode's rate for its row count. Compulsory bytes are the op's parameters and the
KV-cache tensors it reads or writes (activations may stay on chip); on a flash device the weights come
from the flash array at every plane's page rate and the KV cache from the NPU's DRAM; on a PIM device at
every bank's column rate. Peaks ignore tile padding, SLR
lockstep, memory efficiency and latency, so the roofline is a lower bound of the cycle-level time of an
op; ops on the FPGA are separated by barriers, so the sum over ops bounds the whole pass from below too.
"""

from __future__ import annotations

from ..config.hardware import HardwareConfig
from ..workload.graph import Graph, Op

__all__ = ["peak_macs_per_s", "op_roofline_s", "graph_roofline_s"]


def peak_macs_per_s(hw: HardwareConfig, rows: int | None = None) -> float:
    """Peak MACs/s of the matrix engine for ops with ``rows`` output rows (None: any shape).

    A GPU's peak is its fastest dense tensor-core rate (any precision), so the bound holds for every op."""
    if getattr(hw, "kind", "fpga") == "gpu":
        return max(hw.sm.tensor_tflops.values()) * 1e12 / 2
    if getattr(hw, "kind", "fpga") == "pim":
        # every PIM unit and the host's array at once
        return hw.pim_peak_flops / 2 + hw.host.array_rows * hw.host.array_cols * hw.clock_hz
    if getattr(hw, "kind", "fpga") == "flash":
        # the NPU's array and every die's compute core at once
        core = hw.flash.compute_core
        return hw.npu.macs_per_s + hw.flash.dies * core.macs * core.clock
    me = hw.compute.matrix_engine
    if me.style != "dsp_chain" and me.array is not None:
        # other tensor-engine styles: the whole array's rate bounds every shape
        return me.array.macs * hw.slrs.count * hw.clock_hz
    best = 0.0
    for par in (me.mm_parallelism, me.mv_parallelism):
        usable = 1.0 if rows is None else min(rows, par.m) / par.m
        best = max(best, par.macs_per_cycle * usable)
    return best * hw.slrs.count * hw.clock_hz


def op_roofline_s(op: Op, hw: HardwareConfig) -> float:
    """Lower bound of one op's time on ``hw``."""
    compulsory = sum(t.bytes for t in op.params)
    compulsory += sum(t.bytes for t in op.inputs + op.outputs if t.role == "kv_cache")
    rows = op.attr("rows") if op.kind == "linear" else op.attr("q_len")
    compute = op.macs / peak_macs_per_s(hw, rows) if op.macs else 0.0
    if getattr(hw, "kind", "fpga") == "flash":
        # weights are read from the flash array (every plane of every die reading pages back to back), the KV
        # cache from the NPU's DRAM
        f = hw.flash
        array_bw = f.dies * f.planes_per_die * f.page / f.t_read
        weights = sum(t.bytes for t in op.params)
        return max(compute, weights / array_bw, (compulsory - weights) / hw.npu.dram_bandwidth)
    if getattr(hw, "kind", "fpga") == "pim":
        # weights at the PIM units' column rate (or the host memory's, when they live there), the KV cache at the
        # PIM units' rate when attention runs in them
        internal = hw.pim_internal_bandwidth
        weights = sum(t.bytes for t in op.params)
        kv = compulsory - weights
        w_bw = internal if hw.host.memory is None else hw.host.memory.bandwidth
        kv_bw = internal if hw.attention == "pim" else hw.host_bandwidth
        return max(compute, weights / w_bw + kv / kv_bw)
    return max(compute, compulsory / hw.weight_memory.bandwidth)


def graph_roofline_s(graph: Graph, hw: HardwareConfig) -> float:
    """Lower bound of a whole pass: the sum of its ops' rooflines."""
    return sum(op_roofline_s(op, hw) * sec.repeat for sec in graph.sections for op in sec.ops)
