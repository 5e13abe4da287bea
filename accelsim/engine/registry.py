"""Explicit registry of component models: device kind -> compute model, memory ``model`` -> memory model."""

from __future__ import annotations

import numpy as np

from ..config.gpu import FA2_EFFICIENCY, KERNEL_LATENCY_S, PRECISIONS, TENSOR_CORE_EFFICIENCY, GpuConfig
from ..config.hardware import HardwareConfig
from ..kernels.compute import DATAFLOWS, STYLES, compute_durations_ps
from ..kernels.gpu import gpu_durations_ps
from ..kernels.nand import COUNT_NAMES, F_GEMV, N_COUNTS, flash_durations_ps, plan_gemv
from ..kernels.pim import COUNT_NAMES as PIM_COUNT_NAMES
from ..kernels.pim import N_COUNTS as PIM_N_COUNTS
from ..kernels.pim import pim_gemv
from .dram import DramMemory
from .memory import BandwidthMemory

__all__ = ["FpgaComputeModel", "GpuComputeModel", "FlashComputeModel", "PimComputeModel", "gpu_params",
           "COMPUTE_MODELS", "MEMORY_MODELS"]


class FpgaComputeModel:
    """Durations of MM/MV/SFU instructions on a FlightLLM-style device (see accelsim.kernels.compute)."""

    def __init__(self, hw: HardwareConfig) -> None:
        me, sfu = hw.compute.matrix_engine, hw.compute.sfu
        arr = me.array
        self.params = np.array([
            1e12 / hw.clocks.main, hw.slrs.parallel_efficiency, hw.slrs.count,
            me.mm_parallelism.macs_per_cycle, me.mm_tile_rows, me.mm_tile_cols,
            me.mv_parallelism.macs_per_cycle, me.mv_tile_outputs, me.reduction_block, sfu.lanes,
            STYLES.index(me.style), arr.rows if arr else 1, arr.cols if arr else 1, arr.depth if arr else 1,
            DATAFLOWS.index(arr.dataflow) if arr else 0,
        ], dtype=np.float64)

    def durations(self, trace: np.ndarray) -> np.ndarray:
        return compute_durations_ps(trace["opcode"], trace["rows"], trace["cols"], trace["red"],
                                    trace["density_ppm"], trace["passes"], self.params)


def gpu_params(hw: GpuConfig) -> np.ndarray:
    """The parameter array of accelsim.kernels.gpu (layout: its PARAM_NAMES) for a GPU hwconfig."""
    sm, fw = hw.sm, hw.framework
    rates = [hw.tensor_rate_flops(p) or 0.0 for p in PRECISIONS]
    return np.array([
        sm.count, sm.boost_clock, hw.memory.bandwidth, hw.memory.sustained_fraction, KERNEL_LATENCY_S,
        TENSOR_CORE_EFFICIENCY, sm.l2_bytes_per_clk, sm.fp32_tflops * 1e12, *rates,
        fw.torch_op_host, fw.module_call_host, fw.python_op_host, fw.sync_host,
        fw.step_prepare, fw.step_prepare_per_seq, fw.sampler_host, fw.sampler_host_per_seq,
        fw.process_outputs, fw.process_outputs_per_seq, FA2_EFFICIENCY,
    ], dtype=np.float64)


class GpuComputeModel:
    """Durations of GPU kernels and host work (see accelsim.kernels.gpu); columns as accelsim.compiler.gpu."""

    def __init__(self, hw: GpuConfig) -> None:
        self.params = gpu_params(hw)

    def durations(self, trace: np.ndarray) -> np.ndarray:
        return gpu_durations_ps(trace["opcode"], trace["func"], trace["rows"], trace["cols"], trace["red"],
                                trace["passes"], trace["bytes"], trace["addr"], trace["chan_n"], trace["path"],
                                self.params)


_NAND_COLUMNS = ("opcode", "func", "rows", "cols", "red", "passes", "bytes", "chan_lo", "chan_n", "path", "macs")


