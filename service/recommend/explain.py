"""Explanations: every feed, similar or search item says which modality contributed how much, which of the
user's interests it matched, why it is there, and (for new videos) its exposure stage.

Three levels (`explain=` on the API): `full` is all of that; `brief` is why the item is there and the one signal
(feeds) or modality (similar, search) that added most to its score, built from what scoring already computed;
`false` is no explanation at all. The brief and absent forms never compute contributions, stages or tags."""
from __future__ import annotations

from typing import Any

import numpy as np

from service.errors import QueryError
from service.fusion import MODALITIES, FusedVector, blocks, contributions
from service.recommend.catalogue import Catalogue

LEVELS = ("false", "brief", "full")
Top = tuple[str | None, float]  # (signal or modality, its part of the score)


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


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise QueryError("bad_explain", f"explain must be one of {', '.join(LEVELS)}, got {level!r}")
    return level


def bare_item(video_id: str | None, score: float, rank: int) -> dict[str, Any]:
    """An item without explanation (`explain=false`)."""
    return {"video_id": video_id, "score": round(float(score), 6), "rank": rank}


def brief_item(video_id: str | None, score: float, rank: int, reason: str, top: Top) -> dict[str, Any]:
    """An item with the brief explanation: why it is there and what added most to its score."""
    item = bare_item(video_id, score, rank)
    item["explanation"] = {"reason": reason, "top": top[0], "contribution": top[1]}
    return item


def top_signal(signals: dict[str, float]) -> Top:
    """The weighted signal with the largest part of a feed score (None without signals)."""
    if not signals:
        return None, 0.0
    name = max(signals, key=signals.__getitem__)
    return name, signals[name]


def top_modalities(query: FusedVector, cat: Catalogue, rows: np.ndarray) -> list[Top]:
    """For every row at once, the modality whose `contributions` term is largest, and that term."""
    if not len(rows):
        return []
    q, v = blocks(query.vector, query.dims), blocks(cat.rows(rows), query.dims)
    parts = np.stack([v[m] @ q[m] for m in MODALITIES])  # (modality, row)
    best = parts.argmax(axis=0)
    return [(MODALITIES[b], round(float(parts[b, j]), 6)) for j, b in enumerate(best.tolist())]
