"""`reelsense fit`: learn the hybrid scorer from recorded events, off the request path.

1. Users are split (seeded) into a training part and a held-out part. Co-engagement is fitted on the training
   users' engagements only, so the held-out users are as new to it as a new user is.
2. Every held-out user is replayed as a new user at each stage: nothing known (cold), after their first event
   (early) and after their first five (warm); the feed's own retrieval and signals are computed for each request
   and the relevant videos are the ones they engaged with afterwards.
3. Blend weights per stage are chosen by coordinate ascent over a small grid on half of the held-out users
   (dev) and reported against the defaults on the other half (test): the held-out gain.
4. Co-engagement is then refitted on every user and saved with the blend, the settings and the report.

A store with fewer than `min_users` held-out users keeps the documented defaults (and says so).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from service.config import Settings
from service.recommend.catalogue import Catalogue
from service.recommend.collaborative import CoEngagement, fit_co_engagement
from service.recommend.events import signal
from service.recommend.feed import Feed
from service.recommend.hybrid import BLEND_NAME, SIGNALS, Blend, standardise
from service.recommend.profiles import UserProfile, profile_from_state
from service.recommend.state import effective, units_of
from service.recommend.updates import fold_events
from service.storage.counters import COMPLETE_VIEW, ENGAGEMENTS
from service.storage.rows import HistoryRow

GRID = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
REPLAY_STAGES = (("cold", 0), ("early", 1), ("warm", 5))
K = 10


def engaged(event: tuple) -> bool:
    """The counters' notion of an engagement: a like, share, comment, follow or a complete view."""
    kind, completion = event[2], event[5]
    return kind in ENGAGEMENTS or (kind == "view" and completion is not None and completion >= COMPLETE_VIEW)


def ndcg(ranked: np.ndarray, relevant: set[int], k: int = K) -> float:
    """Binary-gain NDCG@k; the ideal has min(|relevant|, k) hits."""
    gains = np.array([1.0 if int(r) in relevant else 0.0 for r in ranked[:k]])
    dcg = float((gains / np.log2(np.arange(2, len(gains) + 2))).sum())
    ideal = float((1.0 / np.log2(np.arange(2, min(len(relevant), k) + 2))).sum())
    return dcg / ideal if ideal > 0 else 0.0


@dataclass
class Sample:
    """One replayed request: standardised signals of its candidates and the candidates that are relevant."""

    stage: str
    z: dict[str, np.ndarray]
    relevant: np.ndarray  # bool per candidate
    n_relevant: int


def replay_profile(user: str, events: list[tuple], cat: Catalogue, settings: Settings, prior: dict[str, float],
                   conn_units) -> UserProfile:
    """The profile a new user would have after `events` (folded from scratch, not from the store)."""
    state, rows = fold_events(events, conn_units, sum(cat.dims.values()), settings)
    seen = [HistoryRow(vid, cat.row[vid], r.floor is not None, effective(r)) for vid, r in rows.items()
            if r.seen and vid in cat.row]
    return profile_from_state(user, state if events else None, seen, cat.dims, settings, prior, cat.baseline)


def samples_for_user(user: str, events: list[tuple], recommender, cat: Catalogue, units, prior) -> list[Sample]:
    out = []
    settings = recommender.settings
    for stage, k in REPLAY_STAGES:
        if len(events) <= k:
            break
        shown, later = events[:k], events[k:]
        relevant = {cat.row[e[1]] for e in later if engaged(e) and e[1] in cat.row}
        relevant -= {cat.row[e[1]] for e in shown if e[1] in cat.row}
        if not relevant:
            continue
        now = later[0][3]
        profile = replay_profile(user, shown, cat, settings, prior, units)
        feed = Feed(cat, recommender.live.cold, profile, settings.ranking, now, None, blend=Blend())
        rows = feed.retrieve().rows
        if len(rows) < 2:
            continue
        z = {name: standardise(v) for name, v in feed.hybrid.signals(rows).items()}
        hits = np.isin(rows, np.fromiter(relevant, np.int64))
        out.append(Sample(stage, z, hits, len(relevant)))
    return out


