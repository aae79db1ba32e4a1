"""User interest profiles: positive/negative vectors, interest tags, modality weights, seen videos.

A profile is composed per request from the user's maintained state (service.recommend.state: decayed sums
updated as events arrive) and their stated interests: constant work, whatever the length of the history.
Deleting the events and interests ("refresh") deletes the state too. Event signal weights and the half-life
of the time decay are settings.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.config import Settings
from service.fusion import MODALITIES, FusedVector, blocks, compose, normalize_weights
from service.recommend.collaborative import HISTORY_MAX
from service.recommend.events import EVENT_TYPES
from service.recommend.state import UserState, VideoUnits
from service.recommend.updates import fold_events, scaled_sums
from service.storage.rows import HistoryRow
from service.tags import tag_label

__all__ = ["Onboarding", "UserProfile", "build_profile", "profile_from_state", "tag_label"]


@dataclass
class UserProfile:
    user_id: str
    positive: FusedVector | None  # the query the matcher searches with (None: nothing known)
    negative: FusedVector | None
    interest_tags: dict[str, float] = field(default_factory=dict)  # label -> weight, summing to 1
    negative_tags: dict[str, float] = field(default_factory=dict)
    modality_weights: dict[str, float] = field(default_factory=dict)
    event_counts: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    not_interested: set[str] = field(default_factory=set)
    stated: dict[str, Any] = field(default_factory=dict)
    engaged_videos: int = 0
    excluded_slots: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # seen or rejected
    # The hybrid scorer's per-video view of the history: slots of the videos with a signal, and the signal
    # (the strongest HISTORY_MAX), and the stated interests alone as a query vector (None: none stated).
    history_slots: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    history_signal: np.ndarray = field(default_factory=lambda: np.zeros(0))
    interest_query: np.ndarray | None = None

    @property
    def cold(self) -> bool:
        return self.positive is None

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        def tags(d: dict[str, float]) -> list[dict]:
            ranked = sorted(((round(v, 4), k) for k, v in d.items()), key=lambda wk: (-wk[0], wk[1]))  # ties by label
            return [{"label": k, "weight": w} for w, k in ranked[:top]]

        return {
            "user_id": self.user_id,
            "cold_start": self.cold,
            "interest_tags": tags(self.interest_tags),
            "negative_tags": tags(self.negative_tags),
            "modality_weights": {m: round(self.modality_weights.get(m, 0.0), 4) for m in MODALITIES},
            "event_counts": {k: self.event_counts.get(k, 0) for k in EVENT_TYPES},
            "engaged_videos": self.engaged_videos,
            "seen_videos": len(self.seen),
            "stated_interests": self.stated,
        }


@dataclass
class Onboarding:
    """Stated interests already encoded: per-modality vectors (text, and visual with real CLIP) and tags."""

    text: str
    tags: dict[str, float]
    vectors: dict[str, np.ndarray]


def profile_from_state(user_id: str, state: UserState | None, seen: list[HistoryRow],
                       dims: dict[str, int], settings: Settings, prior: dict[str, float],
                       baseline: dict[str, float], onboarding: Onboarding | None = None,
                       now: float | None = None) -> UserProfile:
    """The profile the matcher uses, from the user's maintained state (as of `now`, default their latest
    event), the videos they have seen (HistoryRow) and their stated interests.

    `baseline[m]` is the catalogue's mean-vector length per modality, against which a user's own coherence is
    judged when tilting modality weights."""
    total = sum(dims.values())
    state = state or UserState.empty(total)
    pos, neg, f = scaled_sums(state, now, settings)
    sums = _Sums(blocks(pos.copy(), dims), blocks(neg, dims), dict(zip(MODALITIES, state.pos_mass * f, strict=True)),
                 dict(zip(MODALITIES, state.pos_sq * f * f, strict=True)),
                 {k: v * f for k, v in state.pos_tags.items()}, {k: v * f for k, v in state.neg_tags.items()},
                 state.engaged)
    weights = _user_modality_weights(sums.pos, sums.pos_mass, sums.pos_sq, prior, baseline,
                                     settings.user_modality_strength)
    stated: dict[str, Any] = {}
    interest_query = None
    if onboarding is not None and (onboarding.vectors or onboarding.tags):
        stated = {"text": onboarding.text, "tags": sorted(onboarding.tags)}
        if onboarding.vectors:
            interest_query = compose(onboarding.vectors, normalize_weights(prior, set(onboarding.vectors)), dims).vector
        _add_onboarding(sums, onboarding, settings.onboarding_weight)
        if sums.engaged == 0:  # only stated interests: weigh the modalities they were encoded into
            weights = normalize_weights(prior, set(onboarding.vectors))
    has_positive = any(np.linalg.norm(v) > 1e-9 for v in sums.pos.values())
    has_negative = any(np.linalg.norm(v) > 1e-9 for v in sums.neg.values())
    positive = compose(sums.pos, weights, dims) if has_positive else None
    negative = compose(sums.neg, prior, dims) if has_negative else None
    return UserProfile(
        user_id, positive, negative, _normalized(sums.pos_tags), _normalized(sums.neg_tags),
        positive.weights if positive else {m: 0.0 for m in MODALITIES}, dict(state.counts),
        {r.video_id for r in seen}, {r.video_id for r in seen if r.rejected}, stated, sums.engaged,
        excluded_slots=np.array([r.slot for r in seen], np.int64), interest_query=interest_query,
        **_history(seen),
    )


def _history(seen: list[HistoryRow]) -> dict[str, np.ndarray]:
    """The strongest HISTORY_MAX videos with a non-zero signal (rows without a slot or a signal give none)."""
    rows = [(r.slot, r.signal) for r in seen if r.signal != 0 and r.slot >= 0]
    rows.sort(key=lambda sr: -abs(sr[1]))
    rows = rows[:HISTORY_MAX]
    return {"history_slots": np.array([s for s, _ in rows], np.int64),
            "history_signal": np.array([v for _, v in rows], np.float64)}


def build_profile(user_id: str, events: list[tuple], units: dict[str, VideoUnits], dims: dict[str, int],
                  settings: Settings, prior: dict[str, float], baseline: dict[str, float],
                  onboarding: Onboarding | None = None, now: float | None = None) -> UserProfile:
    """A profile folded from a list of events (no store): what offline fitting scores with."""
    state, rows = fold_events(events, units, sum(dims.values()), settings)
    seen = [HistoryRow(vid, -1, r.floor is not None, 0.0) for vid, r in rows.items() if r.seen]
    return profile_from_state(user_id, state, seen, dims, settings, prior, baseline, onboarding, now)


@dataclass
class _Sums:
    """Signal-weighted sums of the liked (positive) and rejected (negative) videos' vectors and tags."""

    pos: dict[str, np.ndarray]
    neg: dict[str, np.ndarray]
    pos_mass: dict[str, float]
    pos_sq: dict[str, float]
    pos_tags: dict[str, float] = field(default_factory=dict)
    neg_tags: dict[str, float] = field(default_factory=dict)
    engaged: int = 0


