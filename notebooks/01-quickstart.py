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
# # 01 · Quickstart: one run, its breakdown, its timeline
# LLaMA-2-7B on the FlightLLM engine of the Versal VHK158 (INT4 weights, cycle-level HBM2E): the latency of
# the prefill and of each decode step, where the time and the energy go, and what the units do over time.
# Runs in seconds. The same calls work for any hwconfig (`accelsim list` shows them).

# %%
import os
import tempfile

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
from accelsim import plots
from accelsim.simulate import simulate
from accelsim.workload import Scenario

GEN = int(os.environ.get("ACCELSIM_NB_GEN", "64"))  # generated tokens (the test run uses fewer)
timeline_file = os.path.join(tempfile.mkdtemp(), "timeline.json")
result = simulate("vhk158-flightllm", "llama2-7b", Scenario(batch=1, prompt=128, gen=GEN), timeline_path=timeline_file)
print(result.table())

# %% [markdown]
# `to_frame()` gives one row with dotted columns, the format sweeps store; every number has its unit in
# the column name (`_s` seconds, `_j` joules, `_w` watts) or is a count/fraction.

# %%
frame = result.to_frame()
print(frame[["prefill_s", "decode_s", "tokens_per_s", "tokens_per_j", "power_w", "utilization.mv",
             "bytes.hbm.read"]].T)
print(f"{result.tokens_per_s:.1f} tokens/s")

# %% [markdown]
# Where the decode time goes (per op, summed over the steps) and the energy of the run by component.

# %%
fig = plots.latency_breakdown({"VHK158": result}, phase="decode")
fig2 = plots.energy_breakdown({"VHK158": result})
for name, value in sorted(result.breakdown_s["decode"].items(), key=lambda kv: -kv[1])[:5]:
    print(f"  {name:28s} {value * 1e3:9.2f} ms")

# %% [markdown]
# The timeline (Chrome-trace JSON; open it in Perfetto for the interactive view): one lane per unit.

# %%
fig3 = plots.timeline(timeline_file)
print(f"timeline: {timeline_file}")

# %% [markdown]
# The roofline twin: the same graph costed by per-op bounds, a lower bound of the cycle-level answer.

# %%
roof = simulate("vhk158-flightllm", "llama2-7b", Scenario(batch=1, prompt=128, gen=GEN), fidelity="roofline")
print(f"decode step 1: {result.decode_step_s[0] * 1e3:.3f} ms cycle-level, "
      f"{roof.decode_step_s[0] * 1e3:.3f} ms roofline; {roof.tokens_per_s:.1f} tokens/s roofline")
