"""accelsim: a cycle-level simulator and design-space explorer for LLM-inference hardware.

YAML -> validated config -> transformer graph -> compiler -> instruction trace -> SimPy engine (with Numba
timing kernels) -> statistics -> pandas -> plots. See README.md and ARCHITECTURE notes in the docstrings.
"""

__version__ = "0.1.0"