def _nand_durations(trace: np.ndarray, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """accelsim.kernels.nand's durations (ps) and counts of every instruction, each distinct instruction (every
    layer's repeat) computed once."""
    keys = np.stack([trace[c] for c in _NAND_COLUMNS], axis=1)
    uniq, inv = np.unique(keys, axis=0, return_inverse=True)
    counts = np.zeros((len(uniq), N_COUNTS))
    dur = flash_durations_ps(*(np.ascontiguousarray(uniq[:, j]) for j in range(len(_NAND_COLUMNS))), params, counts)
    inv = inv.reshape(-1)
    return dur[inv], counts[inv]


class FlashComputeModel:
    """Durations of a flash device's instructions (accelsim.kernels.nand; columns as accelsim.compiler.flash).

    A GEMV instruction names its shape, weight bits, split rule and tile (0: the hardware-aware choice,
    FlashConfig.auto_tile); the plan (tile and read-compute tiles) is chosen once per GEMV shape by simulating
    the split around its steady-state balance (accelsim.kernels.nand.balanced_split), and
    every instruction's duration and action counts are then computed with the chosen plan."""

    def __init__(self, hw) -> None:  # type: ignore[no-untyped-def]
        self.hw = hw
        self.params = np.array(hw.params, dtype=np.float64)
        self.plans: dict[tuple[int, ...], tuple[int, int, int, float]] = {}
        self._resolved: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _plan(self, n_out: int, n_in: int, m: int, bits: int, split: int, th: int,
              tw: int) -> tuple[int, int, int, float]:
        key = (n_out, n_in, m, bits, split, th, tw)
        hit = self.plans.get(key)
        if hit is None:
            tiles = [(th, tw) if th > 0 else self.hw.auto_tile(bits, n_in)]
            hit = self.plans[key] = plan_gemv(n_out, n_in, m, bits, tiles, split, self.params)
        return hit

    def resolve(self, trace: np.ndarray) -> np.ndarray:
        """A copy of the trace with every GEMV's tile (chan_lo, chan_n) and read-compute tiles (passes) chosen."""
        tr = trace.copy()
        for i in np.nonzero(tr["func"] == F_GEMV)[0].tolist():
            r = tr[i]
            th, tw, n_rc, _ = self._plan(int(r["rows"]), int(r["cols"]), int(r["red"]), int(r["path"]),
                                         int(r["passes"]), int(r["chan_lo"]), int(r["chan_n"]))
            tr["chan_lo"][i], tr["chan_n"][i], tr["passes"][i] = th, tw, n_rc
        return tr

    def durations_and_counts(self, trace: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per instruction: duration (ps) and action counts (accelsim.kernels.nand.COUNT_NAMES)."""
        return _nand_durations(self.resolve(trace), self.params)

    def durations(self, trace: np.ndarray) -> np.ndarray:
        return self.durations_and_counts(trace)[0]

    count_names = COUNT_NAMES


class PimComputeModel:
    """Durations of a DRAM-PIM device's instructions (columns as accelsim.compiler.pim).

    A GEMV of M rows runs either on the PIM units (accelsim.kernels.pim; ceil(M / input_vectors) passes over the
    weights) or as a GEMM on the host chip's array with the weights read at the host's bandwidth (its own
    memory's, else every PIM channel's at peak). Which one is per GEMV shape (recorded in ``plans``): the KV cache's GEMVs (attention: pim) always
    run in the PIM units; with a host memory the weights live there and their GEMVs run on the host; otherwise
    ``dispatch`` decides (fastest: the shorter of the two timelines; op_per_byte: PIM when the layer's op/B is
    below PimConfig.pim_peak_flops / host_bandwidth). With ``coprocess`` a GEMV of several equal matrices (MoE
    experts) is split between the two so that the later of them finishes soonest. Host operations are timed
    like the flash device's NPU (accelsim.kernels.nand) with the DRAM's first-access latency and the host's
    bandwidth."""

    count_names = PIM_COUNT_NAMES + ("host_macs", "host_dram_bytes")

    def __init__(self, hw) -> None:  # type: ignore[no-untyped-def]
        self.hw = hw
        self.pim = np.array(hw.pim_params, dtype=np.float64)
        self.host = np.array(hw.host_params, dtype=np.float64)
        self.opb_threshold = hw.pim_peak_flops / hw.host_bandwidth
        self.plans: dict[tuple[int, ...], tuple[str, float, np.ndarray]] = {}

    def _on_pim(self, n: int, k: int, m: int, bits: int, vectors: int) -> tuple[float, np.ndarray]:
        out = np.zeros(len(self.count_names))
        if n == 0:
            return 0.0, out
        # ceil(m / iv) passes over the weights, each multiplying up to iv of the GEMV's rows per weight read
        iv = self.hw.memory.pim.input_vectors
        full, rest = divmod(m, iv)
        c = np.zeros(PIM_N_COUNTS)
        t = 0.0
        if full:
            t = full * pim_gemv(n, k, bits, min(m, iv) * vectors, self.pim, c)
            c *= full
        if rest:
            t += pim_gemv(n, k, bits, rest * vectors, self.pim, c)
        out[:PIM_N_COUNTS] = c
        return t, out

    def _on_host(self, n: int, k: int, m: int, bits: int, vectors: int) -> tuple[float, np.ndarray]:
        out = np.zeros(len(self.count_names))
        if n == 0:
            return 0.0, out
        h = self.hw.host
        rows, cols = h.array_rows, h.array_cols
        # the array streams one output column per array column and cycle; it fills and drains once
        cycles = -(-m * vectors // rows) * -(-n // cols) * k + rows + cols - 2
        t = max(cycles / h.clock, n * k * bits / 8 / self.hw.host_bandwidth) + h.op_latency
        out[len(PIM_COUNT_NAMES)] = n * k * m * vectors
        out[len(PIM_COUNT_NAMES) + 1] = n * k * bits / 8  # the weights, read once
        return t, out

    def _gemv(self, n: int, k: int, m: int, bits: int, vectors: int, kv: int, groups: int) -> tuple[str, float,
                                                                                                  np.ndarray]:
        key = (n, k, m, bits, vectors, kv, groups)
        hit = self.plans.get(key)
        if hit is not None:
            return hit
        hw = self.hw
        if kv:
            t, c = self._on_pim(n, k, m, bits, vectors)
            hit = ("pim", t, c)
        elif hw.host.memory is not None:
            t, c = self._on_host(n, k, m, bits, vectors)
            hit = ("host", t, c)
        elif hw.coprocess and groups > 1:
            size = n // groups
            best: tuple[str, float, np.ndarray] | None = None
            for j in range(groups + 1):  # j matrices in the PIM units, the rest on the host, side by side
                tp, cp = self._on_pim(j * size, k, m, bits, vectors)
                th, ch = self._on_host((groups - j) * size, k, m, bits, vectors)
                t = max(tp, th)
                if best is None or t < best[1]:
                    on = "pim" if j == groups else "host" if j == 0 else f"pim {j}/{groups}"
                    best = (on, t, cp + ch)
            assert best is not None
            hit = best
        else:
            tp, cp = self._on_pim(n, k, m, bits, vectors)
            th, ch = self._on_host(n, k, m, bits, vectors)
            if hw.dispatch == "op_per_byte":
                use_pim = 16.0 * m * vectors / bits < self.opb_threshold  # 2 x MACs per weight byte
            else:
                use_pim = tp <= th
            hit = ("pim", tp, cp) if use_pim else ("host", th, ch)
        self.plans[key] = hit
        return hit

    def durations_and_counts(self, trace: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(trace)
        dur = np.zeros(n, dtype=np.int64)
        counts = np.zeros((n, len(self.count_names)))
        gemv_rows = trace["func"] == F_GEMV
        for i in np.nonzero(gemv_rows)[0].tolist():
            r = trace[i]
            _, sec, c = self._gemv(int(r["rows"]), int(r["cols"]), int(r["red"]), int(r["path"]),
                                   max(1, int(r["passes"])), int(r["chan_lo"]), max(1, int(r["chan_n"])))
            dur[i] = int(round(sec * 1e12))
            counts[i] = c
        other = trace.copy()
        other["opcode"][gemv_rows] = 0
        hd, hc = _nand_durations(other, self.host)
        mask = ~gemv_rows
        dur[mask] = hd[mask]
        counts[mask, len(PIM_COUNT_NAMES)] = hc[mask, COUNT_NAMES.index("npu_macs")]
        counts[mask, len(PIM_COUNT_NAMES) + 1] = hc[mask, COUNT_NAMES.index("dram_bytes")]
        return dur, counts

    def durations(self, trace: np.ndarray) -> np.ndarray:
        return self.durations_and_counts(trace)[0]


COMPUTE_MODELS = {"fpga": FpgaComputeModel, "gpu": GpuComputeModel, "flash": FlashComputeModel,
                  "pim": PimComputeModel}
MEMORY_MODELS = {"bandwidth": BandwidthMemory, "dram": DramMemory}
