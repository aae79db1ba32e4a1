"""The evaluation protocol: which users are asked what, when, and which movies count as relevant.

New users (users permuted with the seed and cut into folds; each fold is held out in turn, everything is fitted
on the other users' events):
- 0 events: asked at their first rating's time; every movie is a candidate; relevant: all their likes;
- 1 / 5 events: their first 1 / 5 ratings (by time, then movie) are recorded as events and they are asked at the
  last one's time; candidates: every other movie; relevant: their likes among the rest;
- stated interests: the three genres most frequent among their first five likes (ties: the genre more common in
  the catalogue) are stated as text ("comedy, drama, romance"), with no events, at the fifth like's time; those
  likes are excluded from candidates and relevant (they are how the user knows the taste).
New items for known users: the movies first rated last (a share of them) are held out of training entirely;
users with a like on one are asked, with their training history, to rank all held-out movies.
Users with nothing relevant are dropped. Metrics: recall@10 and NDCG@10 with binary gains.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from service.evaluation.movielens.data import LIKE_FROM, MovieLens

K = 10
SCENARIOS = ("new items, known users", "new user, 0 events", "new user, 1 event", "new user, 5 events",
             "new user, stated interests")


@dataclass
class Request:
    scenario: str
    user: str
    t: float
    reveal: np.ndarray  # rating indices recorded (as events) just before the request
    shown: np.ndarray  # every rating index the user has revealed so far (the history baselines see)
    relevant: set[int]
    exclude: set[int] = field(default_factory=set)  # movies not to rank
    stated: str | None = None


def user_folds(data: MovieLens, folds: int, seed: int) -> list[list[str]]:
    users = np.array(sorted(set(data.users.tolist()), key=lambda u: (len(u), u)))
    order = np.random.default_rng(seed).permutation(len(users))
    return [sorted(users[part].tolist()) for part in np.array_split(order, folds)]


def by_user(data: MovieLens) -> dict[str, np.ndarray]:
    """Rating indices per user in time order (ties by movie)."""
    order = np.lexsort((data.items, data.times, data.users))
    users = data.users[order]
    bounds = np.flatnonzero(users[1:] != users[:-1]) + 1
    return {str(users[part[0]]): order[part] for part in np.split(np.arange(len(order)), bounds)}


def stated_genres(data: MovieLens, likes: np.ndarray, frequency: Counter) -> str:
    counts = Counter(g for r in likes for g in data.genres[data.items[r]])
    ranked = sorted(counts, key=lambda g: (-counts[g], -frequency[g], g))
    return ", ".join(g.lower() for g in ranked[:3])


def new_user_requests(data: MovieLens, users: list[str], history: dict[str, np.ndarray]) -> list[Request]:
    frequency = Counter(g for gs in data.genres for g in gs)
    out = []
    for user in users:
        rows = history[user]
        liked = rows[data.ratings[rows] >= LIKE_FROM]
        likes = {int(data.items[r]) for r in liked}
        if likes:
            out.append(Request("new user, 0 events", user, float(data.times[rows[0]]), rows[:0], rows[:0], likes))
        for n, reveal in ((1, rows[:1]), (5, rows[1:5])):
            shown = rows[:n]
            relevant = likes - {int(data.items[r]) for r in shown}
            if len(rows) > n and relevant:
                name = "new user, 1 event" if n == 1 else "new user, 5 events"
                out.append(Request(name, user, float(data.times[shown[-1]]), reveal, shown, relevant,
                                   {int(data.items[r]) for r in shown}))
        first = liked[:5]
        relevant = likes - {int(data.items[r]) for r in first}
        if len(first) and relevant and stated_genres(data, first, frequency):
            out.append(Request("new user, stated interests", f"{user}:stated", float(data.times[first[-1]]),
                               rows[:0], rows[:0], relevant, {int(data.items[r]) for r in first},
                               stated_genres(data, first, frequency)))
    return out


def new_items(data: MovieLens, share: float) -> np.ndarray:
    """Movie indices first rated last (the latest `share` of rated movies), held out of training."""
    first = np.full(len(data.movie_ids), np.inf)
    np.minimum.at(first, data.items, data.times)
    rated = np.flatnonzero(np.isfinite(first))
    order = rated[np.argsort(first[rated], kind="stable")]
    return np.sort(order[len(order) - round(len(order) * share):])


def new_item_requests(data: MovieLens, held: np.ndarray, history: dict[str, np.ndarray]) -> list[Request]:
    is_new = np.zeros(len(data.movie_ids), bool)
    is_new[held] = True
    end = float(data.times.max())
    out = []
    for user, rows in history.items():
        new_rows = rows[is_new[data.items[rows]]]
        likes = {int(data.items[r]) for r in new_rows if data.ratings[r] >= LIKE_FROM}
        old_rows = rows[~is_new[data.items[rows]]]
        if likes and len(old_rows):
            out.append(Request(SCENARIOS[0], user, end, old_rows, old_rows, likes))
    return out


def metrics(ranked: list[int], relevant: set[int], k: int = K) -> tuple[float, float]:
    """(recall@k, NDCG@k) with binary gains; the ideal has min(|relevant|, k) hits."""
    gains = np.array([1.0 if i in relevant else 0.0 for i in ranked[:k]])
    dcg = float((gains / np.log2(np.arange(2, len(gains) + 2))).sum())
    ideal = float((1.0 / np.log2(np.arange(2, min(len(relevant), k) + 2))).sum())
    return float(gains.sum()) / len(relevant), dcg / ideal


def top_k(scores: np.ndarray, candidates: np.ndarray, rng: np.random.Generator, k: int = K) -> list[int]:
    """The k best candidates by score, ties broken by seeded noise."""
    order = np.lexsort((rng.random(len(candidates)), -scores[candidates]))
    return candidates[order[:k]].tolist()
