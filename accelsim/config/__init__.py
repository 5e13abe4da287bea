"""Validated, frozen configuration objects loaded from YAML.

``load_hardware`` and ``load_workload`` accept a path or the name of a shipped file (``vhk158-flightllm``,
``llama2-7b``), apply optional dotted-path overrides, and return frozen dataclasses. Problems raise
:class:`accelsim.errors.ConfigError` naming the file, line, key path and a fix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .flash import FlashConfig
from .gpu import GpuConfig
from .pim import PimConfig
from .hardware import HardwareConfig
from .schema import Source, apply_overrides, build, load_yaml
from .workload import ModelConfig

__all__ = [
    "HardwareConfig", "GpuConfig", "FlashConfig", "PimConfig", "ModelConfig", "load_hardware", "load_workload",
    "shipped", "resolve", "PROJECT_ROOT",
]

#: the repository root (the package's parent): shipped hwconfigs/ and workloads/ live there
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def _shipped_dir(kind: str) -> Path:
    env = os.environ.get(f"ACCELSIM_{kind.upper()}_DIR")
    return Path(env) if env else PROJECT_ROOT / kind


def shipped(kind: str) -> list[str]:
    """Names of the shipped YAML files of ``kind`` ('hwconfigs', 'workloads', 'experiments')."""
    d = _shipped_dir(kind)
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def resolve(name_or_path: str, kind: str) -> str:
    """A path to an existing file, or the shipped file of that name; the path as given if neither exists."""
    p = Path(name_or_path)
    if p.is_file():
        return str(p)
    cand = _shipped_dir(kind) / (name_or_path if name_or_path.endswith(".yaml") else name_or_path + ".yaml")
    if cand.is_file():
        return str(cand)
    if p.suffix not in (".yaml", ".yml") and os.sep not in name_or_path:
        import difflib

        close = difflib.get_close_matches(name_or_path, shipped(kind), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"shipped {kind}: " + ", ".join(shipped(kind))
        raise ConfigError(f"no {kind[:-1]} named {name_or_path!r}", file=name_or_path, hint=hint)
    return str(p)


def _read(name_or_path: str, kind: str, overrides: dict[str, Any] | None) -> tuple[dict[str, Any], Source]:
    """A config file's mapping (its ``version`` checked, overrides applied) and its source."""
    path = resolve(name_or_path, kind)
    data, src = load_yaml(path)
    if "version" not in data:
        raise src.error("", "missing required key 'version'", "add 'version: 1' at the top of the file")
    return apply_overrides(data, overrides, src), src


def _load(cls: type, name_or_path: str, kind: str, overrides: dict[str, Any] | None) -> Any:
    data, src = _read(name_or_path, kind, overrides)
    return build(cls, data, src)


#: hwconfig schema by the file's ``kind:`` key (fpga is the default for files that predate the key's choices)
HARDWARE_KINDS: dict[str, type] = {"fpga": HardwareConfig, "gpu": GpuConfig, "flash": FlashConfig, "pim": PimConfig}


def load_hardware(name_or_path: str,
                  overrides: dict[str, Any] | None = None) -> HardwareConfig | GpuConfig | FlashConfig | PimConfig:
    """Load and validate a hwconfig (path or shipped name), with optional dotted-path overrides.

    The file's ``kind:`` selects the schema: ``fpga`` (:class:`HardwareConfig`), ``gpu`` (:class:`GpuConfig`),
    ``flash`` (:class:`FlashConfig`) or ``pim`` (:class:`PimConfig`).
    """
    data, src = _read(name_or_path, "hwconfigs", overrides)
    kind = data.get("kind", "fpga")
    cls = HARDWARE_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        import difflib

        close = difflib.get_close_matches(str(kind), list(HARDWARE_KINDS), n=1)
        raise src.error("kind", f"{kind!r} is not one of " + ", ".join(repr(k) for k in HARDWARE_KINDS),
                        f"did you mean {close[0]!r}?" if close else "use kind: fpga, gpu, flash or pim")
    return build(cls, data, src)


def load_workload(name_or_path: str, overrides: dict[str, Any] | None = None) -> ModelConfig:
    """Load and validate a workload model (path or shipped name), with optional dotted-path overrides."""
    return _load(ModelConfig, name_or_path, "workloads", overrides)


def source_of(name_or_path: str, kind: str) -> Source:
    """The :class:`Source` (file and line map) of a config, for error messages raised after loading."""
    path = resolve(name_or_path, kind)
    return load_yaml(path)[1]