def _add_onboarding(sums: _Sums, onboarding: Onboarding, weight: float) -> None:
    """Stated interests count like `weight` of positive signal, in vectors and in tags."""
    for m, v in onboarding.vectors.items():
        sums.pos[m] += weight * v
    for label, score in onboarding.tags.items():
        sums.pos_tags[label] = sums.pos_tags.get(label, 0.0) + weight * score


def _normalized(tags: dict[str, float]) -> dict[str, float]:
    total = sum(v for v in tags.values() if v > 0)
    return {k: v / total for k, v in tags.items() if v > 0} if total > 0 else {}


def _user_modality_weights(
    pos_sum: dict[str, np.ndarray], pos_mass: dict[str, float], pos_sq: dict[str, float], prior: dict[str, float],
    baseline: dict[str, float], strength: float,
) -> dict[str, float]:
    """Tilt the global weights towards the modalities in which this user's likes agree with each other.

    Coherence of modality m = length of the weighted mean of the liked videos' unit vectors. A user who
    engages by sound likes videos whose audio vectors point the same way, beyond what the catalogue's
    own mean direction (baseline) and the sample size would give by chance.
    """
    logits = {}
    for m in MODALITIES:
        if pos_mass[m] <= 0 or prior.get(m, 0.0) <= 0:
            continue
        coherence = float(np.linalg.norm(pos_sum[m])) / pos_mass[m]
        n_eff = max(pos_mass[m] ** 2 / max(pos_sq[m], 1e-12), 1.0)  # Kish effective sample size
        b = baseline.get(m, 0.0)
        chance = math.sqrt(min(1.0, b * b + (1.0 - b * b) / max(n_eff, 1.0)))
        logits[m] = math.log(prior[m]) + strength * (coherence - chance)
    if not logits:
        return normalize_weights(prior)
    top = max(logits.values())
    return normalize_weights({m: math.exp(v - top) for m, v in logits.items()}, set(logits))
