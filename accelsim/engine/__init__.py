"""The SimPy core: one process per unit, dependencies and contention, exact reuse of recorded outcomes."""

from .core import FIDELITIES, Engine
from .runstats import Outcome, PhaseStats, RunStats

__all__ = ["Engine", "FIDELITIES", "RunStats", "PhaseStats", "Outcome"]
