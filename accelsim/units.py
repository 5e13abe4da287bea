"""Physical quantities written as strings in YAML, parsed once into SI numbers.

A quantity is a number followed by a unit: ``"819.2 GB/s"``, ``"225 MHz"``, ``"256 MiB"``, ``"30 ns"``,
``"1.2 pJ/bit"``. Every quantity field in a config declares the *dimension* it expects (frequency, bytes,
bandwidth, ...); :func:`parse_quantity` returns the value in the SI base unit of that dimension:

==============  ===============  ==========================================
dimension       SI result        accepted units (with any SI/binary prefix)
==============  ===============  ==========================================
frequency       Hz               Hz
time            s                s
bytes           B                B (byte), b / bit (1/8 byte)
bandwidth       B/s              B/s, b/s, bit/s, bps
energy          J                J
energy_per_bit  J/bit            J/bit, J/b, J/B (1/8 of a J/B per bit)
power           W                W
area            m^2              m2, mm2, um2 (also written with ^2 or ²)
voltage         V                V
current         A                A
==============  ===============  ==========================================

SI prefixes (k, M, G, T, P, m, u/µ, n, p, f) scale by powers of 1000; binary prefixes (Ki, Mi, Gi, Ti) by
powers of 1024. Note "GB/s" is 10^9 B/s and "GiB/s" is 2^30 B/s: datasheets differ, so configs state which.
"""

from __future__ import annotations

import math
import re

__all__ = ["DIMENSIONS", "QuantityError", "parse_quantity", "format_quantity"]


class QuantityError(ValueError):
    """A quantity string that does not parse, or has the wrong dimension. The message says what was expected."""


_SI_PREFIX = {
    "": 1.0,
    "k": 1e3,
    "K": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "m": 1e-3,
    "u": 1e-6,
    "µ": 1e-6,
    "μ": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
}
_BIN_PREFIX = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50}

# dimension -> {base unit spelling: factor to the SI base of the dimension}
_BASES: dict[str, dict[str, float]] = {
    "frequency": {"Hz": 1.0},
    "time": {"s": 1.0},
    "bytes": {"B": 1.0, "b": 0.125, "bit": 0.125},
    "bandwidth": {"B/s": 1.0, "b/s": 0.125, "bit/s": 0.125, "bps": 0.125},
    "energy": {"J": 1.0},
    "energy_per_bit": {"J/bit": 1.0, "J/b": 1.0, "J/B": 0.125},
    "power": {"W": 1.0},
    "area": {"m2": 1.0},
    "voltage": {"V": 1.0},
    "current": {"A": 1.0},
}
_SI_BASE = {
    "frequency": "Hz",
    "time": "s",
    "bytes": "B",
    "bandwidth": "B/s",
    "energy": "J",
    "energy_per_bit": "J/bit",
    "power": "W",
    "area": "m^2",
    "voltage": "V",
    "current": "A",
}
_EXAMPLE = {
    "frequency": "225 MHz",
    "time": "30 ns",
    "bytes": "256 MiB",
    "bandwidth": "819.2 GB/s",
    "energy": "4.5 pJ",
    "energy_per_bit": "1.2 pJ/bit",
    "power": "75 W",
    "area": "1.5 mm2",
    "voltage": "1.2 V",
    "current": "65 mA",
}
DIMENSIONS: tuple[str, ...] = tuple(_BASES)

_NUM_RE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _unit_factor(unit: str, dimension: str) -> float | None:
    """Factor converting ``unit`` (prefix + base) into the SI base of ``dimension``; None if it does not match."""
    unit = unit.replace("²", "2").replace("^2", "2")
    bases = _BASES[dimension]
    for base, base_factor in sorted(bases.items(), key=lambda kv: -len(kv[0])):
        if not unit.endswith(base):
            continue
        prefix = unit[: len(unit) - len(base)]
        if dimension == "area":
            # areas scale by the square of a length prefix (mm2 = 1e-6 m2)
            if prefix in _SI_PREFIX and prefix not in ("k", "K", "M", "G", "T", "P"):
                return base_factor * _SI_PREFIX[prefix] ** 2
            continue
        if prefix in _BIN_PREFIX:
            return base_factor * _BIN_PREFIX[prefix]
        if prefix in _SI_PREFIX:
            return base_factor * _SI_PREFIX[prefix]
    return None


def parse_quantity(text: str | int | float, dimension: str, *, number_unit: str | None = None) -> float:
    """Parse ``text`` as a quantity of ``dimension`` and return it in SI base units.

    A bare number is accepted only when ``number_unit`` names the unit it is in (used for keys whose name
    carries the unit, e.g. ``latency_ns: 30``). Raises :class:`QuantityError` with an example of the
    expected form otherwise.
    """
    if dimension not in _BASES:
        raise ValueError(f"unknown dimension {dimension!r}")
    if isinstance(text, bool):
        raise QuantityError(f"expected a {dimension} such as '{_EXAMPLE[dimension]}', got {text!r}")
    if isinstance(text, (int, float)):
        if number_unit is None:
            raise QuantityError(
                f"a bare number ({text}) has no unit; write the {dimension} with its unit, e.g. '{_EXAMPLE[dimension]}'"
            )
        text = f"{text} {number_unit}"
    if not isinstance(text, str):
        raise QuantityError(f"expected a {dimension} such as '{_EXAMPLE[dimension]}', got {type(text).__name__}")
    m = _NUM_RE.match(text)
    if not m:
        raise QuantityError(f"cannot read {text!r} as a {dimension}; write it like '{_EXAMPLE[dimension]}'")
    number, unit = m.group(1), m.group(2)
    if not unit:
        if number_unit is None:
            raise QuantityError(f"{text!r} has no unit; write the {dimension} with its unit, e.g. '{_EXAMPLE[dimension]}'")
        unit = number_unit
    factor = _unit_factor(unit, dimension)
    if factor is None:
        allowed = ", ".join(_BASES[dimension])
        raise QuantityError(
            f"unit {unit!r} in {text!r} is not a {dimension} unit (use {allowed} with an SI or binary prefix, "
            f"e.g. '{_EXAMPLE[dimension]}')"
        )
    value = float(number) * factor
    if not math.isfinite(value):
        raise QuantityError(f"{text!r} is not a finite {dimension}")
    return value


def format_quantity(value: float, dimension: str, digits: int = 4) -> str:
    """Render an SI value with a readable SI prefix, e.g. ``format_quantity(2.25e8, 'frequency') == '225 MHz'``."""
    base = _SI_BASE[dimension]
    if value == 0 or dimension == "area":
        return f"{value:.{digits}g} {base}"
    for prefix, factor in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3), ("", 1.0),
                           ("m", 1e-3), ("u", 1e-6), ("n", 1e-9), ("p", 1e-12), ("f", 1e-15)):
        if abs(value) >= factor:
            return f"{value / factor:.{digits}g} {prefix}{base}"
    return f"{value:.{digits}g} {base}"
