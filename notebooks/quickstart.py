# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # accelsim quickstart
# Simulate LLaMA-2-7B on the FlightLLM VHK158 configuration, look at the decode steps, and compare with the
# roofline twin. Runs in a few seconds.

# %%
from accelsim.simulate import simulate
from accelsim.workload import Scenario

result = simulate("vhk158-flightllm", "llama2-7b", Scenario(batch=1, prompt=128, gen=256))
print(result.table())

# %%
frame = result.to_frame()
print(frame[["prefill_s", "decode_s", "tokens_per_s", "utilization.mv", "bytes.hbm.read"]])

# %%
roof = simulate("vhk158-flightllm", "llama2-7b", Scenario(batch=1, prompt=128, gen=256), fidelity="roofline")
print(f"decode step: {result.decode_step_s[0] * 1e3:.3f} ms cycle-level, {roof.decode_step_s[0] * 1e3:.3f} ms roofline")
