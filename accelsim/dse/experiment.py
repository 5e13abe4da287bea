"""Experiment YAML: base devices and workloads, a scenario, sweep axes, constraints, objectives, runner.

An experiment expands into design points in a deterministic order; each point is a set of dotted-path
overrides of a hwconfig (``hw.…``), a workload (``workload.…``) and the scenario (``scenario.batch`` …),
identified by a content hash of what it runs (so a resumed sweep recognises the points it already has).

.. code-block:: yaml

    version: 1
    name: fpga-dsp-hbm-sweep
    description: ...
    devices: [vhk158-flightllm]           # one or several hwconfigs (names or paths)
    workloads: [llama2-7b]
    scenario: {batch: 1, prompt: 128, gen: 128}
    fidelity: cycle                        # cycle | exact | roofline
    sweep:
      mode: grid                           # grid: every combination; random: `samples` draws (seeded)
      axes:                                # dotted path -> list of values
        hw.compute.matrix_engine.mm_parallelism.m: [64, 128, 256]
        hw.clocks.main: [200 MHz, 225 MHz, 250 MHz]
      zip:                                 # groups of axes that vary together (one value each per step)
        - {hw.memories.hbm.channels: [16, 32], hw.mapping.a_buffer_channels: [4, 8]}
      samples: 100                         # random mode only
      seed: 0
    constraints:                           # infeasible points are skipped with the reason recorded
      fits_part: true                      # FPGA resources within the part
      fits_memory: true                    # weights + KV cache fit the device memory
      limits:                              # any resolved config field or result metric
        - {field: area.utilization.dsp, max: 0.9}
    objectives:                            # for Pareto fronts and plots
      - {metric: tpot_s, goal: min}
      - {metric: energy_j, goal: min}
    numerics: {layers: 1, tokens: 4}       # optional: also report the formats' error (accelsim run --numerics)
    runner: {workers: 2}

Problems (an unknown key, an axis naming a field that does not exist, an empty axis, a malformed
constraint) raise :class:`accelsim.errors.ConfigError` naming the file, the key path and the fix.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Optional

import numpy as np

from ..config.schema import Source, build, flag, items, load_yaml, num, sub, text
from ..errors import ConfigError

__all__ = ["Limit", "Constraints", "Objective", "SweepSpec", "RunnerSpec", "Experiment", "Point", "load_experiment",
           "expand", "with_fidelity", "FIDELITIES"]

#: the fidelities an experiment (or ``accelsim sweep --fidelity``) may ask for
FIDELITIES = ("cycle", "exact", "roofline")


@dataclass(frozen=True, kw_only=True)
class Limit:
    """A bound on one resolved config field (``hw.…``, ``workload.…``, ``scenario.…``) or result metric."""

    field: str = text("dotted name of a config field or a result metric (e.g. area.utilization.dsp)")
    min: Optional[float] = num("smallest allowed value", default=None)
    max: Optional[float] = num("largest allowed value", default=None)

    def validate(self, src: Source, path: str) -> None:
        if self.min is None and self.max is None:
            raise src.error(path, f"limit on {self.field!r} has neither min nor max", "add 'min:' or 'max:'")


@dataclass(frozen=True, kw_only=True)
class Constraints:
    """Feasibility checks made before (config fields, part fit, memory fit) or after (metrics) a point runs."""

    fits_part: bool = flag("skip designs whose FPGA resources exceed the part", default=True)
    fits_memory: bool = flag("skip designs whose weights and KV cache do not fit the device memory", default=True)
    limits: tuple[Limit, ...] = items("bounds on config fields or result metrics", default_factory=tuple)


@dataclass(frozen=True, kw_only=True)
class Objective:
    """A metric to optimise: minimise latency/energy/area or maximise tokens/s or accuracy."""

    metric: str = text("result column, e.g. tpot_s, energy_j, tokens_per_s, area.utilization.dsp")
    goal: Literal["min", "max"] = text("min or max")


@dataclass(frozen=True, kw_only=True)
class SweepSpec:
    """The design space: independent axes (grid or random) and zipped groups."""

    mode: Literal["grid", "random"] = text("grid: every combination; random: seeded samples of it", default="grid")
    axes: dict[str, Any] = items("dotted path -> list of values", default_factory=dict)
    zip: tuple[dict[str, Any], ...] = items("groups of axes stepped together (equal lengths)", default_factory=tuple)
    samples: int = num("points drawn in random mode", default=0, nonneg=True)
    seed: int = num("seed of random mode", default=0, nonneg=True)


@dataclass(frozen=True, kw_only=True)
class RunnerSpec:
    """How the points run (the command line overrides it)."""

    workers: int = num("local worker processes (0: one per CPU)", default=0, nonneg=True)
    scheduler: Optional[str] = text("dask.distributed scheduler address, e.g. tcp://host:8786", default=None)


@dataclass(frozen=True, kw_only=True)
class Experiment:
    """A sweep or comparison: what runs, over which design space, under which constraints."""

    version: int = num("schema version of this file (1)", lo=1, hi=1)
    name: str = text("short name of the experiment")
    description: str = text("what the experiment answers", default="")
    devices: tuple[str, ...] = items("hwconfigs (shipped names or paths)")
    workloads: tuple[str, ...] = items("workloads (shipped names or paths)")
    scenario: dict[str, int] = items("batch, prompt and gen (generated tokens)", default_factory=dict, positive=True)
    fidelity: Literal["cycle", "exact", "roofline"] = text("simulation fidelity of every point", default="cycle")
    sweep: SweepSpec = sub("the design space", default_factory=SweepSpec)
    constraints: Constraints = sub("feasibility checks", default_factory=Constraints)
    objectives: tuple[Objective, ...] = items("metrics to optimise", default_factory=tuple)
    numerics: Optional[dict[str, int]] = sub("run the formats' error metrics too: layers, tokens", default=None)
    runner: RunnerSpec = sub("worker processes or a cluster", default_factory=RunnerSpec)
    file: str = field(default="", init=False, compare=False, metadata={"help": "the experiment file"})

    def validate(self, src: Source, path: str) -> None:
        object.__setattr__(self, "file", src.file)
        for key in self.scenario:
            if key not in ("batch", "prompt", "gen"):
                close = difflib.get_close_matches(key, ["batch", "prompt", "gen"], n=1)
                raise src.error(f"scenario.{key}", f"unknown scenario key {key!r}",
                                f"did you mean {close[0]!r}?" if close else "use batch, prompt and gen")
        if not self.devices or not self.workloads:
            raise src.error("devices" if not self.devices else "workloads", "needs at least one entry",
                            "list hwconfig and workload names, e.g. devices: [vhk158-flightllm]")
        axes = dict(self.sweep.axes)
        for group in self.sweep.zip:
            lengths = {len(v) if isinstance(v, list) else -1 for v in group.values()}
            if -1 in lengths or len(lengths) != 1:
                raise src.error("sweep.zip", "every axis of a zip group needs a list of the same length",
                                "give each path in the group as many values as the others")
            axes.update(group)
        for p, values in axes.items():
            where = f"sweep.axes.{p}"
            if not isinstance(values, list):
                raise src.error(where, f"axis {p!r} is not a list of values", "write the values as [a, b, c]")
            if not values:
                raise src.error(where, f"axis {p!r} is empty", "give it at least one value, or remove it")
            root = p.split(".", 1)[0]
            if root not in ("hw", "workload", "scenario") or "." not in p:
                raise src.error(where, f"axis {p!r} must start with hw., workload. or scenario.",
                                "e.g. hw.memories.hbm.channels or scenario.batch")
        if self.sweep.mode == "random" and self.sweep.samples < 1:
            raise src.error("sweep.samples", "random mode needs samples >= 1", "set sweep.samples: 100")
        if self.numerics is not None:
            for key in self.numerics:
                if key not in ("layers", "tokens", "prompt", "hidden", "vocab"):
                    raise src.error(f"numerics.{key}", f"unknown numerics option {key!r}",
                                    "use layers, tokens, prompt, hidden or vocab")


def load_experiment(path: str) -> Experiment:
    """Read and validate an experiment YAML (a path, or the name of a shipped experiment)."""
    from ..config import resolve

    p = resolve(path, "experiments")
    data, src = load_yaml(p)
    if "version" not in data:
        raise src.error("", "missing required key 'version'", "add 'version: 1' at the top of the file")
    return build(Experiment, data, src)


def with_fidelity(exp: Experiment, fidelity: str | None) -> Experiment:
    """The experiment with its fidelity replaced (``accelsim sweep --fidelity``); None keeps it."""
    if fidelity is None or fidelity == exp.fidelity:
        return exp
    if fidelity not in FIDELITIES:
        raise ConfigError(f"unknown fidelity {fidelity!r}", file=exp.file, key_path="fidelity",
                          hint="use one of " + ", ".join(FIDELITIES))
    out = replace(exp, fidelity=fidelity)  # type: ignore[arg-type]
    object.__setattr__(out, "file", exp.file)
    return out


@dataclass(frozen=True)
class Point:
    """One design point: a device, a workload, overrides, a scenario; ``point_id`` hashes all of it."""

    index: int
    device: str
    workload: str
    hw_overrides: tuple[tuple[str, Any], ...]
    workload_overrides: tuple[tuple[str, Any], ...]
    scenario: tuple[int, int, int]
    fidelity: str
    numerics: Optional[tuple[tuple[str, int], ...]]
    axes: tuple[tuple[str, Any], ...]

    @property
    def point_id(self) -> str:
        blob = json.dumps([self.device, self.workload, list(self.hw_overrides), list(self.workload_overrides),
                           list(self.scenario), self.fidelity, list(self.numerics or ())], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _combinations(spec: SweepSpec) -> list[list[tuple[str, Any]]]:
    """Every assignment of the axes in deterministic order (grid: row-major over the YAML order)."""
    singles = [[(p, v) for v in vals] for p, vals in spec.axes.items()]
    groups = [[tuple((p, g[p][i]) for p in g) for i in range(len(next(iter(g.values()))))] for g in spec.zip]
    dims = singles + [[tuple(x) for x in grp] for grp in groups]
    combos: list[list[tuple[str, Any]]] = []
    for choice in itertools.product(*dims) if dims else [()]:
        flat: list[tuple[str, Any]] = []
        for c in choice:
            if isinstance(c, tuple) and c and isinstance(c[0], tuple):
                flat.extend(c)
            else:
                flat.append(c)  # type: ignore[arg-type]
        combos.append(flat)
    if spec.mode == "random":
        rng = np.random.Generator(np.random.PCG64(spec.seed))
        n = min(spec.samples, len(combos))
        picks = sorted(rng.choice(len(combos), size=n, replace=False).tolist())
        combos = [combos[i] for i in picks]
    return combos


def expand(exp: Experiment) -> list[Point]:
    """The experiment's design points in deterministic order (device, workload, then the axes)."""
    base = (int(exp.scenario.get("batch", 1)), int(exp.scenario.get("prompt", 128)), int(exp.scenario.get("gen", 128)))
    points: list[Point] = []
    num = tuple(sorted(exp.numerics.items())) if exp.numerics is not None else None
    for device in exp.devices:
        for workload in exp.workloads:
            for combo in _combinations(exp.sweep):
                hw = tuple((p[3:], v) for p, v in combo if p.startswith("hw."))
                wl = tuple((p[9:], v) for p, v in combo if p.startswith("workload."))
                sc = dict(zip(("batch", "prompt", "gen"), base))
                for p, v in combo:
                    if p.startswith("scenario."):
                        key = p[9:]
                        if key not in sc:
                            raise ConfigError(f"unknown scenario axis {p!r}", file=exp.file,
                                              key_path=f"sweep.axes.{p}", hint="use scenario.batch, .prompt or .gen")
                        sc[key] = int(v)
                points.append(Point(len(points), device, workload, hw, wl, (sc["batch"], sc["prompt"], sc["gen"]),
                                    exp.fidelity, num, tuple(combo)))
    return points
