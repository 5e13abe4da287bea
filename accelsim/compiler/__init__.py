"""Lowering of workload graphs onto devices: tiling, mapping, placement, and the instruction trace format."""

from .flash import FlashCompiler
from .fpga import FpgaCompiler
from .gpu import GpuCompiler
from .pim import PimCompiler
from .isa import TRACE_DTYPE, Block, Program

__all__ = ["FpgaCompiler", "GpuCompiler", "FlashCompiler", "PimCompiler", "Block", "Program", "TRACE_DTYPE",
           "compiler_for"]


def compiler_for(hw):  # type: ignore[no-untyped-def]
    """The compiler of a hwconfig's device kind."""
    if hw.kind == "fpga":
        return FpgaCompiler(hw)
    if hw.kind == "gpu":
        return GpuCompiler(hw)
    if hw.kind == "flash":
        return FlashCompiler(hw)
    if hw.kind == "pim":
        return PimCompiler(hw)
    raise ValueError(f"no compiler for device kind {hw.kind!r}")
