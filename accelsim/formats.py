"""Number formats: the value a tensor takes when a functional unit stores or computes it in a format.

``quantize(x, fmt, **params)`` returns the float64 values ``x`` becomes in format ``fmt`` (quantize then
decode); :func:`names` lists the formats, :func:`describe` gives a format's storage bits per element (shared
scales included) and a one-line definition, :func:`encode_int` returns the integer codes and scales that the
integer units consume (:mod:`accelsim.kernels.arith`), :func:`prune_nm` applies N:M structured sparsity and
:func:`accumulator_overflow` checks an integer unit's accumulator width.

The numerics are Numba kernels (:mod:`accelsim.kernels.formats`, definitions and sources in their docstrings)
with plain-numpy twins (:mod:`accelsim.kernels.reference_formats`); this module checks arguments, moves the
blocking axis last and reshapes. Storage sizes agree with :mod:`accelsim.config.formats` (tested).

Formats and their parameters (``axis`` is the axis that groups/blocks run along, the reduction axis of the
consumer; default -1):

* ``int2`` … ``int8``, ``int16``, ``int32``, ``uint2`` … ``uint8``: scaled integers. ``granularity``
  ``"tensor"`` (one scale), ``"channel"`` (one scale per slice along ``axis``, e.g. per output channel of a
  weight ``[out, in]`` with ``axis=-1``) or ``"group"`` (one scale per ``group_size`` consecutive elements along
  ``axis``; the default granularity when ``group_size`` is given, default size 128); ``symmetric`` (default
  True for ``int``, False for ``uint``); ``scale_dtype`` ``"fp16"`` (default), ``"bf16"``, ``"fp32"``,
  ``"fp64"``.
* ``fp32``, ``fp16``, ``bf16``, ``fp8_e4m3``, ``fp8_e5m2``: IEEE-style rounding; ``saturate`` (default False:
  overflow gives inf, or NaN for E4M3 which has no inf; True: clamp to the largest finite value, inf too).
* ``fp6_e3m2``, ``fp6_e2m3``, ``fp4_e2m1``: OCP MX element formats, always saturating (no inf/NaN codes).
* ``mxfp8_e4m3``, ``mxfp8_e5m2``, ``mxfp6_e3m2``, ``mxfp6_e2m3``, ``mxfp4``, ``mxint8``: OCP MX v1.0, 32-element
  blocks along ``axis`` with an E8M0 scale (a short last block is padded with zeros, as the spec authors'
  reference does).
* ``bfp8``: block floating point, ``block_size`` (default 16) elements share an 8-bit exponent, 8-bit
  sign-magnitude mantissas; ``rearrange`` (default False) sorts the channels by norm first (K-sort).
* ``olive4``: OliVe outlier-victim pairs; ``granularity``/``group_size``/``scale_dtype`` as the integers.
* ``bitmod4``: BitMoD per-group data types; ``group_size`` (default 128), ``scale_dtype``.

Quantizing twice changes nothing (tested) for the float, MX and bfp8 formats; for scaled integers when the
second pass re-derives the same scale, which holds for symmetric formats whose scale format is precise enough
(``qmax < 2**mbits`` of the scale, e.g. FP16 scales up to 10-bit codes, BF16 up to int8) and whose scale is
a normal number; affine integers and BF16-scaled uint8 may move by a code (their decoded values are always
grid points of their own scale and zero point). OliVe is idempotent for a fixed step only (its 3-sigma step
is a statistic of the data); BitMoD whenever its chosen data type reaches its own largest value.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import AccelsimError
from .kernels import arith as _arith
from .kernels import formats as _k

__all__ = ["FormatDescription", "IntEncoding", "names", "describe", "quantize", "encode_int", "prune_nm",
           "accumulator_overflow", "MX_BLOCK_SIZE", "SCALE_DTYPES"]

#: OCP MX v1.0 §5.1: k = 32 elements share one scale
MX_BLOCK_SIZE = 32
#: bits of the E8M0 shared scale (OCP MX v1.0 §5.4) and of a block floating point shared exponent
E8M0_BITS = 8
#: bits of BitMoD's per-group data-type selector (four data types, HPCA'25 §IV)
BITMOD_SELECTOR_BITS = 2
#: bfp8 element: 8-bit sign-magnitude mantissa with 6 fraction bits below the shared exponent (1 sign bit,
#: 7 magnitude bits, no implicit bit; max 127/64 x 2**E), the block floating point of Microsoft's MSFP and of
#: d-Matrix's BFP formats (Trukhanov & Soloveychik, arXiv 2403.20137: BFP16 = 8-bit mantissas + 8-bit exponent)
BFP8_MANTISSA_BITS = 8
BFP_DEFAULT_BLOCK = 16
DEFAULT_GROUP_SIZE = 128

#: scale formats: name -> (mbits, emin, max) for the kernels (mbits -1: float64, not rounded), bits stored
SCALE_DTYPES: dict[str, tuple[int, int, float, int]] = {
    "fp16": (*_k.FLOAT_FORMATS["fp16"][:3], 16),
    "bf16": (*_k.FLOAT_FORMATS["bf16"][:3], 16),
    "fp32": (*_k.FLOAT_FORMATS["fp32"][:3], 32),
    "fp64": (-1, -1022, float(np.finfo(np.float64).max), 64),
}

_INT_BITS = tuple(range(2, 9)) + (16, 32)
_FLOATS = ("fp32", "fp16", "bf16", "fp8_e4m3", "fp8_e5m2")
_MX_ELEMENT_FLOATS = ("fp6_e3m2", "fp6_e2m3", "fp4_e2m1")
#: MX name -> element float format (None: MXINT8), OCP MX v1.0 Table 1
_MX: dict[str, str | None] = {"mxfp8_e4m3": "fp8_e4m3", "mxfp8_e5m2": "fp8_e5m2", "mxfp6_e3m2": "fp6_e3m2",
                              "mxfp6_e2m3": "fp6_e2m3", "mxfp4": "fp4_e2m1", "mxint8": None}
#: emax_elem: exponent of the element format's largest normal (OCP MX v1.0 Table 1; MXINT8 0)
_EMAX_ELEM = {"fp8_e4m3": 8, "fp8_e5m2": 15, "fp6_e3m2": 4, "fp6_e2m3": 2, "fp4_e2m1": 2}
#: MXINT8 element: 6 fraction bits, magnitude <= 127/64 (OCP MX v1.0 §5.3.4)
MXINT8_FRACTION_BITS = 6
MXINT8_MAX = 127 / 64
#: lower bound for an ``axis`` argument (negative axes count from the end)
_AXIS_MIN = -(2 ** 31)

_NAMES: tuple[str, ...] = (
    tuple(f"int{b}" for b in _INT_BITS) + tuple(f"uint{b}" for b in range(2, 9)) + _FLOATS + _MX_ELEMENT_FLOATS
    + tuple(_MX) + ("bfp8", "olive4", "bitmod4"))

_FLOAT_DEFS = {
    "fp32": "IEEE 754 binary32: 1 sign, 8 exponent (bias 127), 23 mantissa bits",
    "fp16": "IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits, max 65504",
    "bf16": "bfloat16: 1 sign, 8 exponent (bias 127), 7 mantissa bits (binary32's range)",
    "fp8_e4m3": "OCP FP8 E4M3 (fn): bias 7, no inf, NaN = S.1111.111, max 448, subnormals from 2^-9",
    "fp8_e5m2": "OCP FP8 E5M2: IEEE-like, bias 15, inf and NaN, max 57344, subnormals from 2^-16",
    "fp6_e3m2": "OCP MX FP6 E3M2: bias 3, no inf/NaN, saturating, max 28, subnormals from 2^-4",
    "fp6_e2m3": "OCP MX FP6 E2M3: bias 1, no inf/NaN, saturating, max 7.5, subnormals from 2^-3",
    "fp4_e2m1": "OCP MX FP4 E2M1: bias 1, no inf/NaN, saturating, values 0, 0.5, 1, 1.5, 2, 3, 4, 6",
}


@dataclass(frozen=True)
class FormatDescription:
    """What a format costs in storage and what it is: ``bits_per_element`` includes shared scales, zero points
    and selectors amortised over their group (per-tensor and per-channel scales are not counted: their share
    depends on the tensor's size; ``definition`` names them)."""

    name: str
    element_bits: int
    bits_per_element: float
    definition: str


@dataclass(frozen=True)
class IntEncoding:
    """Integer codes and their scales, the operands of the integer units (:mod:`accelsim.kernels.arith`).

    ``codes`` has the input's shape with ``axis`` moved last: ``(..., L)``; ``scales`` and ``zero_points`` have
    shape ``(..., L // group_size)``; element ``i`` decodes as ``(codes[..., i] - zero_points[..., i // g]) *
    scales[..., i // g]``."""

    codes: np.ndarray
    scales: np.ndarray
    zero_points: np.ndarray
    group_size: int
    bits: int
    signed: bool
    axis: int


def _err(message: str, hint: str | None = None) -> AccelsimError:
    return AccelsimError(message, hint=hint)


def _unknown(kind: str, value: str, known: tuple[str, ...] | list[str]) -> AccelsimError:
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.5)
    mean = f" (did you mean {close[0]!r}?)" if close else ""
    return _err(f"unknown {kind} {value!r}{mean}; known: {', '.join(known)}")


