"""Energy of a DRAM-PIM run from its action counts (accelsim.engine.registry.PimComputeModel.count_names).

Bits are priced by the segments of the DRAM path they travel (PimEnergyConfig): a bit a PIM unit reads from a
bank pays activation/precharge and the cell read, plus, for a logic-die unit, the bank datapath and the TSVs; a
bit between the host and the PIM units (inputs, partial sums) pays the segments between the bank (or logic die)
and the host; a bit the host reads from the PIM DRAM pays all of them; a bit from the host's own memory pays
``host_memory``. MACs are priced per MAC. Background (active standby, IDD3N) and refresh (IDD5AB over tRFC every
tREFI) power come from the DRAM preset's currents for every rank of every channel over the whole time, as the
DRAM model prices them; the host's static power is added over the same time.
"""

from __future__ import annotations

from typing import Any

__all__ = ["pim_energy"]


def pim_energy(hw: Any, counts: dict[str, float], seconds: float) -> dict[str, float]:
    """Joules per part (``dram_array``, ``dram_io``, ``host_memory``, ``pim_macs``, ``host_macs``, ``dram_background``,
    ``dram_refresh``, ``host_static``) and their sum ``energy_j`` for one phase."""
    e = hw.energy
    d = hw.dram.derive()
    logic = hw.memory.pim.level == "logic"
    in_bank = e.act_pre + e.cell
    to_host = e.bank_datapath + e.tsv + e.link
    internal_bits = counts["internal_bytes"] * 8
    parts = {"dram_array": internal_bits * (in_bank + ((e.bank_datapath + e.tsv) if logic else 0.0)),
             # inputs into and partial sums out of the PIM units: a logic-die unit is one link away from the host
             "dram_io": counts["channel_bytes"] * 8 * (e.link if logic else to_host)}
    host_bits = counts["host_dram_bytes"] * 8
    if hw.host.memory is not None:
        parts["host_memory"] = host_bits * e.host_memory
    else:
        parts["dram_array"] += host_bits * in_bank
        parts["dram_io"] += host_bits * to_host
    parts["pim_macs"] = counts["macs"] * e.pim_mac
    parts["host_macs"] = counts["host_macs"] * e.host_mac
    _, _, _, e_ref, _, e_act_stb, _ = d.energy_pj  # V x mA x cycles (per refresh) and V x mA (per cycle), per rank
    ranks = hw.pim_channels * d.ranks
    parts["dram_background"] = ranks * e_act_stb * 1e-3 * seconds
    parts["dram_refresh"] = ranks * e_ref * 1e-3 / hw.dram.timing.tREFI * seconds
    parts["host_static"] = e.host_static_w * seconds
    return {**parts, "energy_j": sum(parts.values())}
