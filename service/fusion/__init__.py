"""Attention fusion of modality vectors into one explainable video vector, and its learned weights."""
from __future__ import annotations

from service.fusion.learned import auc, fit_modality_weights, weighted_scores
from service.fusion.vectors import (
    FUSION_VERSION,
    MODALITIES,
    FusedVector,
    attention_weights,
    block_slices,
    blocks,
    compose,
    contributions,
    fuse,
    normalize_weights,
)

__all__ = [
    "FUSION_VERSION",
    "MODALITIES",
    "FusedVector",
    "attention_weights",
    "auc",
    "block_slices",
    "blocks",
    "compose",
    "contributions",
    "fit_modality_weights",
    "fuse",
    "normalize_weights",
    "weighted_scores",
]