def names() -> list[str]:
    """Every format name :func:`quantize` accepts, in a stable order."""
    return list(_NAMES)


def _family(fmt: str) -> str:
    if not isinstance(fmt, str):
        raise _err(f"a format name must be a string, got {type(fmt).__name__}", hint=f"one of: {', '.join(_NAMES)}")
    if fmt not in _NAMES:
        raise _unknown("number format", fmt, _NAMES)
    if fmt.startswith(("int", "uint")):
        return "int"
    if fmt in _FLOATS:
        return "float"
    if fmt in _MX_ELEMENT_FLOATS:
        return "mxelem"
    if fmt in _MX:
        return "mx"
    return fmt


_PARAMS: dict[str, tuple[str, ...]] = {
    "int": ("granularity", "group_size", "axis", "symmetric", "scale_dtype"),
    "float": ("saturate",),
    "mxelem": (),
    "mx": ("axis",),
    "bfp8": ("block_size", "axis", "rearrange"),
    "olive4": ("granularity", "group_size", "axis", "scale_dtype"),
    "bitmod4": ("group_size", "axis", "scale_dtype"),
}


def _check_params(fmt: str, family: str, params: dict[str, Any]) -> None:
    allowed = _PARAMS[family]
    for key in params:
        if key not in allowed:
            close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.5)
            mean = f" (did you mean {close[0]!r}?)" if close else ""
            extra = f"; {fmt} takes: {', '.join(allowed)}" if allowed else f"; {fmt} takes no parameters"
            if family == "mxelem" and key == "saturate":
                extra += " (FP6/FP4 have no inf/NaN encodings: conversion always saturates, OCP MX v1.0 §5.3)"
            if family == "mx" and key in ("block_size", "group_size"):
                extra += f" (OCP MX v1.0 fixes the block at {MX_BLOCK_SIZE} elements)"
            raise _err(f"{fmt}: unknown parameter {key!r}{mean}{extra}")