def _ndcg_of(samples: list[Sample], weights: dict[str, float]) -> float:
    if not samples:
        return 0.0
    total = 0.0
    for s in samples:
        score = np.zeros(len(s.relevant))
        for name, w in weights.items():
            if w:
                score += w * s.z[name]
        gains = s.relevant[np.argsort(-score, kind="stable")[:K]].astype(float)
        dcg = float((gains / np.log2(np.arange(2, len(gains) + 2))).sum())
        ideal = float((1.0 / np.log2(np.arange(2, min(s.n_relevant, K) + 2))).sum())
        total += dcg / ideal
    return total / len(samples)


def coordinate_ascent(samples: list[Sample], start: dict[str, float], passes: int = 2) -> dict[str, float]:
    """Each signal's weight in turn set to the grid value with the best NDCG (ties keep the current weight)."""
    best = dict(start)
    best_value = _ndcg_of(samples, best)
    for _ in range(passes):
        for name in SIGNALS:
            for w in GRID:
                trial = best | {name: w}
                value = _ndcg_of(samples, trial)
                if value > best_value + 1e-9:
                    best, best_value = trial, value
    return best


def _split_users(users: list[str], holdout: float, seed: int) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(users))
    cut = math.ceil(len(users) * holdout)
    return sorted(users[i] for i in order[cut:]), sorted(users[i] for i in order[:cut])


def positive_engagements(store, settings: Settings, users: list[str] | None = None) -> list[tuple[str, str, float]]:
    """(user, video, summed undecayed signal) of every (user, video) pair with a positive sum (a scan of the
    events: this runs in `reelsense fit`, never on a request path)."""
    keep = None if users is None else set(users)
    totals: dict[tuple[str, str], float] = {}
    for user, vid, kind, _ts, _watch, completion in store.events():
        if keep is None or user in keep:
            totals[(user, vid)] = totals.get((user, vid), 0.0) + signal(kind, completion, settings.signals)
    return [(u, v, w) for (u, v), w in totals.items() if w > 0]


def fit_blend(recommender, holdout: float = 0.2, min_users: int = 20, seed: int = 0) -> dict[str, Any]:
    """Fit co-engagement and the blend weights; save them; return the report."""
    store, cat, settings = recommender.db(), recommender.catalogue(), recommender.settings
    users = store.users()
    train, held = _split_users(users, holdout, seed)
    cat.co = CoEngagement.from_video_rows(fit_co_engagement(positive_engagements(store, settings, train)), cat.row)
    report: dict[str, Any] = {"users": len(users), "train_users": len(train), "heldout_users": len(held)}
    dev, test = _samples(recommender, cat, held[0::2]), _samples(recommender, cat, held[1::2])
    samples = dev + test
    blend = Blend()
    by_stage: dict[str, Any] = {}
    if len(held) >= min_users and dev and test:
        weights = {}
        for stage in blend.weights:
            dev_s = [s for s in dev if s.stage == stage]
            test_s = [s for s in test if s.stage == stage]
            default = blend.weights[stage]
            weights[stage] = coordinate_ascent(dev_s, default) if dev_s else default
            by_stage[stage] = {"dev_requests": len(dev_s), "test_requests": len(test_s),
                               "test_ndcg_default": round(_ndcg_of(test_s, default), 4),
                               "test_ndcg_fitted": round(_ndcg_of(test_s, weights[stage]), 4)}
        blend = Blend(weights, fitted=True)
        report["status"] = "fitted"
    else:
        report["status"] = (f"defaults kept: {len(held)} held-out users (need {min_users}) with "
                            f"{len(samples)} replayable requests")
    report["stages"] = by_stage
    report["weights"] = blend.weights
    rows = fit_co_engagement(positive_engagements(store, settings))
    store.save_co_engagement(rows)
    cat.co = CoEngagement.from_video_rows(rows, cat.row)
    report["co_engagement_pairs"] = len(rows)
    if blend.fitted:
        store.save_fusion_weights(BLEND_NAME, blend.flat(), {"holdout": holdout, "seed": seed,
                                                             "min_users": min_users}, report)
    return report


def _samples(recommender, cat: Catalogue, users: list[str]) -> list[Sample]:
    store = recommender.db()
    prior = recommender.prior()
    out = []
    for user in users:
        events = [e for e in store.events(user) if e.type != "impression"]
        if not events:
            continue
        units = units_of(store.units_rows({e.video_id for e in events[:5]}), cat.dims)
        out.extend(samples_for_user(user, events, recommender, cat, units, prior))
    return out
