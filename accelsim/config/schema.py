"""A small declarative schema: frozen dataclasses whose fields carry help text, units and bounds.

Config classes are plain ``@dataclass(frozen=True)`` classes; each field is declared with :func:`qty`,
:func:`num`, :func:`text`, :func:`flag`, :func:`sub` or :func:`items`, which store the help string, the
physical dimension (for quantities with units), bounds and choices in the field's metadata.
:func:`build` turns a YAML mapping into an instance, reporting the first problem as a
:class:`~accelsim.errors.ConfigError` that names the file, line, dotted key path and a fix (with a
did-you-mean for unknown keys).
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import MISSING, dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

import yaml

from ..errors import ConfigError
from ..units import QuantityError, parse_quantity

__all__ = [
    "Source", "qty", "num", "text", "flag", "sub", "items", "build", "load_yaml", "help_of", "apply_overrides",
]


@dataclass(frozen=True)
class Source:
    """Where a mapping came from: the file and the line of every key path (for error messages)."""

    file: str
    lines: dict[str, int] = dataclasses.field(default_factory=dict)

    def error(self, path: str, message: str, hint: str | None = None) -> ConfigError:
        line = self.lines.get(path)
        # fall back to the nearest enclosing key that has a line
        probe = path
        while line is None and probe:
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
            line = self.lines.get(probe)
        return ConfigError(message, file=self.file, key_path=path or None, hint=hint, line=line)


def _meta(help: str, **kw: Any) -> dict[str, Any]:
    if not help:
        raise ValueError("every config field needs a help string")
    return {"help": help, **kw}


def qty(help: str, dim: str, *, default: Any = MISSING, positive: bool = True, nonneg: bool = False,
        number_unit: str | None = None) -> Any:
    """A physical quantity written with a unit ("225 MHz"); stored as a float in SI units."""
    return field(default=default, metadata=_meta(help, dim=dim, positive=positive, nonneg=nonneg,
                                                  number_unit=number_unit))


def num(help: str, *, default: Any = MISSING, positive: bool = False, nonneg: bool = False,
        lo: float | None = None, hi: float | None = None) -> Any:
    """A plain number (int or float as annotated) with optional bounds; ``positive`` means > 0."""
    return field(default=default, metadata=_meta(help, positive=positive, nonneg=nonneg, lo=lo, hi=hi))


def text(help: str, *, default: Any = MISSING) -> Any:
    """A string (or a ``Literal[...]`` choice, as annotated)."""
    return field(default=default, metadata=_meta(help))


def flag(help: str, *, default: Any = MISSING) -> Any:
    """A boolean switch."""
    return field(default=default, metadata=_meta(help))


def sub(help: str, *, default_factory: Any = MISSING, default: Any = MISSING) -> Any:
    """A nested config section (a dataclass), optional when a default is given."""
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=_meta(help))
    return field(default=default, metadata=_meta(help))


def items(help: str, *, default_factory: Any = MISSING, positive: bool = False, nonneg: bool = False,
          lo: float | None = None, hi: float | None = None, dim: str | None = None) -> Any:
    """A list (tuple) or mapping (dict) of values; element bounds as in :func:`num`."""
    return field(default_factory=default_factory,
                 metadata=_meta(help, positive=positive, nonneg=nonneg, lo=lo, hi=hi, dim=dim))


def help_of(cls: type, name: str) -> str:
    """The help string of field ``name`` of config class ``cls``."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f.metadata.get("help", "")
    raise KeyError(name)


