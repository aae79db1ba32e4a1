"""Ranking stages after retrieval: the negative-feedback penalty, content scores, and MMR re-ranking under
per-category and per-creator caps."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.recommend.catalogue import Catalogue
from service.recommend.profiles import UserProfile


@dataclass(frozen=True)
class Caps:
    per_category: int
    per_creator: int


def negative_penalty(profile: UserProfile, cat: Catalogue, rows: np.ndarray, strength: float) -> np.ndarray:
    """strength * (similarity to the user's negative vector + weight of a rejected category)."""
    out = np.zeros(len(rows))
    if profile.negative is not None:
        out += np.maximum(cat.matrix[rows] @ profile.negative.vector, 0.0)
    if profile.negative_tags:
        out += np.array([profile.negative_tags.get(cat.category[i], 0.0) for i in rows])
    return strength * out


def mmr(cat: Catalogue, rows: np.ndarray, rel: np.ndarray, n: int, lam: float, caps: Caps) -> list[int]:
    """Maximal marginal relevance with per-category and per-creator caps (relaxed if they starve the feed).

    Returns positions into `rows`, in feed order."""
    if n <= 0 or len(rows) == 0:
        return []
    vecs = cat.matrix[rows]
    sims = vecs @ vecs.T
    chosen: list[int] = []
    max_sim = np.full(len(rows), -np.inf)
    per_cat: dict[str, int] = {}
    per_creator: dict[str, int] = {}
    for capped in (True, False):
        while len(chosen) < n:
            best = _best_candidate(cat, rows, rel, lam, chosen, max_sim, per_cat if capped else None,
                                   per_creator if capped else None, caps)
            if best < 0:
                break
            chosen.append(best)
            max_sim = np.maximum(max_sim, sims[best])
            i = rows[best]
            per_cat[cat.category[i]] = per_cat.get(cat.category[i], 0) + 1
            per_creator[cat.creators[i]] = per_creator.get(cat.creators[i], 0) + 1
    return chosen


def _best_candidate(cat: Catalogue, rows: np.ndarray, rel: np.ndarray, lam: float, chosen: list[int],
                    max_sim: np.ndarray, per_cat: dict[str, int] | None, per_creator: dict[str, int] | None,
                    caps: Caps) -> int:
    """The position with the best MMR value among those not chosen and within the caps (-1 if none)."""
    best, best_val = -1, -np.inf
    for j in range(len(rows)):
        if j in chosen:
            continue
        i = rows[j]
        if per_cat is not None and cat.category[i] and per_cat.get(cat.category[i], 0) >= caps.per_category:
            continue
        if per_creator is not None and cat.creators[i] and per_creator.get(cat.creators[i], 0) >= caps.per_creator:
            continue
        val = lam * rel[j] - (1.0 - lam) * (max_sim[j] if chosen else 0.0)
        if val > best_val:
            best, best_val = j, val
    return best
