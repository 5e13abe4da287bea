"""The test suite executes the notebooks (nbmake) on reduced point sets: these variables shrink what each one
runs; a user opening a notebook gets the full experiment. Results go to a temporary directory."""

import os
import tempfile

os.environ.setdefault("ACCELSIM_NB_GEN", "16")
os.environ.setdefault("ACCELSIM_NB_MAX_POINTS", "8")  # cycle fidelity (roofline points carry no energy)
os.environ.setdefault("ACCELSIM_NB_BATCHES", "1")
os.environ.setdefault("ACCELSIM_NB_OUT", tempfile.mkdtemp(prefix="accelsim-notebooks-"))
os.environ.setdefault("MPLBACKEND", "Agg")