# ---------------------------------------------------------------------------------------------- YAML reading
class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (YAML silently keeps the last one otherwise)."""


def _line_map(node: yaml.Node, path: str, out: dict[str, int], source_file: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            sub_path = f"{path}.{key}" if path else key
            if key in seen:
                raise ConfigError(f"key {key!r} appears twice", file=source_file, key_path=sub_path,
                                  line=key_node.start_mark.line + 1, hint="keep one of the two entries")
            seen.add(key)
            out[sub_path] = key_node.start_mark.line + 1
            _line_map(value_node, sub_path, out, source_file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub_path = f"{path}[{i}]"
            out[sub_path] = item.start_mark.line + 1
            _line_map(item, sub_path, out, source_file)


_YAML_CACHE: dict[str, tuple[tuple[int, int, int], dict[str, Any], Source]] = {}


def load_yaml(path: str) -> tuple[dict[str, Any], Source]:
    """Read a YAML mapping with ``yaml.safe_load``; return it (a fresh copy) with a :class:`Source` of line numbers.

    A file is parsed once per process and modification (a sweep loads the same hwconfig thousands of times).
    """
    import copy
    import os

    try:
        st = os.stat(path)
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        hit = _YAML_CACHE.get(path)
        if hit is not None and hit[0] == key:
            return copy.deepcopy(hit[1]), hit[2]
    except OSError:
        key = None  # reported by the open below
    data, src = _load_yaml_uncached(path)
    if key is not None:
        _YAML_CACHE[path] = (key, copy.deepcopy(data), src)
    return data, src


def _load_yaml_uncached(path: str) -> tuple[dict[str, Any], Source]:
    try:
        with open(path, encoding="utf-8") as fh:
            content = fh.read()
    except FileNotFoundError:
        raise ConfigError("file not found", file=path, hint="check the path, or run `accelsim list` for shipped names")
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", file=path, hint="check the path and its permissions")
    try:
        node = yaml.compose(content, Loader=_UniqueKeyLoader)
        data = yaml.load(content, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"malformed YAML: {problem}", file=path, line=line,
                          hint="fix the YAML syntax at that line (indentation, a missing ':' or an unclosed quote)")
    if data is None:
        raise ConfigError("file is empty", file=path, hint="a config is a YAML mapping starting with 'version: 1'")
    if not isinstance(data, dict):
        raise ConfigError(f"top level is a {type(data).__name__}, not a mapping", file=path,
                          hint="a config is a YAML mapping of keys to values, starting with 'version: 1'")
    lines: dict[str, int] = {}
    _line_map(node, "", lines, path)
    return data, Source(path, lines)


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any] | None, source: Source) -> dict[str, Any]:
    """Return a copy of ``data`` with dotted-path overrides applied (``{"memories.hbm.channels": 16}``).

    The overridden keys are then validated like any other key by :func:`build`.
    """
    if not overrides:
        return data
    import copy

    out = copy.deepcopy(data)
    for dotted, value in overrides.items():
        keys = dotted.split(".")
        cur: Any = out
        for depth, key in enumerate(keys[:-1]):
            if not isinstance(cur, dict):
                raise source.error(".".join(keys[:depth]), f"cannot override {dotted!r}: this key is not a mapping",
                                   "override a key inside a mapping section")
            cur = cur.setdefault(key, {})
        if not isinstance(cur, dict):
            raise source.error(".".join(keys[:-1]), f"cannot override {dotted!r}: parent is not a mapping",
                               "override a key inside a mapping section")
        cur[keys[-1]] = value
    return out


# ---------------------------------------------------------------------------------------------- building
def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if _is_dataclass_type(tp):
        return "a mapping"
    if origin in (tuple, list):
        return "a list"
    if origin is dict:
        return "a mapping"
    return getattr(tp, "__name__", str(tp))


def _check_bounds(value: float, meta: dict[str, Any], path: str, src: Source) -> None:
    if meta.get("positive") and not value > 0:
        raise src.error(path, f"must be greater than zero, got {value!r}",
                        f"set {path.rsplit('.', 1)[-1]} to a positive value")
    if meta.get("nonneg") and value < 0:
        raise src.error(path, f"must not be negative, got {value!r}",
                        f"set {path.rsplit('.', 1)[-1]} to zero or a positive value")
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and value < lo:
        raise src.error(path, f"must be at least {lo}, got {value!r}", f"use a value in [{lo}, {hi if hi is not None else '∞'}]")
    if hi is not None and value > hi:
        raise src.error(path, f"must be at most {hi}, got {value!r}", f"use a value in [{lo if lo is not None else '-∞'}, {hi}]")


def _convert(tp: Any, value: Any, meta: dict[str, Any], path: str, src: Source) -> Any:
    origin = get_origin(tp)
    # Optional[X] / X | None
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None:
            return None
        if len(args) == 1:
            return _convert(args[0], value, meta, path, src)
        raise TypeError(f"unsupported union {tp}")
    if origin is Literal:
        choices = get_args(tp)
        if value not in choices:
            close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
            hint = f"did you mean {close[0]!r}?" if close else "use one of " + ", ".join(repr(c) for c in choices)
            raise src.error(path, f"{value!r} is not one of {', '.join(repr(c) for c in choices)}", hint)
        return value
    if _is_dataclass_type(tp):
        return build(tp, value, src, path)
    if origin in (tuple, list):
        if not isinstance(value, list):
            raise src.error(path, f"expected a list, got {type(value).__name__}", "write a YAML list: [a, b, c]")
        (elem_tp, *_rest) = get_args(tp) or (Any,)
        return tuple(_convert(elem_tp, v, meta, f"{path}[{i}]", src) for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise src.error(path, f"expected a mapping, got {type(value).__name__}", "write a YAML mapping of key: value")
        key_tp, val_tp = get_args(tp)
        return {str(k): _convert(val_tp, v, meta, f"{path}.{k}", src) for k, v in value.items()}
    dim = meta.get("dim")
    if dim is not None and tp is float:
        try:
            out = parse_quantity(value, dim, number_unit=meta.get("number_unit"))
        except QuantityError as exc:
            raise src.error(path, str(exc), f"write {path.rsplit('.', 1)[-1]} as a number with a unit")
        _check_bounds(out, meta, path, src)
        return out
    if tp is bool:
        if not isinstance(value, bool):
            raise src.error(path, f"expected true or false, got {value!r}", "write true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise src.error(path, f"expected a whole number, got {value!r}", "write an integer such as 16")
        _check_bounds(value, meta, path, src)
        return value
    if tp is float:
        if isinstance(value, str):
            # PyYAML (YAML 1.1) reads exponents without a sign, such as 6.7e9, as strings
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise src.error(path, f"expected a number, got {value!r}", "write a number such as 0.7")
        _check_bounds(float(value), meta, path, src)
        return float(value)
    if tp is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise src.error(path, f"expected text, got {type(value).__name__}", "write a string")
        return str(value)
    if tp is Any:
        return value
    raise TypeError(f"unsupported config field type {tp!r} at {path}")


_HINTS_CACHE: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS_CACHE:
        _HINTS_CACHE[cls] = typing.get_type_hints(cls)
    return _HINTS_CACHE[cls]


def build(cls: type, data: Any, src: Source, path: str = "") -> Any:
    """Validate ``data`` against config class ``cls`` and return a frozen instance.

    Unknown keys fail with a did-you-mean; missing required keys fail naming the key and its help text.
    """
    if not isinstance(data, dict):
        raise src.error(path, f"expected a mapping (section {cls.__name__}), got {type(data).__name__}",
                        f"write {path or 'this'} as a YAML mapping of key: value")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    hints = _hints(cls)
    for key in data:
        if key not in fields:
            sub_path = f"{path}.{key}" if path else str(key)
            close = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "known keys here: " + ", ".join(sorted(fields))
            raise src.error(sub_path, f"unknown key {key!r}", hint)
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        sub_path = f"{path}.{name}" if path else name
        if name not in data:
            if f.default is MISSING and f.default_factory is MISSING:  # type: ignore[misc]
                raise src.error(path, f"missing required key {name!r} ({f.metadata.get('help', '')})",
                                f"add '{name}:' under {path or 'the top level'}")
            continue
        kwargs[name] = _convert(hints[name], data[name], dict(f.metadata), sub_path, src)
    obj = cls(**kwargs)
    check = getattr(obj, "validate", None)
    if callable(check):
        check(src, path)
    return obj
