"""Valence, arousal, a mood tag and danceability from the measured features.

Documented linear formulas, each term scaled to [-1, 1] before weighting (no learned model):

    tempo  = clip((bpm - 110) / 50) * tempo_confidence      (0 when there is no tempo)
    loud   = clip((loudness_db + 24) / 12)
    busy   = clip((onset_rate_hz - 3) / 3)
    bright = clip((centroid_hz - 1000) / 1500)
    mode   = +1 major / -1 minor, times key confidence

    arousal = clip(0.40 tempo + 0.25 loud + 0.20 busy + 0.15 bright)
    valence = clip(0.60 mode + 0.25 tempo + 0.15 bright)

Mood quadrants (Russell's circumplex): high arousal with positive valence is "energetic" above
0.5 arousal and "happy/upbeat" below; high arousal with negative valence is "tense"; low arousal
is "calm" (valence >= 0) or "sad". The score is the distance from the neutral centre, clipped to 1.

    danceability = tempo_confidence * beat_regularity * exp(-((bpm - 120) / 35)^2), raised by
                   beat strength: * (0.5 + 0.5 beat_strength)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

AROUSAL_SPLIT = 0.1  # arousal above this counts as "high"
ENERGETIC_AROUSAL = 0.5


@dataclass
class Mood:
    valence: float
    arousal: float
    tag: str
    score: float
    danceability: float


def _clip(x: float) -> float:
    return float(np.clip(x, -1.0, 1.0))


def estimate_mood(
    bpm: float | None,
    tempo_confidence: float,
    beat_strength: float,
    beat_regularity: float,
    onset_rate_hz: float,
    loudness_db: float,
    centroid_hz: float,
    mode: str | None,
    key_confidence: float,
) -> Mood:
    tempo = _clip((bpm - 110.0) / 50.0) * tempo_confidence if bpm else 0.0
    loud = _clip((loudness_db + 24.0) / 12.0)
    busy = _clip((onset_rate_hz - 3.0) / 3.0)
    bright = _clip((centroid_hz - 1000.0) / 1500.0)
    mode_sign = {"major": 1.0, "minor": -1.0}.get(mode or "", 0.0) * key_confidence
    arousal = _clip(0.40 * tempo + 0.25 * loud + 0.20 * busy + 0.15 * bright)
    valence = _clip(0.60 * mode_sign + 0.25 * tempo + 0.15 * bright)
    if arousal > AROUSAL_SPLIT:
        tag = ("energetic" if arousal > ENERGETIC_AROUSAL else "happy/upbeat") if valence >= 0 else "tense"
    else:
        tag = "calm" if valence >= 0 else "sad"
    score = float(min(1.0, np.hypot(valence, arousal - AROUSAL_SPLIT)))
    dance = 0.0
    if bpm:
        dance = tempo_confidence * beat_regularity * float(np.exp(-(((bpm - 120.0) / 35.0) ** 2)))
        dance *= 0.5 + 0.5 * beat_strength
    return Mood(round(valence, 3), round(arousal, 3), tag, round(score, 3), round(float(np.clip(dance, 0, 1)), 3))
