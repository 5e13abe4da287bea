"""Functional (numerics) models: a float64 reference transformer and the device's quantized arithmetic.

:mod:`.reference` is the float64 decoder built from a workload YAML; :mod:`.device` runs it with a hwconfig's
number formats through the functional units; :mod:`.compare` reports the errors layer by layer.
"""

from .compare import ErrorMetrics, NumericsReport, compare_runs, error_metrics
from .reference import Decoder, Dims, Numerics, dims, random_weights

__all__ = ["Decoder", "Dims", "Numerics", "dims", "random_weights", "ErrorMetrics", "NumericsReport",
           "compare_runs", "error_metrics"]
