"""Model specs, scenarios and the immutable op graph of prefill and decode steps."""

from .builder import Numerics, Scenario, active_experts, build_decode, build_prefill, parameters_of, resolve_numerics
from .graph import OP_KINDS, Graph, Op, Section, Tensor

__all__ = ["Graph", "Op", "Section", "Tensor", "OP_KINDS", "Scenario", "Numerics", "resolve_numerics",
           "build_prefill", "build_decode", "parameters_of", "active_experts"]
