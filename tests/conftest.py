"""Test session setup: a fresh Numba cache directory (never the package's), kernels warmed once."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

# must happen before numba is imported anywhere in the session (and is inherited by CLI subprocesses)
os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="accelsim-numba-")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _warm_kernels() -> None:
    """Compile the timing kernels once per session so individual tests measure behaviour, not JIT time."""
    import numpy as np

    from accelsim.kernels.compute import compute_durations_ps
    from accelsim.kernels.memory import channel_access

    z = np.zeros(1, np.int64)
    compute_durations_ps(z, z, z, z, z, z, np.array([1.0] * 10 + [0.0, 1.0, 1.0, 1.0, 0.0]))
    channel_access(np.zeros(2, np.int64), np.zeros(2, np.int64), np.zeros(2, np.int64), np.zeros(2, np.int64),
                   np.int64(0), np.int64(0), np.int64(1), np.int64(1), np.int64(64), np.int64(0), 1.0, np.int64(0))


def run_cli(*args: str, timeout: float = 600):
    """Run the ``accelsim`` command in a subprocess; returns the CompletedProcess."""
    import subprocess

    return subprocess.run([sys.executable, "-m", "accelsim.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