def _int_param(fmt: str, key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < minimum:
        raise _err(f"{fmt}: {key} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _bool_param(fmt: str, key: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise _err(f"{fmt}: {key} must be True or False, got {value!r}")
    return bool(value)


def _choice(fmt: str, key: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.5)
        mean = f" (did you mean {close[0]!r}?)" if close else ""
        raise _err(f"{fmt}: {key} must be one of {', '.join(repr(c) for c in choices)}, got {value!r}{mean}")
    return value


@dataclass(frozen=True)
class _Grouping:
    granularity: str
    group_size: int  # 0: whole tensor / channel, resolved against the shape later
    axis: int


def _grouping(fmt: str, params: dict[str, Any], *, default_granularity: str) -> _Grouping:
    gs = params.get("group_size")
    gran = params.get("granularity", "group" if gs is not None else default_granularity)
    gran = _choice(fmt, "granularity", gran, ("tensor", "channel", "group"))
    if gs is not None and gran != "group":
        raise _err(f"{fmt}: group_size is only meaningful with granularity='group', got granularity={gran!r}")
    size = _int_param(fmt, "group_size", gs, 1) if gs is not None else (DEFAULT_GROUP_SIZE if gran == "group" else 0)
    axis = _int_param(fmt, "axis", params.get("axis", -1), _AXIS_MIN)
    return _Grouping(gran, size, axis)


def _as_array(x: Any, fmt: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise _err(f"{fmt}: input must be an array of real numbers ({exc})") from None
    return a


def _axis(fmt: str, a: np.ndarray, axis: int) -> int:
    if a.ndim == 0:
        raise _err(f"{fmt}: a block or group format needs an array of at least one dimension, got a scalar")
    if not -a.ndim <= axis < a.ndim:
        raise _err(f"{fmt}: axis {axis} is out of range for an array of {a.ndim} dimension(s)")
    return axis % a.ndim


def _require_finite(fmt: str, a: np.ndarray) -> None:
    if not np.isfinite(a).all():
        raise _err(f"{fmt}: input holds NaN or infinity, which an integer or fixed-point format cannot encode",
                   hint="clean the input, or use a floating-point or MX format (they encode NaN/inf)")


def _rows(fmt: str, a: np.ndarray, g: _Grouping, *,
          name: str = "group_size") -> tuple[np.ndarray, tuple[int, ...], int]:
    """``a`` with the grouping axis last, reshaped into one group per row; plus the moved shape and group."""
    ax = _axis(fmt, a, g.axis)
    moved = np.ascontiguousarray(np.moveaxis(a, ax, -1))
    length = moved.shape[-1]
    if g.granularity == "tensor":
        return moved.reshape(1, -1), moved.shape, moved.size
    if g.granularity == "channel":
        return moved.reshape(-1, length), moved.shape, length
    if length % g.group_size:
        raise _err(f"{fmt}: {name}={g.group_size} does not divide the length {length} of axis {ax}",
                   hint=f"choose a {name} that divides {length}, or another axis")
    return moved.reshape(-1, g.group_size), moved.shape, g.group_size


def _restore(rows: np.ndarray, moved_shape: tuple[int, ...], ndim: int, axis: int) -> np.ndarray:
    return np.moveaxis(rows.reshape(moved_shape), -1, axis % ndim)


def _scale_args(fmt: str, params: dict[str, Any]) -> tuple[int, int, float]:
    name = _choice(fmt, "scale_dtype", params.get("scale_dtype", "fp16"), tuple(SCALE_DTYPES))
    mbits, emin, mx, _ = SCALE_DTYPES[name]
    return mbits, emin, mx


def _float_args(fmt: str) -> tuple[int, int, float, int]:
    return _k.FLOAT_FORMATS[fmt]


def _blocks_padded(fmt: str, a: np.ndarray, axis: int, block: int) -> tuple[np.ndarray, tuple[int, ...], int, int]:
    ax = _axis(fmt, a, axis)
    moved = np.moveaxis(a, ax, -1)
    length = moved.shape[-1]
    pad = (-length) % block
    if pad:
        moved = np.concatenate([moved, np.zeros(moved.shape[:-1] + (pad,))], axis=-1)
    moved = np.ascontiguousarray(moved)
    return moved.reshape(-1, block), moved.shape, length, ax


def quantize(x: Any, fmt: str, **params: Any) -> np.ndarray:
    """The float64 values ``x`` takes when stored in number format ``fmt`` (quantize, then decode).

    Rounding is round-to-nearest, ties-to-even (IEEE 754-2019 §4.3.1) unless the format's definition says
    otherwise; special values (NaN, ±inf, -0, subnormals, saturation) follow IEEE 754 (FP16/BF16/FP32), the
    OCP 8-bit FP spec v1.0 (FP8 E4M3 "fn" and E5M2) and the OCP Microscaling spec v1.0 (FP6, FP4, MX block
    formats: shared exponent floor(log2 max|x|) - emax_elem, clamped to E8M0's range, saturating elements).
    Integer, block floating point, OliVe and BitMoD formats follow the definitions in
    :mod:`accelsim.kernels.formats` (symmetric or affine integer scales rounded to ``scale_dtype``; OliVe
    ISCA'23 outlier-victim pairs; BitMoD HPCA'25 per-group data types). The module docstring lists each
    format's parameters; bad names or parameters raise :class:`~accelsim.errors.AccelsimError`.
    """
    family = _family(fmt)
    _check_params(fmt, family, params)
    a = _as_array(x, fmt)
    if family in ("float", "mxelem"):
        mbits, emin, mx, ovf = _float_args(fmt)
        if family == "float" and _bool_param(fmt, "saturate", params.get("saturate", False)):
            ovf = _k.OVF_SATURATE
        flat = np.ascontiguousarray(a).reshape(-1)
        return _k.quantize_float(flat, mbits, emin, mx, ovf).reshape(a.shape)
    if a.size == 0:
        return a.copy()
    if family == "int":
        return _int_values(fmt, a, params)
    if family == "mx":
        axis = _int_param(fmt, "axis", params.get("axis", -1), _AXIS_MIN)
        blocks, shape, length, ax = _blocks_padded(fmt, a, axis, MX_BLOCK_SIZE)
        elem = _MX[fmt]
        if elem is None:
            vals, _ = _k.quantize_block_scaled(blocks, _k.ELEM_INT, MXINT8_FRACTION_BITS, 0, MXINT8_MAX, 0)
        else:
            mbits, emin, mx, _ = _float_args(elem)
            vals, _ = _k.quantize_block_scaled(blocks, _k.ELEM_FLOAT, mbits, emin, mx, _EMAX_ELEM[elem])
        return np.moveaxis(vals.reshape(shape)[..., :length], -1, ax)
    if family == "bfp8":
        return _bfp(fmt, a, params)
    if family == "olive4":
        _require_finite(fmt, a)
        g = _grouping(fmt, params, default_granularity="channel")
        rows, shape, size = _rows(fmt, a, g)
        if size % 2:
            what = "group_size" if g.granularity == "group" else "axis length"
            raise _err(f"{fmt}: outlier-victim pairs need an even group ({what} = {size})")
        steps = _k.olive_group_steps(rows, *_scale_args(fmt, params))
        return _restore(_k.quantize_olive(rows, steps), shape, a.ndim, _axis(fmt, a, g.axis))
    # bitmod4
    _require_finite(fmt, a)
    gs = _int_param(fmt, "group_size", params.get("group_size", DEFAULT_GROUP_SIZE), 1)
    g = _Grouping("group", gs, _int_param(fmt, "axis", params.get("axis", -1), _AXIS_MIN))
    rows, shape, _ = _rows(fmt, a, g)
    vals, _, _ = _k.quantize_bitmod(rows, *_scale_args(fmt, params))
    return _restore(vals, shape, a.ndim, _axis(fmt, a, g.axis))


def _int_spec(fmt: str) -> tuple[int, bool]:
    signed = not fmt.startswith("uint")
    return int(fmt.removeprefix("u").removeprefix("int")), signed


def _int_values(fmt: str, a: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """The values of :func:`_restore_int` without the encoding (the output allocated here, by numpy)."""
    _require_finite(fmt, a)
    bits, signed = _int_spec(fmt)
    g = _grouping(fmt, params, default_granularity="tensor")
    symmetric = _bool_param(fmt, "symmetric", params.get("symmetric", signed))
    rows, shape, _size = _rows(fmt, a, g)
    vals = np.empty_like(rows)
    _k.quantize_int_values(rows, vals, bits, int(signed), int(symmetric), *_scale_args(fmt, params))
    return _restore(vals, shape, a.ndim, _axis(fmt, a, g.axis))


def _restore_int(fmt: str, a: np.ndarray, params: dict[str, Any]) -> tuple[np.ndarray, IntEncoding]:
    _require_finite(fmt, a)
    bits, signed = _int_spec(fmt)
    g = _grouping(fmt, params, default_granularity="tensor")
    symmetric = _bool_param(fmt, "symmetric", params.get("symmetric", signed))
    rows, shape, size = _rows(fmt, a, g)
    vals, codes, scales, zps = _k.quantize_int_groups(rows, bits, int(signed), int(symmetric),
                                                      *_scale_args(fmt, params))
    ax = _axis(fmt, a, g.axis)
    lead = shape[:-1]
    n_groups = shape[-1] // size if g.granularity != "tensor" else 1
    if g.granularity == "tensor":
        scales_s = np.full(lead + (1,), scales[0])
        zps_s = np.full(lead + (1,), zps[0])
        gsz = shape[-1]
    else:
        scales_s, zps_s, gsz = scales.reshape(lead + (n_groups,)), zps.reshape(lead + (n_groups,)), size
    enc = IntEncoding(codes.reshape(shape), scales_s, zps_s, gsz, bits, signed, ax)
    return _restore(vals, shape, a.ndim, ax), enc


def encode_int(x: Any, fmt: str, **params: Any) -> IntEncoding:
    """The integer codes, scales and zero points of ``x`` in integer format ``fmt`` (same parameters and the
    same values as :func:`quantize`), laid out for the integer and dequantize-on-the-fly units: the grouping
    axis is moved last (see :class:`IntEncoding`)."""
    family = _family(fmt)
    if family != "int":
        raise _err(f"encode_int: {fmt!r} is not an integer format",
                   hint=f"one of: {', '.join(n for n in _NAMES if _family(n) == 'int')}")
    _check_params(fmt, family, params)
    a = _as_array(x, fmt)
    if a.size == 0:
        raise _err(f"{fmt}: cannot encode an empty array")
    return _restore_int(fmt, a, params)[1]


def _bfp(fmt: str, a: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """Block floating point (see :data:`BFP8_MANTISSA_BITS`); with ``rearrange``, K-sort first.

    K-sort (Trukhanov & Soloveychik, "Accurate Block Quantization in LLMs with Outliers", arXiv 2403.20137,
    §3): the channels (indices along ``axis``) are put in descending order of their L2 norm over all other
    axes (stable: equal norms keep their order) before blocking, so outlier channels share blocks with each
    other instead of with small ones; the values are returned in the original order (the paper permutes the
    rows of W_k and W_q alike at compile time, which leaves q·k unchanged)."""
    _require_finite(fmt, a)
    block = _int_param(fmt, "block_size", params.get("block_size", BFP_DEFAULT_BLOCK), 1)
    rearrange = _bool_param(fmt, "rearrange", params.get("rearrange", False))
    ax = _axis(fmt, a, _int_param(fmt, "axis", params.get("axis", -1), _AXIS_MIN))
    length = a.shape[ax]
    if length % block:
        raise _err(f"{fmt}: block_size={block} does not divide the length {length} of axis {ax}",
                   hint=f"choose a block_size that divides {length}")
    perm = None
    if rearrange:
        other = tuple(i for i in range(a.ndim) if i != ax)
        norms = np.sqrt((a * a).sum(axis=other)) if other else np.abs(a)
        perm = np.argsort(-norms, kind="stable")
        a = np.take(a, perm, axis=ax)
    blocks, shape, _, _ = _blocks_padded(fmt, a, ax, block)
    frac = BFP8_MANTISSA_BITS - 2
    vals, _ = _k.quantize_block_scaled(blocks, _k.ELEM_INT, frac, 0, (2 ** (BFP8_MANTISSA_BITS - 1) - 1) / 2 ** frac, 0)
    out = np.moveaxis(vals.reshape(shape), -1, ax)
    if perm is not None:
        inv = np.empty_like(perm)
        inv[perm] = np.arange(perm.size)
        out = np.take(out, inv, axis=ax)
    return out


def describe(fmt: str, **params: Any) -> FormatDescription:
    """Storage bits per element of ``fmt`` (shared scales, zero points and selectors included, amortised over
    their group) and a one-line definition. Takes the parameters of :func:`quantize` that change the size
    (``granularity``, ``group_size``, ``symmetric``, ``scale_dtype``, ``block_size``); others are accepted."""
    family = _family(fmt)
    _check_params(fmt, family, params)
    if family in ("float", "mxelem"):
        bits = {"fp32": 32, "fp16": 16, "bf16": 16}.get(fmt, int(fmt.split("_")[0][2:]))
        return FormatDescription(fmt, bits, float(bits), _FLOAT_DEFS[fmt])
    if family == "mx":
        elem = _MX[fmt]
        ebits = 8 if elem is None else int(elem.split("_")[0][2:])
        what = "INT8 (6 fraction bits, |v| <= 127/64)" if elem is None else elem.upper().replace("_", " ")
        return FormatDescription(fmt, ebits, ebits + E8M0_BITS / MX_BLOCK_SIZE,
                                 f"OCP MX v1.0: {MX_BLOCK_SIZE} {what} elements sharing an E8M0 scale "
                                 f"2^(floor(log2 max|x|) - emax_elem)")
    if family == "bfp8":
        block = _int_param(fmt, "block_size", params.get("block_size", BFP_DEFAULT_BLOCK), 1)
        return FormatDescription(fmt, BFP8_MANTISSA_BITS, BFP8_MANTISSA_BITS + E8M0_BITS / block,
                                 f"block floating point: {block} 8-bit sign-magnitude mantissas m (|m| <= 127) "
                                 f"share an 8-bit exponent E = floor(log2 max|x|); value m * 2^(E-6)")
    _, _, _, sbits = SCALE_DTYPES[_choice(fmt, "scale_dtype", params.get("scale_dtype", "fp16"), tuple(SCALE_DTYPES))]
    if family == "bitmod4":
        gs = _int_param(fmt, "group_size", params.get("group_size", DEFAULT_GROUP_SIZE), 1)
        return FormatDescription(fmt, 4, 4 + (sbits + BITMOD_SELECTOR_BITS) / gs,
                                 f"BitMoD: per group of {gs}, the least-error of four FP4 E2M1 variants whose "
                                 f"redundant -0 code holds +5, -5, +8 or -8; a {sbits}-bit scale and a 2-bit "
                                 f"type selector")
    g = _grouping(fmt, params, default_granularity="tensor" if family == "int" else "channel")
    if family == "olive4":
        elem, extra = 4, 0
        what = "OliVe: int4 -7..7 normals, abfloat outliers +-12..96 (x step); an outlier prunes its pair partner"
    else:
        elem, signed = _int_spec(fmt)
        sym = _bool_param(fmt, "symmetric", params.get("symmetric", signed))
        extra = 0 if sym else elem  # the zero point is stored in the element's width
        kind = "signed" if signed else "unsigned"
        what = (f"{elem}-bit {kind} integer, {'symmetric (code x scale)' if sym else 'affine ((code - zero) x scale)'}")
    if g.granularity == "group":
        zero = " and zero point" if extra else ""
        return FormatDescription(fmt, elem, elem + (sbits + extra) / g.group_size,
                                 f"{what}; a {sbits}-bit scale{zero} per {g.group_size} elements")
    return FormatDescription(fmt, elem, float(elem), f"{what}; one {sbits}-bit scale per {g.granularity}")


def prune_nm(x: Any, n: int, m: int, axis: int = -1) -> np.ndarray:
    """N:M structured sparsity along ``axis`` (the reduction axis of the consumer): in every ``m``
    consecutive elements keep the ``n`` of largest magnitude (equal magnitudes: the lower index) and zero
    the rest. 2:4 is NVIDIA's sparse tensor core pattern (Ampere whitepaper); N:16 is FlightLLM's
    configurable sparse DSP chain (FPGA'24 §4.1). The axis length must be a multiple of ``m``."""
    fmt = f"prune_nm({n}:{m})"
    m = _int_param(fmt, "m", m, 1)
    n = _int_param(fmt, "n", n, 0)
    if n > m:
        raise _err(f"{fmt}: n must be at most m")
    a = _as_array(x, fmt)
    if np.isnan(a).any():
        raise _err(f"{fmt}: input holds NaN, whose magnitude cannot be ranked")
    ax = _axis(fmt, a, _int_param(fmt, "axis", axis, _AXIS_MIN))
    moved = np.ascontiguousarray(np.moveaxis(a, ax, -1))
    if moved.shape[-1] % m:
        raise _err(f"{fmt}: m={m} does not divide the length {moved.shape[-1]} of axis {ax}")
    if moved.size == 0:
        return a.copy()
    out = _k.prune_nm_rows(moved.reshape(-1, moved.shape[-1]), n, m)
    return np.moveaxis(out.reshape(moved.shape), -1, ax)


def accumulator_overflow(k: int, a_bits: int, w_bits: int, acc_bits: int, *, a_signed: bool = True,
                         w_signed: bool = True, action: str = "none") -> _arith.AccumulatorOverflow:
    """Whether a ``k``-long dot product of ``a_bits`` x ``w_bits`` integers can overflow an ``acc_bits``-bit
    accumulator: the worst case, the bits it needs and the probability under uniform operands
    (:func:`accelsim.kernels.arith.accumulator_overflow`). ``action`` ``"warn"`` issues a RuntimeWarning
    and ``"error"`` raises :class:`~accelsim.errors.AccelsimError` when the worst case overflows."""
    if action not in ("none", "warn", "error"):
        raise _err(f"accumulator_overflow: action must be 'none', 'warn' or 'error', got {action!r}")
    try:
        res = _arith.accumulator_overflow(k, a_bits, w_bits, acc_bits, a_signed=a_signed, w_signed=w_signed)
    except ValueError as exc:
        raise _err(f"accumulator_overflow: {exc}") from None
    if res.can_overflow and action != "none":
        msg = (f"a {k}-long dot product of {a_bits}-bit x {w_bits}-bit integers needs a {res.bits_needed}-bit "
               f"accumulator; {acc_bits} bits can overflow (probability {res.probability:.3g} under uniform "
               f"operands)")
        if action == "error":
            raise _err(msg, hint=f"use an accumulator of at least {res.bits_needed} bits, or split the reduction")
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
    return res
