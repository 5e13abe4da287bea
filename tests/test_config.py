"""Configs: shipped files load; every field documents itself; bad input fails with file, line, key path and fix."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from accelsim.config import HardwareConfig, ModelConfig, load_hardware, load_workload, shipped
from accelsim.config.schema import Source, build
from accelsim.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def _all_config_classes(cls: type, seen: set[type] | None = None) -> set[type]:
    import typing

    seen = seen if seen is not None else set()
    if cls in seen:
        return seen
    seen.add(cls)
    for f in dataclasses.fields(cls):
        tp = typing.get_type_hints(cls)[f.name]
        for arg in (tp, *typing.get_args(tp), *[a for t in typing.get_args(tp) for a in typing.get_args(t)]):
            if isinstance(arg, type) and dataclasses.is_dataclass(arg):
                _all_config_classes(arg, seen)
    return seen


def test_shipped_configs_load() -> None:
    assert {"vhk158-flightllm", "u280-flightllm"} <= set(shipped("hwconfigs"))
    for name in shipped("hwconfigs"):
        hw = load_hardware(name)
        assert hw.version == 1 and hw.clock_hz > 0
    expected = {"llama2-7b", "llama2-13b", "llama2-70b", "llama3-8b", "opt-6.7b", "opt-13b", "opt-30b", "opt-66b",
                "gpt2-small", "gpt2-medium", "gpt2-large", "gpt2-xl", "mixtral-8x7b"}
    assert expected <= set(shipped("workloads"))
    for name in shipped("workloads"):
        assert load_workload(name).version == 1


def test_every_field_has_help() -> None:
    for root in (HardwareConfig, ModelConfig):
        for cls in _all_config_classes(root):
            assert cls.__doc__, cls
            for f in dataclasses.fields(cls):
                assert f.metadata.get("help"), f"{cls.__name__}.{f.name} has no help string"


def test_configs_are_frozen() -> None:
    hw = load_hardware("vhk158-flightllm")
    with pytest.raises(dataclasses.FrozenInstanceError):
        hw.name = "x"  # type: ignore[misc]


def test_every_number_in_shipped_hwconfigs_has_a_comment() -> None:
    """Each line that sets a number or quantity carries a source comment, or follows a comment line."""
    import re

    for path in sorted((ROOT / "hwconfigs").glob("*.yaml")):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            body = line.split("#")[0]
            if ":" not in body or body.strip().startswith("version"):
                continue
            value = body.split(":", 1)[1].strip()
            if not (re.match(r"^[-+]?[\d.{\[]", value) and re.search(r"\d", value)):
                continue
            commented_above = i > 0 and lines[i - 1].strip().startswith("#")
            assert "#" in line or commented_above, f"{path.name}:{i + 1} sets a number without a source: {line.strip()}"


def _hw_data() -> dict:
    return yaml.safe_load((ROOT / "hwconfigs" / "vhk158-flightllm.yaml").read_text())


def _write(tmp_path: Path, data: dict | str, name: str = "hw.yaml") -> str:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return str(p)


def _error(tmp_path: Path, data: dict | str) -> ConfigError:
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as exc:
        load_hardware(path)
    err = exc.value
    assert err.file == path
    assert err.hint, "every error says how to fix it"
    return err


def test_malformed_yaml(tmp_path: Path) -> None:
    err = _error(tmp_path, "version: 1\nname: [unclosed\nclocks: {main: 225 MHz}\n")
    assert "malformed YAML" in str(err) and err.line is not None


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    d = _hw_data()
    d["clocks"]["mian"] = d["clocks"].pop("main")
    err = _error(tmp_path, d)
    assert err.key_path == "clocks.mian"
    assert "did you mean 'main'" in err.hint
    assert err.line is not None


def test_missing_required_field(tmp_path: Path) -> None:
    d = _hw_data()
    del d["memories"]["hbm"]["channels"]
    err = _error(tmp_path, d)
    assert err.key_path == "memories.hbm" and "channels" in err.message


@pytest.mark.parametrize("path,value,fragment", [
    (("memories", "hbm", "channels"), 0, "greater than zero"),
    (("memories", "hbm", "channels"), -4, "greater than zero"),
    (("clocks", "main"), "0 MHz", "greater than zero"),
    (("buffers", "a_buffer", "depth"), -1, "greater than zero"),
    (("memories", "hbm", "bandwidth"), "-5 GB/s", "greater than zero"),
    (("memories", "hbm", "efficiency"), 1.5, "at most 1.0"),
    (("slrs", "count"), 2.5, "whole number"),
])
def test_bad_values(tmp_path: Path, path: tuple[str, ...], value: object, fragment: str) -> None:
    d = _hw_data()
    cur = d
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    err = _error(tmp_path, d)
    assert err.key_path == ".".join(path)
    assert fragment in err.message


def test_unit_that_does_not_parse(tmp_path: Path) -> None:
    d = _hw_data()
    d["memories"]["hbm"]["bandwidth"] = "819.2 GB"
    err = _error(tmp_path, d)
    assert err.key_path == "memories.hbm.bandwidth" and "not a bandwidth unit" in err.message


def test_bare_number_for_a_quantity(tmp_path: Path) -> None:
    d = _hw_data()
    d["clocks"]["main"] = 225
    err = _error(tmp_path, d)
    assert err.key_path == "clocks.main" and "no unit" in err.message


def test_duplicate_key(tmp_path: Path) -> None:
    text = (ROOT / "hwconfigs" / "vhk158-flightllm.yaml").read_text().replace("clocks:\n", "clocks:\n  main: 1 GHz\n", 1)
    err = _error(tmp_path, text)
    assert "appears twice" in err.message


def test_unknown_choice_and_version(tmp_path: Path) -> None:
    d = _hw_data()
    d["memories"]["hbm"]["kind"] = "hbm9"
    assert "is not one of" in _error(tmp_path, d).message
    d = _hw_data()
    d["version"] = 7
    assert _error(tmp_path, d).key_path == "version"
    d = _hw_data()
    del d["version"]
    assert "version" in _error(tmp_path, d).message


def test_cross_field_checks(tmp_path: Path) -> None:
    d = _hw_data()
    d["mapping"]["weight_memory"] = "hmb"
    err = _error(tmp_path, d)
    assert err.key_path == "mapping.weight_memory" and "did you mean 'hbm'" in err.hint
    d = _hw_data()
    d["mapping"]["a_buffer_channels"] = 16
    assert "exceeds" in _error(tmp_path, d).message


def test_unknown_format_and_weight_names(tmp_path: Path) -> None:
    d = _hw_data()
    d["deployment"]["formats"]["weights"] = "int44"
    err = _error(tmp_path, d)
    assert err.key_path == "deployment.formats.weights" and "did you mean" in err.hint
    d = _hw_data()
    d["deployment"]["sparsity"]["q_porj"] = 0.5
    err = _error(tmp_path, d)
    assert "did you mean 'q_proj'" in err.hint


def test_fpga_part_resources_are_checked(tmp_path: Path) -> None:
    d = yaml.safe_load((ROOT / "hwconfigs" / "u280-flightllm.yaml").read_text())
    d["part"]["dsp"] = 1000
    err = _error(tmp_path, d)
    assert err.key_path == "compute.matrix_engine" and "DSP" in err.message


def test_workload_errors(tmp_path: Path) -> None:
    d = yaml.safe_load((ROOT / "workloads" / "llama2-7b.yaml").read_text())
    d["kv_heads"] = 5
    p = _write(tmp_path, d, "wl.yaml")
    with pytest.raises(ConfigError) as exc:
        load_workload(p)
    assert exc.value.key_path == "kv_heads"
    d = yaml.safe_load((ROOT / "workloads" / "llama2-7b.yaml").read_text())
    d["ffn"]["type"] = "swigul"
    p = _write(tmp_path, d, "wl.yaml")
    with pytest.raises(ConfigError) as exc:
        load_workload(p)
    assert "did you mean 'swiglu'" in exc.value.hint


def test_overrides_are_validated_like_yaml() -> None:
    hw = load_hardware("vhk158-flightllm", {"memories.hbm.channels": 16, "memories.hbm.bandwidth": "409.6 GiB/s",
                                            "mapping.a_buffer_channels": 4})
    assert hw.memories["hbm"].channels == 16
    with pytest.raises(ConfigError) as exc:
        load_hardware("vhk158-flightllm", {"memories.hbm.channels": 0})
    assert exc.value.key_path == "memories.hbm.channels"


def test_unknown_shipped_name() -> None:
    with pytest.raises(ConfigError) as exc:
        load_workload("llama2-7")
    assert "did you mean" in exc.value.hint


def test_build_reports_wrong_section_type() -> None:
    src = Source("inline.yaml", {})
    with pytest.raises(ConfigError) as exc:
        build(ModelConfig, {"version": 1, "ffn": 3}, src)
    assert exc.value.file == "inline.yaml"
