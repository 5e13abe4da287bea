"""The `accelsim sweep` and `accelsim plot` commands (registered by accelsim.cli)."""

from __future__ import annotations

import argparse
import os
import time

from ..errors import AccelsimError

__all__ = ["add_parsers", "cmd_sweep", "cmd_plot"]


def add_parsers(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    s = sub.add_parser("sweep", help="run an experiment's design points in parallel into a resumable result store")
    s.add_argument("experiment", help="experiment YAML (path or shipped name, see `accelsim list`)")
    s.add_argument("--workers", type=int, default=None, help="local worker processes (default: the runner's, or "
                                                             "one per CPU)")
    s.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="dask.distributed scheduler, e.g. tcp://host:8786 (extra: cluster)")
    s.add_argument("--out", metavar="DIR", default=None, help="result directory (default: sweeps/<name>)")
    s.add_argument("--resume", action="store_true",
                   help="continue a stored sweep (re-running the same command resumes too)")
    s.add_argument("--max-points", type=int, default=None, metavar="N",
                   help="only the first N points in the experiment's order (a preview)")
    s.add_argument("--fidelity", choices=("cycle", "exact", "roofline"), default=None,
                   help="simulate every point at this fidelity instead of the experiment's (e.g. roofline for a "
                        "first look; points of different fidelities are stored apart)")
    s.add_argument("--progress", action="store_true", help="show the progress bar even when not on a terminal")

    p = sub.add_parser("plot", help="figures from a sweep's results (Pareto scatter, breakdowns)")
    p.add_argument("results", help="a sweep directory or its results.csv / results.parquet")
    p.add_argument("--x", required=True, help="result column on the x axis (e.g. tpot_s)")
    p.add_argument("--y", required=True, help="result column on the y axis (e.g. energy_j)")
    p.add_argument("--color", default=None, help="column to colour the points by")
    p.add_argument("--goals", default="min,min", help="goals of x and y for the Pareto front (min|max), "
                                                      "default min,min")
    p.add_argument("--out", metavar="FILE", default=None, help="image to write (default: <results>/<y>_vs_<x>.png)")


def _connect(address: str, timeout_s: float = 10.0):  # type: ignore[no-untyped-def]
    try:
        from dask.distributed import Client
    except ImportError:
        raise AccelsimError("--scheduler needs dask.distributed", key_path="--scheduler",
                            hint="pip install 'accelsim[cluster]' (or run without --scheduler)") from None
    try:
        return Client(address, timeout=timeout_s)
    except Exception as exc:
        raise AccelsimError(f"no dask scheduler answers at {address!r} within {timeout_s:g} s ({type(exc).__name__})",
                            key_path="--scheduler", hint="start one with `dask scheduler` (and workers), or check "
                                                         "the address") from None


def cmd_sweep(a: argparse.Namespace) -> int:
    from .experiment import expand, load_experiment, with_fidelity
    from .runner import check_axes, run_sweep

    exp = with_fidelity(load_experiment(a.experiment), a.fidelity)
    points = expand(exp)
    if a.max_points is not None:
        if a.max_points < 1:
            raise AccelsimError("--max-points must be at least 1", key_path="--max-points", hint="e.g. --max-points 20")
        points = points[: a.max_points]
    check_axes(exp, points)
    out = a.out or os.path.join("sweeps", exp.name)
    if os.path.exists(os.path.join(out, "results.csv")) and not a.resume:
        print(f"resuming the sweep stored in {out} (points already there are skipped)")
    scheduler = a.scheduler or exp.runner.scheduler
    client = _connect(scheduler) if scheduler else None
    t0 = time.perf_counter()
    try:
        executor = client.get_executor() if client is not None else None
        workers = a.workers if a.workers is not None else exp.runner.workers
        summary = run_sweep(points, exp, out, executor=executor, workers=workers,
                            progress=True if a.progress else None)
    finally:
        if client is not None:
            client.close()
    print(f"{exp.name}: {summary['total']} points ({summary['done']} already stored): {summary['ok']} ok, "
          f"{summary['skipped']} skipped, {summary['failed']} failed in {time.perf_counter() - t0:.1f} s -> "
          f"{os.path.join(out, 'results.csv')}")
    return 0


def cmd_plot(a: argparse.Namespace) -> int:
    import pandas as pd

    from .. import plots

    path = a.results
    if os.path.isdir(path):
        pq, cs = os.path.join(path, "results.parquet"), os.path.join(path, "results.csv")
        path = pq if os.path.exists(pq) else cs
    if not os.path.exists(path):
        raise AccelsimError("no results found", file=a.results, hint="pass a sweep directory or its results.csv")
    df = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
    goals = a.goals.split(",")
    if len(goals) != 2 or any(g not in ("min", "max") for g in goals):
        raise AccelsimError(f"--goals must be two of min/max, got {a.goals!r}", key_path="--goals",
                            hint="e.g. --goals min,max")
    try:
        fig = plots.pareto_scatter(df, a.x, a.y, a.color, goals)
    except KeyError as exc:
        raise AccelsimError(str(exc.args[0]), file=path, key_path="--x/--y/--color",
                            hint="use a column of the results (see its header)") from None
    out = a.out or os.path.join(os.path.dirname(path), f"{a.y}_vs_{a.x}.png".replace("/", "_"))
    plots.save(fig, out)
    print(f"wrote {out}")
    return 0
