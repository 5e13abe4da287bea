# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · The FPGA design space: a sweep and its Pareto front
# `experiments/fpga-dsp-hbm-sweep.yaml` varies the VHK158 engine's MM/MV parallelism, A-buffer depth,
# clock, HBM channels (with their bandwidth), weight format and Q/K sparsity on LLaMA-2-7B (prompt 128, 128
# generated tokens). This notebook reads the results `accelsim sweep` stored, or runs the sweep itself
# (resumable: re-running picks up where it stopped), then draws latency against energy with the Pareto
# front, and the DSP cost of the designs on it.
#
# From a shell, the whole sweep: `accelsim sweep experiments/fpga-dsp-hbm-sweep.yaml --out sweeps/fpga-dsp-hbm-sweep`.
# The environment variables below shrink it (the test suite runs its first 8 points). Roofline-fidelity
# points (`ACCELSIM_NB_FIDELITY=roofline`) carry latency but no energy, so they have no front here.

# %%
import os
from pathlib import Path

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
from accelsim import plots
from accelsim.dse import pareto_front, sweep

ROOT = Path.cwd() if (Path.cwd() / "experiments").is_dir() else Path.cwd().parent
OUT = Path(os.environ.get("ACCELSIM_NB_OUT", ROOT / "sweeps")) / "fpga-dsp-hbm-sweep"
MAX_POINTS = int(os.environ.get("ACCELSIM_NB_MAX_POINTS", "0")) or None   # None: every point
FIDELITY = os.environ.get("ACCELSIM_NB_FIDELITY") or None                 # None: the experiment's (cycle)

df = sweep(str(ROOT / "experiments" / "fpga-dsp-hbm-sweep.yaml"), str(OUT), max_points=MAX_POINTS,
           fidelity=FIDELITY)
print(df["status"].value_counts().to_string())
print(f"fidelities stored: {sorted(df['fidelity'].dropna().unique())}")

# %% [markdown]
# Skipped points say why (a design that needs more DSPs or URAM than the part has, a model that does not
# fit); failed points carry their error. Only `ok` points enter the front.

# %%
skipped = df[df["status"] != "ok"][["index", "status", "reason"]]
print(skipped.head(5).to_string(index=False))
ok = df[df["status"] == "ok"]
if FIDELITY:
    ok = ok[ok["fidelity"] == FIDELITY]

# %%
front = pareto_front(ok, [("tpot_s", "min"), ("energy_j", "min")])
cols = ["tpot_s", "energy_j", "tokens_per_s", "area.utilization.dsp",
        "hw.compute.matrix_engine.mm_parallelism.m", "hw.clocks.main", "hw.memories.hbm.channels",
        "hw.deployment.formats.weights"]
print(f"{len(ok)} designs, {len(front)} on the latency/energy front")
assert len(front) > 0, "no design point ran: see the reasons above"
print(front[[c for c in cols if c in front.columns]].to_string(index=False))

# %%
fig = plots.pareto_scatter(ok, "tpot_s", "energy_j", color="hw.memories.hbm.channels")
fig2 = plots.pareto_scatter(ok, "tpot_s", "area.utilization.dsp", color="hw.deployment.formats.weights")
