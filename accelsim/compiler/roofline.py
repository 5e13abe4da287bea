"""Roofline twin of every op: max(MACs / peak MAC rate, compulsory off-chip bytes / peak bandwidth).

Compulsory bytes are the op's parameters and the KV-cache tensors it reads or writes (activations may stay
on chip). Peaks ignore every inefficiency (tile padding, SLR lockstep, memory efficiency, latency), so the
roofline is a lower bound of the cycle-level time of an op; ops on the FPGA are separated by barriers, so
the sum over ops bounds the whole pass from below too.
"""

from __future__ import annotations

from ..config.hardware import HardwareConfig
from ..workload.graph import Graph, Op

__all__ = ["peak_macs_per_s", "op_roofline_s", "graph_roofline_s"]


def peak_macs_per_s(hw: HardwareConfig) -> float:
    me = hw.compute.matrix_engine
    return max(me.mm_parallelism.macs_per_cycle, me.mv_parallelism.macs_per_cycle) * hw.slrs.count * hw.clock_hz


def op_roofline_s(op: Op, hw: HardwareConfig) -> float:
    """Lower bound of one op's time on ``hw``."""
    compulsory = sum(t.bytes for t in op.params)
    compulsory += sum(t.bytes for t in op.inputs + op.outputs if t.role == "kv_cache")
    return max(op.macs / peak_macs_per_s(hw), compulsory / hw.weight_memory.bandwidth)


def graph_roofline_s(graph: Graph, hw: HardwareConfig) -> float:
    """Lower bound of a whole pass: the sum of its ops' rooflines."""
    return sum(op_roofline_s(op, hw) * sec.repeat for sec in graph.sections for op in sec.ops)
