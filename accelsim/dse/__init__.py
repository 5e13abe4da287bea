"""Design-space exploration: experiment YAML, sweep expansion, a resumable parallel runner, Pareto fronts."""

from .experiment import Experiment, Point, expand, load_experiment
from .pareto import pareto_front, pareto_mask
from .runner import METRICS, check_axes, evaluate_point, read_results, run_sweep

__all__ = ["Experiment", "Point", "expand", "load_experiment", "pareto_front", "pareto_mask", "METRICS",
           "check_axes", "evaluate_point", "read_results", "run_sweep"]
