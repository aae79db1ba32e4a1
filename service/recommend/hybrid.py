"""The hybrid scoring stage: explicit signals per candidate, blended with weights chosen by what is known of
the user (learned by `reelsense fit`, or the documented defaults below).

Signals (each computed for the few hundred retrieved candidates only):
- content: similarity to the user's profile vector (per modality, user-weighted) averaged with the mean of the
  candidate's best cosines to the user's individually engaged videos (a taste for two genres is two clusters,
  not their mean);
- prior: popularity as of the request time: log(1 + time-decayed engagements) plus the smoothed engagement
  rate, from the counters maintained as events arrive;
- collaborative: item-item co-engagement (service.recommend.collaborative) from the user's engaged videos, or,
  for a user with only stated interests, from the catalogue videos that best match those interests;
- interests: similarity of the stated interests' text to the video's own text (the catalogue's content, not
  only the fixed taxonomy);
- negative: how much closer the candidate is to a video the user rejected than to any video they engaged with
  (so only what resembles a rejection is suppressed, not everything).

Each signal is standardised over the candidates (z-score) and the score is sum_s w_s * z_s; the explanation
lists every w_s * z_s.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from service.recommend.catalogue import Catalogue
from service.recommend.collaborative import CoEngagement
from service.recommend.profiles import UserProfile

BLEND_NAME = "blend"  # the stored fit's name (the fusion_weights table)
SIGNALS = ("content", "prior", "collaborative", "interests", "negative")
STAGES = ("cold", "stated", "early", "warm")  # nothing known; only stated interests; 1-4 videos; 5 or more
WARM_AFTER = 5
CONTENT_TOP = 5  # content: mean of this many best cosines to the engaged videos
INTEREST_SEEDS = 100  # stated interests seed the collaborative signal with this many best-matching videos
INTEREST_SHARPNESS = 4.0  # seed weight = cosine ** this (the closest matches dominate)
RATE_PRIOR = (1.0, 20.0)  # engagement rate smoothed as (engaged + a) / (exposures + b)
PRIOR_EVIDENCE = 50.0  # the prior's part is scaled by E / (E + this), E = the candidates' engagements in total

# Defaults for a store without enough events to fit (see the README's table of how they were chosen).
DEFAULT_BLEND: dict[str, dict[str, float]] = {
    "cold": {"content": 0.0, "prior": 1.0, "collaborative": 0.0, "interests": 0.0, "negative": 0.0},
    "stated": {"content": 0.0, "prior": 1.0, "collaborative": 1.0, "interests": 0.5, "negative": 0.0},
    "early": {"content": 0.25, "prior": 1.0, "collaborative": 1.0, "interests": 0.25, "negative": 0.25},
    "warm": {"content": 0.5, "prior": 0.5, "collaborative": 1.0, "interests": 0.25, "negative": 0.25},
}


@dataclass(frozen=True)
class Blend:
    """Weights per stage and signal."""

    weights: dict[str, dict[str, float]] = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_BLEND.items()})
    fitted: bool = False

    def flat(self) -> dict[str, float]:
        return {f"{stage}/{s}": w for stage, ws in self.weights.items() for s, w in ws.items()}

    @classmethod
    def from_flat(cls, flat: dict[str, float], fitted: bool = True) -> Blend:
        weights = {k: dict(v) for k, v in DEFAULT_BLEND.items()}
        for key, w in flat.items():
            stage, _, signal = key.partition("/")
            if stage in weights and signal in SIGNALS:
                weights[stage][signal] = float(w)
        return cls(weights, fitted)


def stage_of(profile: UserProfile) -> str:
    n = len(profile.history_slots)
    if n >= WARM_AFTER:
        return "warm"
    if n:
        return "early"
    return "stated" if profile.interest_query is not None else "cold"


def prior_signal(cat: Catalogue, rows: np.ndarray, now: float, half_life_days: float) -> np.ndarray:
    """log(1 + engagements decayed to `now`) + smoothed engagement rate."""
    cols = cat.cols
    age = np.maximum(0.0, now - cols.decay_ts[rows])
    reach = cols.engaged_decayed[rows] * np.power(0.5, age / (half_life_days * 86400.0))
    a, b = RATE_PRIOR
    rate = (cols.engaged[rows] + a) / (cols.exposures[rows] + b)
    return np.log1p(reach) + rate


def _best_cosines(vectors: np.ndarray, others: np.ndarray, top: int) -> np.ndarray:
    if len(others) == 0:
        return np.zeros(len(vectors))
    sims = vectors @ others.T
    top = min(top, sims.shape[1])
    return np.sort(sims, axis=1)[:, -top:].mean(axis=1)


class HybridScorer:
    """Signals and blended scores for one request's candidates."""

    def __init__(self, cat: Catalogue, profile: UserProfile, blend: Blend, now: float, half_life_days: float,
                 co: CoEngagement | None = None):
        """`co`: the item-item table of this request (the online one, refined by a fit; default the fitted one)."""
        self.cat, self.profile, self.now, self.half_life_days = cat, profile, now, half_life_days
        self.co = cat.co if co is None else co
        self.stage = stage_of(profile)
        self.weights = blend.weights[self.stage]
        hist = profile.history_slots
        self.liked = hist[profile.history_signal > 0]
        liked_weight = np.minimum(profile.history_signal[profile.history_signal > 0], 1.0)
        self.rejected = hist[profile.history_signal < 0]
        self.liked_vectors = cat.rows(self.liked) if len(self.liked) else np.zeros((0, cat.vectors.dim))
        self.rejected_vectors = cat.rows(self.rejected) if len(self.rejected) else np.zeros((0, cat.vectors.dim))
        self.expanded = self.co.expand(self.liked, liked_weight) if len(self.liked) else self._interest_expansion()

    def _interest_expansion(self) -> dict[int, float]:
        """Stated interests as a pseudo-history: the catalogue videos closest to them, weighted by closeness."""
        query = self.profile.interest_query
        if query is None or len(self.cat.co) == 0:
            return {}
        rows = self.cat.index.search(query, INTEREST_SEEDS).rows
        rows = rows[self.cat.vectors.alive[rows]]
        sims = np.clip(self.cat.vectors.scores(rows, query), 0.0, None) ** INTEREST_SHARPNESS
        return self.cat.co.expand(rows, sims / max(float(sims.max(initial=0.0)), 1e-12))

    def collaborative_rows(self, limit: int) -> np.ndarray:
        """The candidates the collaborative signal proposes (its strongest `limit`)."""
        if not self.expanded:
            return np.zeros(0, np.int64)
        slots = np.fromiter(self.expanded.keys(), np.int64, len(self.expanded))
        values = np.fromiter(self.expanded.values(), np.float64, len(self.expanded))
        if len(slots) > limit:
            slots = slots[np.argpartition(-values, limit - 1)[:limit]]
        return slots

    def signals(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        cat, profile = self.cat, self.profile
        vectors = cat.rows(rows)
        n = len(rows)
        content = vectors @ profile.positive.vector if profile.positive is not None else np.zeros(n)
        if len(self.liked):
            content = 0.5 * content + 0.5 * _best_cosines(vectors, self.liked_vectors, CONTENT_TOP)
        negative = np.zeros(n)
        if len(self.rejected):
            closest_liked = _best_cosines(vectors, self.liked_vectors, 1) if len(self.liked) else 0.0
            negative = np.maximum(0.0, _best_cosines(vectors, self.rejected_vectors, 1) - closest_liked)
        interests = vectors @ profile.interest_query if profile.interest_query is not None else np.zeros(n)
        return {"content": content, "prior": prior_signal(cat, rows, self.now, self.half_life_days),
                "collaborative": self.co.scores(self.expanded, rows), "interests": interests, "negative": -negative}

    def score(self, rows: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """(blended score, per-signal weighted contributions) of the rows."""
        parts = {}
        total = np.zeros(len(rows))
        for name, values in self.signals(rows).items():
            w = self.weights.get(name, 0.0)
            if w == 0.0:
                continue
            parts[name] = w * standardise(values) * (self._evidence(rows) if name == "prior" else 1.0)
            total += parts[name]
        return total, parts

    def _evidence(self, rows: np.ndarray) -> float:
        """How much the popularity prior can be trusted here: a catalogue with a handful of engagements says
        little about which videos are good, so its prior does not outweigh what the user asked for."""
        engaged = float(self.cat.cols.engaged[rows].sum())
        return engaged / (engaged + PRIOR_EVIDENCE)


def standardise(values: np.ndarray) -> np.ndarray:
    if len(values) < 2:
        return np.zeros(len(values))
    std = float(values.std())
    return (values - values.mean()) / std if std > 1e-12 and math.isfinite(std) else np.zeros(len(values))
