"""Attention-weighted fusion of modality vectors into one video vector.

The fused vector is the concatenation of sqrt(w_m) * v_m over modalities m in a fixed order, with
each v_m unit length and the weights summing to 1. So the fused vector is unit length, every block is
recoverable, and the cosine of two fused vectors splits exactly into per-modality contributions:
    cos(a, b) = sum_m sqrt(w_a,m * w_b,m) * cos(a_m, b_m).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from extractors.features import ModalityFeatures

MODALITIES = ("text", "visual", "audio")
FUSION_VERSION = "sqrtw-concat-v1"


def attention_weights(
    confidences: dict[str, float], temperature: float = 0.5, prior: dict[str, float] | None = None
) -> dict[str, float]:
    """Softmax over (confidence / temperature + prior logit) across present modalities; absent ones get 0."""
    prior = prior or {}
    present = [m for m in MODALITIES if confidences.get(m, 0.0) > 0.0]
    if not present:
        return {m: 0.0 for m in MODALITIES}
    logits = np.array([confidences[m] / max(temperature, 1e-6) + prior.get(m, 0.0) for m in present])
    exp = np.exp(logits - logits.max())
    weights = exp / exp.sum()
    out = {m: 0.0 for m in MODALITIES}
    out.update({m: float(w) for m, w in zip(present, weights)})
    return out


@dataclass
class FusedVector:
    vector: np.ndarray  # float32, unit length (or zero when nothing was present)
    weights: dict[str, float]
    dims: dict[str, int]

    def block(self, modality: str) -> np.ndarray:
        """The sqrt(weight)-scaled slice belonging to one modality."""
        start = 0
        for m in MODALITIES:
            if m == modality:
                return self.vector[start : start + self.dims[m]]
            start += self.dims[m]
        raise KeyError(modality)


def fuse(
    features: dict[str, ModalityFeatures],
    dims: dict[str, int],
    temperature: float = 0.5,
    prior: dict[str, float] | None = None,
) -> FusedVector:
    """Weigh modalities by attention over their confidences and concatenate the scaled vectors."""
    weights = attention_weights({m: f.confidence for m, f in features.items()}, temperature, prior)
    parts = []
    for m in MODALITIES:
        part = np.zeros(dims[m], np.float32)
        feat = features.get(m)
        if feat is not None and weights[m] > 0 and feat.vector.size == dims[m]:
            part = np.sqrt(weights[m]).astype(np.float32) * feat.vector
        parts.append(part)
    vector = np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
    return FusedVector(vector, weights, dict(dims))


def contributions(a: FusedVector, b: FusedVector) -> dict[str, float]:
    """Per-modality terms whose sum is the cosine similarity of two fused vectors."""
    return {m: float(np.dot(a.block(m), b.block(m))) for m in MODALITIES}
