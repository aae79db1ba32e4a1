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
FUSION_VERSION = "sqrtw-concat-v2"  # v2: confidences by informativeness (README "Models")


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
        return self.vector[block_slices(self.dims)[modality]]


def block_slices(dims: dict[str, int]) -> dict[str, slice]:
    """Where each modality's block lies in a fused vector of these dims: the one statement of the layout (blocks
    in MODALITIES order, back to back), so no caller counts offsets itself."""
    out, start = {}, 0
    for m in MODALITIES:
        out[m] = slice(start, start + dims[m])
        start += dims[m]
    return out


def blocks(vector: np.ndarray, dims: dict[str, int]) -> dict[str, np.ndarray]:
    """The per-modality blocks of a fused vector, or of every row of a matrix of them (views, not copies)."""
    return {m: vector[..., s] for m, s in block_slices(dims).items()}


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


def contributions(query: FusedVector, vector: np.ndarray) -> dict[str, float]:
    """Per-modality terms whose sum is the inner product of a query (user, search or video) and a fused video
    vector of the query's dims: the cosine of the two, split by modality, which every explanation reports."""
    q, v = blocks(query.vector, query.dims), blocks(np.asarray(vector), query.dims)
    return {m: float(q[m] @ v[m]) for m in MODALITIES}


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

