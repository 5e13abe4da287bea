"""Design-space exploration: experiment YAML, sweep expansion, a resumable parallel runner, Pareto fronts."""

from typing import Any

from .experiment import Experiment, Point, expand, load_experiment, with_fidelity
from .pareto import pareto_front, pareto_mask
from .runner import METRICS, check_axes, evaluate_point, read_results, run_sweep

__all__ = ["Experiment", "Point", "expand", "load_experiment", "with_fidelity", "pareto_front", "pareto_mask",
           "METRICS", "check_axes", "evaluate_point", "read_results", "run_sweep", "sweep"]


def sweep(experiment: str, out_dir: str, *, max_points: int | None = None, fidelity: str | None = None,
          workers: int | None = None, progress: bool = False) -> Any:
    """``accelsim sweep`` from Python: run (or resume) an experiment into ``out_dir`` and return its results
    as a DataFrame (every stored row, this run's and earlier ones)."""
    exp = with_fidelity(load_experiment(experiment), fidelity)
    points = expand(exp)
    if max_points is not None:
        points = points[:max_points]
    check_axes(exp, points)
    run_sweep(points, exp, out_dir, workers=exp.runner.workers if workers is None else workers, progress=progress)
    return read_results(out_dir)
