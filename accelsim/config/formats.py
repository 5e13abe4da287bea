"""Storage size of the number formats a tensor can be held in (bits per element, shared-scale overhead).

Only the *size* matters for timing (bytes moved, buffer footprint); the numerics of each format are the
functional units' concern (``accelsim/kernels``). Block formats carry their shared scale in the per-element
size: OCP MX formats share one 8-bit E8M0 scale per 32 elements (+0.25 bit/element, OCP MX spec v1.0 §5).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FormatInfo", "FORMATS", "format_info", "format_bits"]


@dataclass(frozen=True)
class FormatInfo:
    """A number format: its name, element bits, whether it is floating point, and its block scale."""

    name: str
    element_bits: int
    floating: bool
    block_size: int = 0  # elements sharing one scale (0: no shared scale)
    scale_bits: int = 0  # bits of that shared scale

    @property
    def bits(self) -> float:
        """Average storage bits per element, shared scale included."""
        extra = self.scale_bits / self.block_size if self.block_size else 0.0
        return self.element_bits + extra


def _fmts() -> dict[str, FormatInfo]:
    out: dict[str, FormatInfo] = {}
    for b in range(2, 9):
        out[f"int{b}"] = FormatInfo(f"int{b}", b, False)
        out[f"uint{b}"] = FormatInfo(f"uint{b}", b, False)
    out["int16"] = FormatInfo("int16", 16, False)
    out["int32"] = FormatInfo("int32", 32, False)
    for name, bits in (("fp4_e2m1", 4), ("fp6_e3m2", 6), ("fp6_e2m3", 6), ("fp8_e4m3", 8), ("fp8_e5m2", 8),
                       ("fp16", 16), ("bf16", 16), ("fp32", 32)):
        out[name] = FormatInfo(name, bits, True)
    # OCP Microscaling v1.0: 32-element blocks, E8M0 (8-bit) shared scale
    for name, bits, fl in (("mxfp8_e4m3", 8, True), ("mxfp8_e5m2", 8, True), ("mxfp6_e3m2", 6, True),
                           ("mxfp6_e2m3", 6, True), ("mxfp4", 4, True), ("mxint8", 8, False)):
        out[name] = FormatInfo(name, bits, fl, block_size=32, scale_bits=8)
    return out


FORMATS: dict[str, FormatInfo] = _fmts()


def format_info(name: str) -> FormatInfo:
    """Look up a format by name; raises KeyError for an unknown name."""
    return FORMATS[name]


def format_bits(name: str, group_size: int = 0, scale_bits: int = 16) -> float:
    """Storage bits per element of ``name``, adding a ``scale_bits`` scale per ``group_size`` elements."""
    bits = FORMATS[name].bits
    if group_size:
        bits += scale_bits / group_size
    return bits
