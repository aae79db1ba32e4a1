"""Ranking stages after retrieval: the negative-feedback penalty and MMR re-ranking under per-category and
per-creator caps. They work on the candidates' slots and vectors only."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.recommend.catalogue import Catalogue
from service.recommend.profiles import UserProfile


@dataclass(frozen=True)
class Caps:
    per_category: int
    per_creator: int


def negative_penalty(profile: UserProfile, cat: Catalogue, rows: np.ndarray, strength: float,
                     vectors: np.ndarray | None = None) -> np.ndarray:
    """strength * (similarity to the user's negative vector + weight of a rejected category)."""
    out = np.zeros(len(rows))
    if len(rows) == 0:
        return out
    if profile.negative is not None:
        vectors = cat.rows(rows) if vectors is None else vectors
        out += np.maximum(vectors @ profile.negative.vector, 0.0)
    if profile.negative_tags:
        by_code = np.zeros(len(cat.categories))
        for label, weight in profile.negative_tags.items():
            code = cat.category_code(label)
            if code >= 0:
                by_code[code] = weight
        out += by_code[cat.cols.category[rows]]
    return strength * out


def mmr(cat: Catalogue, rows: np.ndarray, rel: np.ndarray, n: int, lam: float, caps: Caps,
        vecs: np.ndarray | None = None) -> list[int]:
    """Maximal marginal relevance with per-category and per-creator caps (relaxed if they starve the feed).

    Returns positions into `rows`, in feed order."""
    if n <= 0 or len(rows) == 0:
        return []
    vecs = cat.rows(rows) if vecs is None else vecs
    sims = vecs @ vecs.T
    categories = cat.cols.category[rows]
    creators = cat.cols.creator[rows]
    chosen: list[int] = []
    taken = np.zeros(len(rows), bool)
    max_sim = np.full(len(rows), -np.inf)
    for capped in (True, False):
        per_cat: dict[int, int] = {}
        per_creator: dict[int, int] = {}
        for j in chosen:
            per_cat[categories[j]] = per_cat.get(categories[j], 0) + 1
            per_creator[creators[j]] = per_creator.get(creators[j], 0) + 1
        while len(chosen) < n:
            value = lam * rel - (1.0 - lam) * (max_sim if chosen else 0.0)
            value[taken] = -np.inf
            if capped:
                value[_over_cap(categories, per_cat, caps.per_category)] = -np.inf
                value[_over_cap(creators, per_creator, caps.per_creator)] = -np.inf
            best = int(np.argmax(value))
            if not np.isfinite(value[best]):
                break
            chosen.append(best)
            taken[best] = True
            max_sim = np.maximum(max_sim, sims[best])
            per_cat[categories[best]] = per_cat.get(categories[best], 0) + 1
            per_creator[creators[best]] = per_creator.get(creators[best], 0) + 1
    return chosen


def _over_cap(codes: np.ndarray, counts: dict[int, int], cap: int) -> np.ndarray:
    """Rows whose (non-empty, code > 0) group already has `cap` chosen."""
    full = [code for code, n in counts.items() if n >= cap and code > 0]
    return np.isin(codes, full) if full else np.zeros(len(codes), bool)
