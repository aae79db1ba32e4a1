"""Attention-weighted fusion of modality vectors into one video vector.

The fused vector is the concatenation of sqrt(w_m) * v_m over modalities m in a fixed order, with
each v_m unit length and the weights summing to 1. So the fused vector is unit length, every block is
recoverable, and the cosine of two fused vectors splits exactly into per-modality contributions:
    cos(a, b) = sum_m sqrt(w_a,m * w_b,m) * cos(a_m, b_m).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from extractors.base import ModalityFeatures

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
    out.update({m: float(w) for m, w in zip(present, weights, strict=False)})
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


# -- scoring-time modality weights -------------------------------------------------------------------
# A user (or a search query) is fused the same way as a video: concat(sqrt(a_m) * u_m) with its own
# weights a_m. Then user . video = sum_m sqrt(a_m * w_m) * cos(u_m, v_m): still one inner product
# (so the vector index can search it) and still split exactly by `contributions`.


def normalize_weights(weights: dict[str, float], present: set[str] | None = None) -> dict[str, float]:
    """Non-negative weights over MODALITIES summing to 1 over the present ones; absent ones get 0."""
    keep = {m: max(0.0, float(weights.get(m, 0.0))) for m in MODALITIES if present is None or m in present}
    total = sum(keep.values())
    if total <= 0:
        keep = {m: 1.0 for m in keep}
        total = float(len(keep)) or 1.0
    return {m: keep.get(m, 0.0) / total for m in MODALITIES}


def compose(vectors: dict[str, np.ndarray], weights: dict[str, float], dims: dict[str, int]) -> FusedVector:
    """A fused vector from per-modality vectors (normalised here) under the given weights.

    Modalities without a (non-zero) vector get weight 0 and the rest renormalise.
    """
    units: dict[str, np.ndarray] = {}
    for m in MODALITIES:
        v = vectors.get(m)
        if v is None or dims.get(m, 0) == 0 or np.asarray(v).size != dims[m]:
            continue
        norm = float(np.linalg.norm(v))
        if norm > 1e-12:
            units[m] = np.asarray(v, np.float32) / norm
    w = normalize_weights(weights, set(units)) if units else {m: 0.0 for m in MODALITIES}
    parts = [np.sqrt(w[m]).astype(np.float32) * units[m] if m in units else np.zeros(dims.get(m, 0), np.float32)
             for m in MODALITIES]
    return FusedVector(np.concatenate(parts).astype(np.float32), w, dict(dims))


def unit_blocks(matrix: np.ndarray, dims: dict[str, int]) -> dict[str, np.ndarray]:
    """Per-modality unit vectors recovered from fused rows (zero rows where a modality was absent)."""
    out, start = {}, 0
    for m in MODALITIES:
        block = matrix[:, start : start + dims[m]]
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        out[m] = np.where(norms > 1e-9, block / np.maximum(norms, 1e-12), 0.0).astype(np.float32)
        start += dims[m]
    return out
