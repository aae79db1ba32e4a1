"""User interest profiles from interaction events: positive/negative vectors, interest tags, modality weights.

A profile is derived, never stored: it is rebuilt from the events and stated interests in the store,
so deleting those ("refresh") leaves nothing behind. Event signal weights and the half-life of the
time decay are settings.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.config import Settings
from service.fusion import MODALITIES, FusedVector, compose, normalize_weights
from service.recommend.events import EVENT_TYPES, signal


def tag_label(label: str) -> str:
    """Tags are compared without '#' and case: '#Pets' and 'pets' are one interest."""
    return label.lstrip("#").strip().lower()


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

    @property
    def cold(self) -> bool:
        return self.positive is None

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        def tags(d: dict[str, float]) -> list[dict]:
            return [{"label": k, "weight": round(v, 4)} for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:top]]

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


@dataclass
class _Folded:
    """A user's events reduced to one decayed signal per video, plus counts and seen/rejected sets."""

    per_video: dict[str, float]
    counts: dict[str, int]
    seen: set[str]
    rejected: set[str]


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


def build_profile(
    user_id: str,
    events: list[tuple],
    blocks: dict[str, dict[str, np.ndarray]],
    video_tags: dict[str, dict[str, float]],
    dims: dict[str, int],
    settings: Settings,
    prior: dict[str, float],
    baseline: dict[str, float],
    onboarding: Onboarding | None = None,
    now: float | None = None,
) -> UserProfile:
    """Fold a user's events (user, video, type, ts, watch_seconds, completion) into a profile.

    `blocks[video][m]` are a video's unit modality vectors (absent modalities missing); `baseline[m]`
    is the catalogue's mean-vector length per modality, against which a user's own coherence is judged
    when tilting modality weights.
    """
    folded = _fold_events(events, settings, now)
    sums = _sum_vectors(folded.per_video, blocks, video_tags, dims)
    weights = _user_modality_weights(sums.pos, sums.pos_mass, sums.pos_sq, prior, baseline,
                                     settings.user_modality_strength)
    stated: dict[str, Any] = {}
    if onboarding is not None and (onboarding.vectors or onboarding.tags):
        stated = {"text": onboarding.text, "tags": sorted(onboarding.tags)}
        _add_onboarding(sums, onboarding, settings.onboarding_weight)
        if sums.engaged == 0:  # only stated interests: weigh the modalities they were encoded into
            weights = normalize_weights(prior, set(onboarding.vectors))
    has_positive = any(np.linalg.norm(v) > 1e-9 for v in sums.pos.values())
    has_negative = any(np.linalg.norm(v) > 1e-9 for v in sums.neg.values())
    positive = compose(sums.pos, weights, dims) if has_positive else None
    negative = compose(sums.neg, prior, dims) if has_negative else None
    return UserProfile(
        user_id, positive, negative, _normalized(sums.pos_tags), _normalized(sums.neg_tags),
        positive.weights if positive else {m: 0.0 for m in MODALITIES}, folded.counts, folded.seen,
        folded.rejected, stated, sums.engaged,
    )


def _fold_events(events: list[tuple], settings: Settings, now: float | None) -> _Folded:
    """Time-decayed signal per video; an explicit "not interested" outweighs any earlier engagement."""
    if now is None:  # decay relative to the latest event, so a returning user keeps a profile
        now = max((e[3] for e in events), default=time.time())
    half_life = settings.profile_half_life_days * 86400.0
    folded = _Folded({}, {}, set(), set())
    for _user, vid, kind, ts, _watch, completion in events:
        folded.counts[kind] = folded.counts.get(kind, 0) + 1
        if kind != "impression":
            folded.seen.add(vid)
        if kind == "not_interested":
            folded.rejected.add(vid)
        decay = 0.5 ** (max(0.0, now - ts) / half_life)
        folded.per_video[vid] = folded.per_video.get(vid, 0.0) + signal(kind, completion, settings.signals) * decay
    for vid in folded.rejected:
        folded.per_video[vid] = min(folded.per_video[vid], settings.signal_not_interested)
    return folded


def _sum_vectors(per_video: dict[str, float], blocks: dict[str, dict[str, np.ndarray]],
                 video_tags: dict[str, dict[str, float]], dims: dict[str, int]) -> _Sums:
    sums = _Sums({m: np.zeros(dims[m], np.float64) for m in MODALITIES},
                 {m: np.zeros(dims[m], np.float64) for m in MODALITIES},
                 {m: 0.0 for m in MODALITIES}, {m: 0.0 for m in MODALITIES})
    for vid, s in per_video.items():
        if vid not in blocks or abs(s) < 1e-9:
            continue
        target, tag_target = (sums.pos, sums.pos_tags) if s > 0 else (sums.neg, sums.neg_tags)
        sums.engaged += s > 0
        for m, v in blocks[vid].items():
            target[m] += abs(s) * v
            if s > 0:
                sums.pos_mass[m] += s
                sums.pos_sq[m] += s * s
        for label, score in video_tags.get(vid, {}).items():
            tag_target[label] = tag_target.get(label, 0.0) + abs(s) * score
    return sums


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
