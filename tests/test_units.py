"""Quantities with units parse once into SI numbers; bad ones fail with an example of the right form."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accelsim.units import QuantityError, format_quantity, parse_quantity


@pytest.mark.parametrize("text,dim,expected", [
    ("819.2 GB/s", "bandwidth", 819.2e9),
    ("819.2 GiB/s", "bandwidth", 819.2 * 2**30),
    ("16 Gb/s", "bandwidth", 2e9),
    ("225 MHz", "frequency", 225e6),
    ("1.6GHz", "frequency", 1.6e9),
    ("256 MiB", "bytes", 256 * 2**20),
    ("8 GB", "bytes", 8e9),
    ("512 b", "bytes", 64),
    ("30 ns", "time", 30e-9),
    ("1.5 us", "time", 1.5e-6),
    ("2 µs", "time", 2e-6),
    ("1.2 pJ/bit", "energy_per_bit", 1.2e-12),
    ("8 pJ/B", "energy_per_bit", 1e-12),
    ("4.5 pJ", "energy", 4.5e-12),
    ("75 W", "power", 75.0),
    ("1.5 mm2", "area", 1.5e-6),
    ("2 mm^2", "area", 2e-6),
    ("1e3 Hz", "frequency", 1e3),
])
def test_parse(text: str, dim: str, expected: float) -> None:
    assert parse_quantity(text, dim) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("text,dim,fragment", [
    ("225", "frequency", "no unit"),
    ("225 MB", "frequency", "not a frequency unit"),
    ("fast", "time", "cannot read"),
    ("10 GB", "bandwidth", "not a bandwidth unit"),
    ("1 kmm2", "area", "not a area unit"),
])
def test_bad_quantities_say_what_is_expected(text: str, dim: str, fragment: str) -> None:
    with pytest.raises(QuantityError) as exc:
        parse_quantity(text, dim)
    assert fragment in str(exc.value)
    assert "e.g." in str(exc.value) or "write it like" in str(exc.value)


def test_bare_number_needs_a_declared_unit() -> None:
    with pytest.raises(QuantityError):
        parse_quantity(30, "time")
    assert parse_quantity(30, "time", number_unit="ns") == pytest.approx(30e-9)


@given(st.floats(min_value=1e-3, max_value=1e6, allow_nan=False), st.sampled_from(["k", "M", "G", "Ki", "Mi", "Gi", ""]))
def test_prefixes_scale(value: float, prefix: str) -> None:
    scale = {"k": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}[prefix]
    assert parse_quantity(f"{value!r} {prefix}B", "bytes") == pytest.approx(value * scale, rel=1e-12)


def test_format_round_trips() -> None:
    for value, dim in ((225e6, "frequency"), (819.2e9, "bandwidth"), (30e-9, "time")):
        assert math.isclose(parse_quantity(format_quantity(value, dim), dim), value, rel_tol=1e-3)
