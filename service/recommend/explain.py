"""Explanations: every feed, similar or search item says which modality contributed how much, which of the
user's interests it matched, why it is there, and (for new videos) its exposure stage."""
from __future__ import annotations

from typing import Any

import numpy as np

from service.fusion import MODALITIES, FusedVector, contributions
from service.recommend.catalogue import Catalogue


def _contributions(query: FusedVector | None, cat: Catalogue, i: int) -> dict[str, float]:
    """`fusion.contributions` of the query and the video in slot i, rounded (0 for every modality without a
    query)."""
    if query is None:
        return {m: 0.0 for m in MODALITIES}
    return {m: round(c, 6) for m, c in contributions(query, cat.rows(np.array([i]))[0]).items()}


def explain_item(cat: Catalogue, query: FusedVector | None, i: int, score: float, rank: int, reason: str,
                 penalty: float, interests: dict[str, float], tags: dict[str, float],
                 stage: tuple[int, str] | None = None) -> dict[str, Any]:
    """One result item: id, score, rank and its explanation (`tags`: the video's stored ranking tags)."""
    matched = sorted((t for t in tags if t in interests), key=lambda t: -interests[t])[:5]
    explanation: dict[str, Any] = {
        "contributions": _contributions(query, cat, i),
        "matched_tags": matched,
        "reason": reason,
        "category": cat.category(i),
        "negative_penalty": round(penalty, 6),
    }
    if query is not None:
        explanation["user_weights"] = {m: round(w, 4) for m, w in query.weights.items()}
    if stage is not None:
        explanation["stage"] = {"stage": stage[0], "status": stage[1]}
    return {"video_id": cat.ids[i], "score": round(float(score), 6), "rank": rank, "explanation": explanation}
