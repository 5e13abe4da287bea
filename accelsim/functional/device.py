"""A device's numerics: the reference decoder computed in the formats a hwconfig deploys a model with.

:class:`DeviceNumerics` implements the :class:`~accelsim.functional.reference.Numerics` hooks with
:mod:`accelsim.formats`:

* **weights**: pruned to the deployment's sparsity first — N:M patterns keep the N largest magnitudes of
  every M consecutive weights along the reduction dimension (a mix of N per block assigns the larger N to
  the blocks of larger norm, in the mix's proportions); a plain density keeps that fraction of each output
  column's largest magnitudes — then stored in their format (``formats.per_weight`` or ``formats.weights``)
  with one scale per output channel, or per ``weight_group_size`` weights along the reduction;
* **activations** entering a linear layer: the activation format with one dynamic scale per token;
* **keys and values** entering the KV cache: the KV-cache format, one scale per token and head;
* **special functions**: softmax and the norms run on the special-function unit's arithmetic
  (:mod:`accelsim.kernels.arith`: every intermediate rounded to the special-function format, FP16 on
  FlightLLM, sums accumulated in FP32 — an assumption, FlightLLM does not say); activations, RoPE and
  residual adds are rounded to that format.

The products of the quantized operands are exact in float64 (integer codes times scales), which is what an
integer engine with a wide enough accumulator computes; :func:`accumulator_check` says whether the engine's
accumulator can overflow for a layer's reduction length.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config.formats import format_info
from ..config.workload import FormatsConfig, SparsitySpec
from ..errors import AccelsimError
from .reference import Numerics, weight_kind

__all__ = ["DeviceNumerics", "prune"]

#: precision the special-function unit accumulates its sums in (an assumption: FP16 units commonly keep a
#: wider accumulator; FlightLLM's paper only says its special functions run in FP16)
SFU_ACCUMULATION = "fp32"
#: accumulator width of the integer units (FlightLLM / DSP cascades accumulate INT8 products in 32 bits or more)
DEFAULT_ACCUMULATOR_BITS = 32


def _formats() -> Any:
    from .. import formats  # the public formats API (Numba kernels behind it)

    return formats


def prune(w: np.ndarray, spec: SparsitySpec | None) -> np.ndarray:
    """``w`` (outputs x reduction) with the zeros of ``spec`` (see the module docstring)."""
    if spec is None:
        return w
    if spec.kind == "density":
        k = w.shape[1]
        keep = max(1, int(round(spec.density * k)))
        order = np.argsort(-np.abs(w), axis=1, kind="stable")
        mask = np.zeros_like(w, dtype=bool)
        np.put_along_axis(mask, order[:, :keep], True, axis=1)
        return np.where(mask, w, 0.0)
    m = spec.m
    if w.shape[1] % m:
        raise AccelsimError(f"the reduction dimension {w.shape[1]} is not a multiple of the N:M block size {m}",
                            key_path="sparsity", hint=f"use an M that divides {w.shape[1]}")
    fmts = _formats()
    if len(spec.blocks) == 1:
        n = spec.blocks[0][0]
        return np.zeros_like(w) if n == 0 else fmts.prune_nm(w, n, m, axis=1)
    # a mix: blocks of m x m (m output rows x m reduction columns) ranked by norm get N in the mix's order
    rows, k = w.shape
    out = np.zeros_like(w)
    br = -(-rows // m)
    kb = k // m
    norms = np.array([[np.linalg.norm(w[j * m:(j + 1) * m, i * m:(i + 1) * m]) for i in range(kb)]
                      for j in range(br)])
    order = np.argsort(-norms, axis=None, kind="stable")
    counts = np.floor(np.array([f for _, f in spec.blocks]) * order.size).astype(int)
    counts[0] += order.size - counts.sum()
    rank = 0
    for (n, _f), c in zip(spec.blocks, counts):
        for flat in order[rank:rank + c]:
            bj, bi = divmod(int(flat), kb)
            blk = w[bj * m:(bj + 1) * m, bi * m:(bi + 1) * m]
            if n:
                out[bj * m:(bj + 1) * m, bi * m:(bi + 1) * m] = fmts.prune_nm(blk, n, m, axis=1)
        rank += c
    return out


class DeviceNumerics(Numerics):
    """The numerics of a deployment: formats, scale granularity and sparsity per weight (module docstring)."""

    def __init__(self, formats: FormatsConfig, sparsity: dict[str, SparsitySpec], label: str = "device") -> None:
        self.f = formats
        self.sparsity = sparsity
        self.name = label
        f = formats
        self.desc = (f"weights {f.weights}" + (f" (groups of {f.weight_group_size})" if f.weight_group_size else "")
                     + (f", per weight {dict(f.per_weight)}" if f.per_weight else "")
                     + f", activations {f.activations}, KV cache {f.kv_cache}, special functions "
                       f"{f.special_functions}" + (f", sparsity { {k: v.describe() for k, v in sparsity.items()} }"
                                                   if sparsity else ""))

    @staticmethod
    def _params(fmt: str, group: int = 0) -> dict[str, Any]:
        info = format_info(fmt)
        if info.floating or info.block_size:
            return {}  # floats round element-wise; MX / block formats carry their own block scales
        if group:
            return {"granularity": "group", "group_size": group}
        return {"granularity": "channel"}

    def _q(self, x: np.ndarray, fmt: str, axis: int, group: int = 0) -> np.ndarray:
        if fmt in ("fp64",):
            return x
        if fmt == "fp32" or fmt in ("fp16", "bf16", "fp8_e4m3", "fp8_e5m2"):
            return _formats().quantize(x, fmt, saturate=True)
        return _formats().quantize(x, fmt, axis=axis, **self._params(fmt, group))

    def weight(self, name: str, w: np.ndarray) -> np.ndarray:
        kind = weight_kind(name)
        w = prune(w, self.sparsity.get(kind)) if kind else w
        fmt = self.f.weight_format(kind)
        group = self.f.weight_group_size
        if group and w.shape[1] % group:
            group = 0  # a layer whose reduction the group does not divide keeps per-channel scales
        return self._q(w, fmt, axis=1, group=group)

    def linear(self, name: str, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        xq = self._q(x, self.f.activations, axis=-1)
        y = xq @ w.T
        return y + b if b is not None else y

    def kv(self, t: np.ndarray) -> np.ndarray:
        return self._q(t, self.f.kv_cache, axis=-1)

    def sfu(self, x: np.ndarray) -> np.ndarray:
        return self._q(x, self.f.special_functions, axis=-1)

    def _sfu_float(self) -> str | None:
        fmt = self.f.special_functions
        return fmt if fmt in ("fp16", "bf16", "fp32") else None

    def softmax(self, s: np.ndarray) -> np.ndarray:
        prec = self._sfu_float()
        if prec is None:
            return super().softmax(s)
        from ..kernels import arith

        flat = np.ascontiguousarray(s.reshape(-1, s.shape[-1]))
        return arith.softmax(flat, precision=prec, acc_precision=SFU_ACCUMULATION).reshape(s.shape)

    def norm(self, kind: str, x: np.ndarray, g: np.ndarray, b: np.ndarray | None, eps: float) -> np.ndarray:
        prec = self._sfu_float()
        if prec is None:
            return super().norm(kind, x, g, b, eps)
        from ..kernels import arith

        flat = np.ascontiguousarray(x.reshape(-1, x.shape[-1]))
        if kind == "rmsnorm":
            y = arith.rmsnorm(flat, g, eps, precision=prec, acc_precision=SFU_ACCUMULATION)
        else:
            y = arith.layernorm(flat, g, b if b is not None else np.zeros_like(g), eps, precision=prec,
                                acc_precision=SFU_ACCUMULATION)
        return y.reshape(x.shape)


def accumulator_check(formats: FormatsConfig, reduction: int, acc_bits: int = DEFAULT_ACCUMULATOR_BITS) -> dict[str, Any]:
    """Worst-case bits of a ``reduction``-long dot product of the deployment's integer weights and
    activations, and whether ``acc_bits`` hold it."""
    w, a = format_info(formats.weights), format_info(formats.activations)
    if w.floating or a.floating:
        return {"integer": False}
    need = (w.element_bits - 1) + (a.element_bits - 1) + int(np.ceil(np.log2(max(reduction, 1)))) + 1
    return {"integer": True, "worst_case_bits": need, "accumulator_bits": acc_bits, "fits": need <= acc_bits}


def device_report(hw: Any, model: Any, *, layers: int | None = 2, tokens: int = 8, prompt: int = 8,
                  hidden: int | None = None, vocab: int | None = None, seed: int = 0) -> Any:
    """Run ``model`` (at ``layers``/``hidden``, full widths by default) in the numerics ``hw`` deploys it with
    and compare with the float64 reference: a :class:`~accelsim.functional.compare.NumericsReport`."""
    from ..workload import resolve_numerics
    from .compare import compare_runs
    from .reference import dims, random_weights

    num = resolve_numerics(model, hw.deployment, hw.name)
    d = dims(model, layers=layers, hidden=hidden, vocab=vocab)
    weights = random_weights(d, seed=seed)
    dev = DeviceNumerics(num.formats, dict(num.sparsity), label=f"{hw.name}")
    report = compare_runs(d, weights, dev, prompt=prompt, steps=tokens, seed=seed)
    report.numerics = f"{hw.name}: {dev.desc}"
    report.dims["accumulator"] = accumulator_check(num.formats, max(d.hidden, d.ffn, d.q_width))  # type: ignore[assignment]
    return report
