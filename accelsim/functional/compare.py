"""Error metrics between a device's numerics and the float64 reference, per layer and at the logits.

``compare_runs(model_dims, weights, device_numerics, prompt, steps)`` runs the reference and the device
decoder on the same tokens (a random prompt, then ``steps`` decode steps fed with the reference's greedy
tokens, so both see identical inputs) and reports, per layer (hidden state after the layer, averaged over
every token of every step) and at the logits: relative L2 error ||d - r|| / ||r||, max |d - r|, cosine
similarity; and over the decode steps the top-1 agreement (the device's most likely token is the
reference's) and top-5 agreement (the reference's token is among the device's five most likely).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .reference import Decoder, Dims, Numerics, Weights

__all__ = ["ErrorMetrics", "NumericsReport", "error_metrics", "compare_runs"]


@dataclass
class ErrorMetrics:
    """Relative L2 error, max absolute error and cosine similarity of a tensor against its reference."""

    rel_l2: float
    max_abs: float
    cosine: float

    def to_dict(self) -> dict[str, float]:
        return {"rel_l2": self.rel_l2, "max_abs": self.max_abs, "cosine": self.cosine}


def error_metrics(dev: np.ndarray, ref: np.ndarray) -> ErrorMetrics:
    """Metrics of ``dev`` against ``ref`` (any equal shapes; flattened)."""
    a, b = np.asarray(dev, np.float64).ravel(), np.asarray(ref, np.float64).ravel()
    diff = a - b
    nr = float(np.linalg.norm(b))
    na = float(np.linalg.norm(a))
    rel = float(np.linalg.norm(diff)) / nr if nr else float(np.linalg.norm(diff))
    cos = float(a @ b) / (na * nr) if na and nr else (1.0 if not na and not nr else 0.0)
    return ErrorMetrics(rel, float(np.max(np.abs(diff))) if diff.size else 0.0, cos)


@dataclass
class NumericsReport:
    """Per-layer and logits metrics of one device's numerics, and the decode agreement."""

    numerics: str
    layers: list[ErrorMetrics]
    logits: ErrorMetrics
    top1_agreement: float
    top5_agreement: float
    steps: int
    dims: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"numerics": self.numerics, "layers": [m.to_dict() for m in self.layers],
                "logits": self.logits.to_dict(), "top1_agreement": self.top1_agreement,
                "top5_agreement": self.top5_agreement, "steps": self.steps, "dims": self.dims}

    def table(self) -> str:
        lines = [f"numerics {self.numerics} vs float64 reference ({self.dims}):",
                 f"  {'where':<10} {'rel L2':>10} {'max |err|':>12} {'cosine':>10}"]
        for i, m in enumerate(self.layers):
            lines.append(f"  layer {i:<4} {m.rel_l2:10.3e} {m.max_abs:12.3e} {m.cosine:10.6f}")
        lg = self.logits
        lines.append(f"  {'logits':<10} {lg.rel_l2:10.3e} {lg.max_abs:12.3e} {lg.cosine:10.6f}")
        lines.append(f"  top-1 agreement {100 * self.top1_agreement:.1f} %, top-5 agreement "
                     f"{100 * self.top5_agreement:.1f} % over {self.steps} decode steps")
        return "\n".join(lines)


def compare_runs(d: Dims, weights: Weights, numerics: Numerics, prompt: int = 8, steps: int = 8,
                 seed: int = 0) -> NumericsReport:
    """Run the reference and ``numerics`` on the same random prompt and greedy continuation; compare."""
    rng = np.random.Generator(np.random.PCG64(seed + 1))
    tokens = rng.integers(0, d.vocab, prompt)
    ref, dev = Decoder(d, weights), Decoder(d, weights, numerics)
    layer_ref: list[list[np.ndarray]] = [[] for _ in range(d.layers)]
    layer_dev: list[list[np.ndarray]] = [[] for _ in range(d.layers)]
    logits_ref: list[np.ndarray] = []
    logits_dev: list[np.ndarray] = []
    top1 = top5 = 0
    inp = tokens
    for step in range(steps + 1):
        lr, ld = ref.forward(inp), dev.forward(inp)
        for i in range(d.layers):
            layer_ref[i].append(ref.trace[i])
            layer_dev[i].append(dev.trace[i])
        logits_ref.append(lr)
        logits_dev.append(ld)
        nxt = int(np.argmax(lr[-1]))
        if step > 0:  # decode steps (the prefill's last row predicts the first generated token: step 0)
            top1 += int(np.argmax(ld[-1]) == nxt)
            top5 += int(nxt in np.argsort(-ld[-1], kind="stable")[:5])
        inp = np.array([nxt])
    layers = [error_metrics(np.concatenate(layer_dev[i]), np.concatenate(layer_ref[i])) for i in range(d.layers)]
    return NumericsReport(
        numerics=numerics.name, layers=layers,
        logits=error_metrics(np.concatenate(logits_dev), np.concatenate(logits_ref)),
        top1_agreement=top1 / steps if steps else 1.0, top5_agreement=top5 / steps if steps else 1.0, steps=steps,
        dims={"layers": d.layers, "hidden": d.hidden, "heads": d.heads, "kv_heads": d.kv_heads, "ffn": d.ffn,
              "vocab": d.vocab, "prompt": prompt})
