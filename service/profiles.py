"""User interest profiles from interaction events: positive/negative vectors, interest tags, modality weights.

A profile is derived, never stored: it is rebuilt from the events and stated interests in the store,
so deleting those ("refresh") leaves nothing behind. Event signal weights and the half-life of the
time decay are settings.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from service.config import Settings
from service.errors import EventError
from service.fusion import MODALITIES, FusedVector, compose, normalize_weights

EVENT_TYPES = ("impression", "view", "like", "share", "comment", "follow", "skip", "not_interested")
MAX_COMPLETION = 1.0  # the share of the video watched; replays are separate view events


@dataclass
class Event:
    user_id: str
    video_id: str
    type: str
    timestamp: float
    watch_seconds: float | None = None
    completion: float | None = None

    @classmethod
    def from_dict(cls, data: Any, index: int = 0) -> "Event":
        """Parse one JSON object; a missing or mistyped field raises EventError(missing_field)."""
        if not isinstance(data, dict):
            raise EventError("missing_field", "an event must be a JSON object", index)
        for name in ("user_id", "video_id", "type"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise EventError("missing_field", f"field {name!r} is required (non-empty string)", index)
        ts = data.get("timestamp", data.get("ts"))
        if ts is None:
            ts = time.time()
        try:
            return cls(data["user_id"], data["video_id"], data["type"], float(ts),
                       _optional_float(data.get("watch_seconds")), _optional_float(data.get("completion")))
        except (TypeError, ValueError):
            raise EventError("missing_field", "timestamp, watch_seconds and completion must be numbers", index) from None


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def validate_events(events: Iterable[Event], video_exists: Callable[[str], bool]) -> list[Event]:
    """Check a whole batch before anything is stored; the first bad event raises EventError."""
    checked = []
    for i, e in enumerate(events):
        if not isinstance(e.user_id, str) or not e.user_id or not isinstance(e.video_id, str) or not e.video_id:
            raise EventError("missing_field", "user_id and video_id are required", i)
        if e.type not in EVENT_TYPES:
            raise EventError("unknown_event_type", f"{e.type!r} is not one of {', '.join(EVENT_TYPES)}", i)
        if e.timestamp is None or not _finite(e.timestamp):
            raise EventError("missing_field", "timestamp must be a finite number (seconds since the epoch)", i)
        if e.watch_seconds is not None and (not _finite(e.watch_seconds) or e.watch_seconds < 0):
            raise EventError("bad_watch_time", f"watch_seconds must be >= 0, got {e.watch_seconds!r}", i)
        if e.completion is not None and (not _finite(e.completion) or not 0 <= e.completion <= MAX_COMPLETION):
            raise EventError("bad_completion", f"completion must be in [0, {MAX_COMPLETION:g}], got {e.completion!r}", i)
        if not video_exists(e.video_id):
            raise EventError("unknown_video", f"video {e.video_id!r} is not in the store", i)
        checked.append(e)
    return checked


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def signal(kind: str, completion: float | None, settings: Settings) -> float:
    """How much one event says about interest: positive for engagement, negative for rejection."""
    if kind == "view":
        c = 0.0 if completion is None else min(1.0, max(0.0, completion))
        return settings.signal_view_base + settings.signal_view_completion * c
    return float(getattr(settings, f"signal_{kind}", 0.0))


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
    if now is None:  # decay relative to the latest event, so a returning user keeps a profile
        now = max((e[3] for e in events), default=time.time())
    half_life = max(settings.profile_half_life_days, 1e-6) * 86400.0
    per_video: dict[str, float] = {}
    counts: dict[str, int] = {}
    seen: set[str] = set()
    rejected: set[str] = set()
    for _user, vid, kind, ts, _watch, completion in events:
        counts[kind] = counts.get(kind, 0) + 1
        if kind != "impression":
            seen.add(vid)
        if kind == "not_interested":
            rejected.add(vid)
        decay = 0.5 ** (max(0.0, now - ts) / half_life)
        per_video[vid] = per_video.get(vid, 0.0) + signal(kind, completion, settings) * decay
    for vid in rejected:  # an explicit "not interested" outweighs any earlier engagement
        per_video[vid] = min(per_video[vid], settings.signal_not_interested)

    pos_sum = {m: np.zeros(dims[m], np.float64) for m in MODALITIES}
    neg_sum = {m: np.zeros(dims[m], np.float64) for m in MODALITIES}
    pos_mass = {m: 0.0 for m in MODALITIES}
    pos_sq = {m: 0.0 for m in MODALITIES}
    pos_tags: dict[str, float] = {}
    neg_tags: dict[str, float] = {}
    engaged = 0
    for vid, s in per_video.items():
        if vid not in blocks or abs(s) < 1e-9:
            continue
        target, tag_target = (pos_sum, pos_tags) if s > 0 else (neg_sum, neg_tags)
        engaged += s > 0
        for m, v in blocks[vid].items():
            target[m] += abs(s) * v
            if s > 0:
                pos_mass[m] += s
                pos_sq[m] += s * s
        for label, score in video_tags.get(vid, {}).items():
            tag_target[label] = tag_target.get(label, 0.0) + abs(s) * score

    weights = _user_modality_weights(pos_sum, pos_mass, pos_sq, prior, baseline, settings.user_modality_strength)
    stated: dict[str, Any] = {}
    if onboarding is not None and (onboarding.vectors or onboarding.tags):
        stated = {"text": onboarding.text, "tags": sorted(onboarding.tags)}
        w = settings.onboarding_weight
        for m, v in onboarding.vectors.items():
            pos_sum[m] += w * v
        for label, score in onboarding.tags.items():
            pos_tags[label] = pos_tags.get(label, 0.0) + w * score
        if engaged == 0:  # only stated interests: weigh the modalities they were encoded into
            weights = normalize_weights(prior, set(onboarding.vectors))

    has_positive = any(np.linalg.norm(v) > 1e-9 for v in pos_sum.values())
    has_negative = any(np.linalg.norm(v) > 1e-9 for v in neg_sum.values())
    positive = compose(pos_sum, weights, dims) if has_positive else None
    negative = compose(neg_sum, prior, dims) if has_negative else None
    return UserProfile(
        user_id, positive, negative, _normalized(pos_tags), _normalized(neg_tags),
        positive.weights if positive else {m: 0.0 for m in MODALITIES}, counts, seen, rejected, stated, engaged,
    )


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
