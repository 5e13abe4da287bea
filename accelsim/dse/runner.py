"""Run design points in parallel and append one row per point to a resumable result store.

``run_sweep(points, out_dir, executor=None)`` evaluates every point not yet in the store, one task per point,
on a local process pool (kernels warmed once per worker) or on any ``concurrent.futures`` executor, e.g. a
dask.distributed cluster's ``Client(address).get_executor()``. Rows are appended to ``results.csv`` as
points finish (one write and fsync per row, so a killed sweep keeps every finished row); re-running the
same sweep (``--resume``) reads the store and skips the points it holds, and a torn last line left by a kill
is cut off first. A failing point records its error and the sweep goes on; an infeasible point (a
constraint) is recorded as skipped with the reason. ``meta.json`` beside it names the experiment, the
accelsim version and the date; ``results.parquet`` is written at the end when pyarrow is installed.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import sys
import time
import traceback
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import fields, is_dataclass
from typing import Any, Callable, Iterable

from .. import __version__
from ..errors import AccelsimError, ConfigError
from .experiment import Experiment, Point

__all__ = ["METRICS", "evaluate_point", "run_sweep", "read_results", "check_axes", "flatten_config",
           "SweepSummary"]

#: the result columns every row carries (dotted; absent values are empty)
METRICS: tuple[str, ...] = (
    "prefill_s", "decode_s", "e2e_s", "ttft_s", "tpot_s", "tokens_per_s", "energy_j", "tokens_per_j", "power_w",
    "energy.decode_energy_per_token_j", "energy.run.compute_j", "energy.run.buffers_j", "energy.run.dram_j",
    "energy.run.static_j", "area.utilization.dsp", "area.utilization.bram36", "area.utilization.uram",
    "area.utilization.lut", "area.used.dsp", "area.mm2", "utilization.mm", "utilization.mv", "utilization.load",
    "bytes.hbm.read", "memory.hbm.row_hit_rate", "memory.hbm.energy_j", "macs",
    "numerics.logits.rel_l2", "numerics.logits.cosine", "numerics.top1_agreement", "numerics.top5_agreement",
)
_ID_COLUMNS = ("point_id", "index", "status", "reason", "device", "workload", "batch", "prompt", "gen", "fidelity",
               "wall_s", "config_hash")


def flatten_config(obj: Any, prefix: str) -> dict[str, Any]:
    """A frozen config dataclass as dotted columns (lists as JSON text)."""
    out: dict[str, Any] = {}

    def walk(p: str, v: Any) -> None:
        if is_dataclass(v):
            for f in fields(v):
                if f.init:
                    walk(f"{p}.{f.name}", getattr(v, f.name))
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(f"{p}.{k}", x)
        elif isinstance(v, (list, tuple)):
            out[p] = json.dumps(list(v), default=str)
        elif v is None or isinstance(v, (int, float, str, bool)):
            out[p] = v
        else:
            out[p] = str(v)

    walk(prefix, obj)
    return out


def _limits_ok(values: dict[str, Any], exp: Experiment, stage: str) -> str | None:
    for lim in exp.constraints.limits:
        if lim.field not in values:
            continue
        v = values[lim.field]
        if v is None or v == "":
            continue
        v = float(v)
        if lim.min is not None and v < lim.min:
            return f"{lim.field} = {v:g} < min {lim.min:g} ({stage})"
        if lim.max is not None and v > lim.max:
            return f"{lim.field} = {v:g} > max {lim.max:g} ({stage})"
    return None


def evaluate_point(point: Point, exp: Experiment) -> dict[str, Any]:
    """Run one design point; returns its row (status ok / skipped / failed)."""
    from ..config import load_hardware, load_workload
    from ..simulate import simulate
    from ..workload import Scenario

    row: dict[str, Any] = {"point_id": point.point_id, "index": point.index, "device": point.device,
                           "workload": point.workload, "batch": point.scenario[0], "prompt": point.scenario[1],
                           "gen": point.scenario[2], "fidelity": point.fidelity, "status": "ok", "reason": ""}
    for p, v in point.axes:
        row[p] = v if isinstance(v, (int, float, str, bool)) else json.dumps(v, default=str)
    t0 = time.perf_counter()
    try:
        hw_ov, wl_ov = dict(point.hw_overrides), dict(point.workload_overrides)
        try:
            hw = load_hardware(point.device, hw_ov)
        except ConfigError as exc:
            # the engine's DSP slices are checked against the part when the config loads
            if exp.constraints.fits_part and exc.key_path == "compute.matrix_engine" and "DSP" in exc.message:
                row.update(status="skipped", reason=f"exceeds the FPGA part: {exc.message}",
                           wall_s=time.perf_counter() - t0)
                return row
            raise
        model = load_workload(point.workload, wl_ov)
        row.update(flatten_config(hw, "hw"))
        row.update(flatten_config(model, "workload"))
        why = _limits_ok(row, exp, "config")
        if why is None and hw.part is not None and exp.constraints.fits_part:
            from ..stats.device import check_part_fit

            try:
                check_part_fit(hw)
            except ConfigError as exc:
                why = f"exceeds the FPGA part: {exc.message}"
        if why is None and exp.constraints.fits_memory:
            from ..compiler import compiler_for
            from ..workload import build_prefill, resolve_numerics

            comp = compiler_for(hw)
            num = resolve_numerics(model, hw.deployment, hw.name)
            b, p, g = point.scenario
            try:
                comp.check_capacity(build_prefill(model, b, comp.bucket("prefill", p), num), b, p + g)
            except AccelsimError as exc:
                why = f"does not fit memory: {exc.message}"
        if why is not None:
            row.update(status="skipped", reason=why)
        else:
            res = simulate(point.device, point.workload, Scenario(*point.scenario), fidelity=point.fidelity,
                           hw_overrides=hw_ov or None, workload_overrides=wl_ov or None,
                           numerics=dict(point.numerics) if point.numerics else None)
            flat = res.flat()
            row.update({k: flat.get(k) for k in METRICS})
            row["config_hash"] = res.config_hash
            why = _limits_ok(row, exp, "result")
            if why is not None:
                row.update(status="skipped", reason=why)
    except AccelsimError as exc:
        row.update(status="failed", reason=str(exc).replace("\n", " "))
    except Exception as exc:  # a bug in one point must not end the sweep: record it
        row.update(status="failed", reason=f"{type(exc).__name__}: {exc} | {traceback.format_exc(limit=3)}"[-2000:])
    row["wall_s"] = time.perf_counter() - t0
    return row


def _warm() -> None:
    """Worker initializer: compile (load) the Numba kernels once per worker process."""
    import warnings

    warnings.filterwarnings("ignore")
    from ..simulate import simulate
    from ..workload import Scenario

    try:
        simulate("vhk158-flightllm", "gpt2-small", Scenario(1, 16, 1))
    except Exception:
        pass


def _task(args: tuple[Point, Experiment]) -> dict[str, Any]:
    return evaluate_point(*args)


def check_axes(exp: Experiment, points: list[Point]) -> None:
    """Fail before anything runs when an axis names a field that does not exist (with a did-you-mean)."""
    from ..config import load_hardware, load_workload

    seen: set[str] = set()
    for p in points[:1]:
        for path, value in p.axes:
            if path in seen or path.startswith("scenario."):
                continue
            seen.add(path)
            try:
                if path.startswith("hw."):
                    load_hardware(p.device, {path[3:]: value})
                else:
                    load_workload(p.workload, {path[9:]: value})
            except ConfigError as exc:
                if "unknown key" in exc.message or "not a mapping" in exc.message:
                    raise ConfigError(f"sweep axis {path!r}: {exc.message}", file=exp.file,
                                      key_path=f"sweep.axes.{path}", hint=exc.hint) from None
                # a value that is invalid on its own is a point failure, recorded when the point runs


def _repair(path: str) -> None:
    """Cut a torn last line (a write interrupted by a kill) off the store."""
    if not os.path.exists(path):
        return
    with open(path, "rb+") as fh:
        data = fh.read()
        if data and not data.endswith(b"\n"):
            fh.truncate(data.rfind(b"\n") + 1)


def read_results(out_dir: str) -> "Any":
    """The store as a pandas DataFrame (empty if none)."""
    import pandas as pd

    path = os.path.join(out_dir, "results.csv")
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return pd.DataFrame()
    _repair(path)
    return pd.read_csv(path)


class SweepSummary(dict):  # type: ignore[type-arg]
    """Counts of a sweep run: total, done (already stored), ok, failed, skipped, wall seconds."""


def _columns(points: list[Point], exp: Experiment) -> list[str]:
    from ..config import load_hardware, load_workload

    axes: list[str] = []
    for p in points:
        for a, _v in p.axes:
            if a not in axes:
                axes.append(a)
    cfg: list[str] = []
    for dev in exp.devices:
        cfg += [k for k in flatten_config(load_hardware(dev), "hw") if k not in cfg]
    for wl in exp.workloads:
        cfg += [k for k in flatten_config(load_workload(wl), "workload") if k not in cfg]
    return list(_ID_COLUMNS) + axes + list(METRICS) + [c for c in cfg if c not in axes]


def run_sweep(points: list[Point], exp: Experiment, out_dir: str, *, executor: Executor | None = None,
              workers: int = 0, progress: bool | None = None,
              on_row: Callable[[dict[str, Any]], None] | None = None) -> SweepSummary:
    """Evaluate the points not yet stored in ``out_dir``, appending rows as they finish (module docstring)."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "results.csv")
    _repair(path)
    done: set[str] = set()
    header: list[str] | None = None
    if os.path.exists(path) and os.path.getsize(path):
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = list(reader.fieldnames or [])
            done = {r["point_id"] for r in reader if r.get("point_id")}
    todo = [p for p in points if p.point_id not in done]
    todo_ids: set[str] = set()
    todo = [p for p in todo if not (p.point_id in todo_ids or todo_ids.add(p.point_id))]  # duplicates run once
    if header is None:
        header = _columns(points, exp)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerow(header)
    meta = {"experiment": os.path.abspath(exp.file) if exp.file else exp.name, "name": exp.name,
            "accelsim_version": __version__, "points": len(points), "fidelity": exp.fidelity,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    with open(os.path.join(out_dir, "meta.json"), "w", encoding="utf-8") as fh:
        json.dump(meta, fh, indent=2)
    summary = SweepSummary(total=len(points), done=len(points) - len(todo), ok=0, failed=0, skipped=0, wall_s=0.0)
    t0 = time.perf_counter()
    if not todo:
        _finish(out_dir)
        return summary
    from tqdm import tqdm

    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(todo), disable=not show, unit="pt", dynamic_ncols=True)
    own = executor is None
    if own:
        import multiprocessing as mp

        n = workers or os.cpu_count() or 1
        executor = ProcessPoolExecutor(max_workers=min(n, len(todo)), initializer=_warm,
                                       mp_context=mp.get_context("spawn"))
    assert executor is not None
    try:
        with open(path, "a", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
            futures = {executor.submit(_task, (p, exp)): p for p in todo}
            for fut in as_completed(futures):
                try:
                    row = fut.result()
                except Exception as exc:  # a worker died: record the point as failed
                    p = futures[fut]
                    row = {"point_id": p.point_id, "index": p.index, "device": p.device, "workload": p.workload,
                           "status": "failed", "reason": f"worker error: {type(exc).__name__}: {exc}",
                           **{a: v for a, v in p.axes}}
                writer.writerow(row)
                fh.flush()
                os.fsync(fh.fileno())
                summary[row["status"] if row["status"] in ("ok", "failed", "skipped") else "failed"] += 1
                bar.update(1)
                bar.set_postfix(ok=summary["ok"], failed=summary["failed"], skipped=summary["skipped"])
                if on_row is not None:
                    on_row(row)
    finally:
        bar.close()
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    summary["wall_s"] = time.perf_counter() - t0
    _finish(out_dir)
    return summary


def _finish(out_dir: str) -> None:
    """Write results.parquet beside the CSV when pyarrow is installed."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return
    df = read_results(out_dir)
    if not df.empty:
        df.to_parquet(os.path.join(out_dir, "results.parquet"), index=False)


def points_iter(points: Iterable[Point], limit: int | None) -> list[Point]:
    """The first ``limit`` points in the experiment's order (all when None)."""
    pts = list(points)
    return pts if limit is None else pts[:limit]
