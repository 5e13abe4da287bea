"""Bank-level PIM GEMV kernel (accelsim.kernels.pim): exact command timelines on small cases."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.kernels.pim import N_COUNTS, PARAM_NAMES, pim_gemv

# NeuPIMs-like timing (the PIM issue: tCK 1 ns, CL = tRCD = tRP = 14, tRAS = 34, tFAW = 30)
BASE = {"channels": 1, "banks": 1, "bankgroups": 1, "page_bytes": 1024, "column_bytes": 32, "tCK_s": 1e-9,
        "tRCD": 14, "tRP": 14, "tRAS": 34, "tRTP": 5, "tCCD_L": 4, "tCCD_S": 2, "tRRD_S": 4, "tRRD_L": 6,
        "tFAW": 30, "tREFI": 1 << 40, "tRFC": 350, "macs_per_bank": 16, "mac_cycles_per_dram_cycle": 1.0,
        "all_bank_act": 1, "partial_sum_bytes": 2, "input_bytes": 2, "level": 0,
        "bandwidth_scale": 1.0, "banks_per_unit": 1}


def _run(n_out: int, n_in: int, vectors: int = 1, **kw: float) -> tuple[float, np.ndarray]:
    p = np.array([{**BASE, **kw}[n] for n in PARAM_NAMES], dtype=np.float64)
    c = np.zeros(N_COUNTS)
    return pim_gemv(n_out, n_in, 16, vectors, p, c), c


def test_one_dram_row_input_act_macs_readout() -> None:
    # 512 BF16 inputs (1 KiB: 32 bursts x tCCD_S 2), ACT at 64, first MAC at 64 + tRCD, 32 MACs every tCCD_L,
    # the last MAC's column in the unit tCCD_L later, one 2-byte partial sum read out (one burst)
    t, c = _run(1, 512)
    assert t == pytest.approx((64 + 14 + 31 * 4 + 4 + 2) * 1e-9)
    assert c[0] == 1 and c[1] == 32 and c[2] == 1024 and c[3] == 1024 + 2 and c[5] == 512


def test_the_next_row_waits_for_precharge_and_tRP() -> None:
    # 2 KiB of weights: two DRAM rows; PRE at last MAC + tRTP (tRAS has passed), next ACT tRP later
    t, c = _run(1, 1024)
    first = 128 + 14
    pre = first + 31 * 4 + 5
    second = pre + 14 + 14
    assert t == pytest.approx((second + 31 * 4 + 4 + 2) * 1e-9)
    assert c[0] == 2 and c[1] == 64


def test_banks_work_in_lockstep_and_tFAW_limits_per_bank_activates() -> None:
    t1, _ = _run(1, 512)
    t16, c16 = _run(16, 512, banks=16)  # 16 output rows, one per bank: same time, 16x the internal bytes
    assert c16[2] == 16 * 1024 and t16 == pytest.approx(t1)  # 16 partial sums of 2 B are still one burst
    # without an all-bank ACT: 16 ACTs, four per 30-cycle window, tRRD_S apart across two bank groups
    t_pb, c_pb = _run(16, 512, banks=16, bankgroups=2, all_bank_act=0)
    last_act = 3 * 30 + 3 * 4  # the 16th ACT: window 4 opens at 90, then three more tRRD_S apart
    assert t_pb - t16 == pytest.approx(last_act * 1e-9)
    assert c_pb[0] == 16


def test_refresh_interrupts_long_gemvs() -> None:
    t0, c0 = _run(64, 4096)
    t, c = _run(64, 4096, tREFI=3900, tRFC=350)
    n_ref = int(c[4])
    assert n_ref >= int(t0 / 1e-9 / 3900) and n_ref >= 1
    assert t - t0 == pytest.approx(n_ref * 350e-9, rel=0.1)


def test_internal_bandwidth_is_banks_times_the_external() -> None:
    # a long stream: every bank reads a column per tCCD_L; the channel carries one column per tCCD_S
    n_out, n_in = 16 * 64, 4096
    t, c = _run(n_out, n_in, banks=16)
    internal = c[2] / t
    external_peak = 32 / (2 * 1e-9)
    row_period = 14 + 31 * 4 + 5 + 14  # ACT to first MAC (tRCD), 31 column gaps, tRTP to PRE, tRP to next ACT
    assert internal / external_peak == pytest.approx(16 * 1024 / row_period / 16, rel=0.01)


def test_vectors_sharing_a_row_multiply_each_column_in_turn() -> None:
    # a GQA group of 4 query heads on one K row: each column feeds the 16-MAC unit 4 times (4 cycles, at
    # least tCCD_L = 2), one ACT for all four; 4 input vectors in (4 KiB: 128 bursts) and 4 partial sums out
    t, c = _run(1, 512, vectors=4, tCCD_L=2)
    assert t == pytest.approx((256 + 14 + 31 * 4 + 4 + 2) * 1e-9)
    assert c[0] == 1 and c[5] == 4 * 512 and c[3] == 4 * 1024 + 8


@pytest.mark.parametrize("case", range(20))
def test_pim_kernel_equals_its_command_list_twin(case: int) -> None:
    from accelsim.kernels.reference_pim import pim_gemv_ref

    rng = np.random.default_rng(100 + case)
    kw = {"channels": int(rng.choice([1, 2, 3])), "banks": int(rng.choice([1, 4, 16])),
          "bankgroups": int(rng.choice([1, 4])), "page_bytes": int(rng.choice([256, 1024, 2048])),
          "tCCD_L": int(rng.choice([1, 2, 4])), "macs_per_bank": int(rng.choice([4, 16])),
          "mac_cycles_per_dram_cycle": float(rng.choice([0.5, 1.0])), "all_bank_act": int(rng.integers(0, 2)),
          "tREFI": int(rng.choice([1 << 40, 500])), "partial_sum_bytes": float(rng.choice([2, 4])),
          "banks_per_unit": int(rng.choice([1, 1, 2]))}
    n_out, n_in, vectors = int(rng.integers(1, 200)), int(rng.integers(1, 3000)), int(rng.choice([1, 1, 4]))
    t, c = _run(n_out, n_in, vectors, **kw)
    t_ref, r = pim_gemv_ref(n_out, n_in, 16, vectors, [{**BASE, **kw}[n] for n in PARAM_NAMES])
    assert t == pytest.approx(t_ref, rel=1e-12)
    assert (c[0], c[1], c[2], c[3], c[4]) == (r["acts"], r["macs_cmds"], r["internal"], r["channel"], r["refs"])


def test_short_rows_wait_for_tRAS_before_precharge() -> None:
    # 256 B pages: 8 columns one cycle apart end before tRAS (34) has passed since the ACT, so PRE waits for it
    t, _ = _run(1, 256, page_bytes=256, tCCD_L=1)  # 512 B of weights: two DRAM rows; 16 input bursts
    first_act = 16 * 2
    second_act = first_act + 34 + 14
    assert t == pytest.approx((second_act + 14 + 7 + 1 + 2) * 1e-9)


def test_a_unit_per_bank_pair_reads_both_open_rows_and_activates_both_banks() -> None:
    # 4 banks in 2 pairs, as the config passes them: 2 units with a 2 KiB "page" (the pair's two 1 KiB rows)
    pair = dict(banks=2, page_bytes=2048, banks_per_unit=2, all_bank_act=0, bankgroups=4)
    t, c = _run(2, 1024, **pair)  # one output row per unit: 2 KiB = one pair's two rows
    # 1024 BF16 inputs (64 bursts x tCCD_S 2), 4 ACTs tRRD_S 4 apart, 64 MAC columns (both rows of a pair)
    # every tCCD_L from tRCD after the last ACT, the last column in the unit tCCD_L later, 4 B of partial sums
    assert t == pytest.approx((128 + 3 * 4 + 14 + 63 * 4 + 4 + 2) * 1e-9)
    assert c[0] == 4 and c[1] == 64 and c[2] == 2 * 2048


# a logic-die unit of 256 MACs beside one channel of 32 banks (4 groups), reading 4 columns per tCCD_S, banks
# activated one by one
LOGIC = {"banks": 32, "bankgroups": 4, "macs_per_bank": 256, "all_bank_act": 0, "level": 1, "bandwidth_scale": 4.0}


def _logic_run(n_out: int, n_in: int, vectors: int = 1, **kw: float) -> tuple[float, np.ndarray]:
    return _run(n_out, n_in, vectors, **{**LOGIC, **kw})


def test_logic_unit_streams_at_its_bandwidth_scale() -> None:
    # 16 x 1024 BF16 = 32 KiB = 32 pages, 1024 columns: input 64 bursts x 2 = 128 cycles; stream 1024 x 2 / 4 = 512
    # (ACTs every max(tRRD_S 4, tFAW/4 7.5) = 232.5 and 256 MACs/cycle = 64 cycles hide behind it); + tRCD;
    # one 32 B burst of partial sums
    t, c = _logic_run(16, 1024)
    assert t == pytest.approx((128 + 512 + 14 + 2) * 1e-9)
    assert (c[0], c[1], c[2], c[3], c[5]) == (32, 1024, 32768, 2048 + 32, 16 * 1024)


def test_logic_unit_is_limited_by_the_activate_rate() -> None:
    # tFAW 100: one ACT per 25 cycles, 31 gaps = 775 cycles > the 512-cycle stream
    t, _ = _logic_run(16, 1024, tFAW=100)
    assert t == pytest.approx((128 + 775 + 14 + 2) * 1e-9)


def test_logic_unit_is_limited_by_its_macs() -> None:
    # 64 vectors: 16 x 1024 x 64 / 256 = 4096 MAC cycles; input 131072 B = 4096 bursts; output 2048 B = 64 bursts
    t, _ = _logic_run(16, 1024, 64)
    assert t == pytest.approx((8192 + 4096 + 14 + 128) * 1e-9)


def test_logic_unit_stalls_for_refresh() -> None:
    # 654 cycles of work with a refresh due at 300 and 600 (tRFC 50 each): 754, then the read-out
    t, c = _logic_run(16, 1024, tREFI=300, tRFC=50)
    assert t == pytest.approx((654 + 100 + 2) * 1e-9) and c[4] == 2
