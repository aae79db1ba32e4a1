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

A mood is named only when the evidence supports one: the clip must be mostly music (MIN_MUSIC_SHARE), have
a key with some confidence (KEY_EVIDENCE; without a mode, valence would rest on tempo and brightness alone,
which is how a bare 90 BPM click track used to come out "sad"), and sit far enough from the neutral centre
(MIN_MOOD_SCORE). Otherwise `tag` is None and `note` says what was missing; valence and arousal are still
reported as measurements.

    danceability = tempo_confidence * beat_regularity * exp(-((bpm - 120) / 35)^2), raised by
                   beat strength: * (0.5 + 0.5 beat_strength)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

AROUSAL_SPLIT = 0.1  # arousal above this counts as "high"
ENERGETIC_AROUSAL = 0.5
MIN_MUSIC_SHARE = 0.5  # share of the clip classified as music that a mood needs
KEY_EVIDENCE = 0.3  # key confidence a mood needs (the mode carries most of the valence)
MIN_MOOD_SCORE = 0.15  # distance from the neutral centre a mood needs


@dataclass
class Mood:
    valence: float
    arousal: float
    tag: str | None  # None: the evidence does not support a mood (see `note`)
    score: float
    danceability: float
    note: str = ""


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
    music_share: float = 1.0,
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
    note = _missing_evidence(music_share, mode, key_confidence, score)
    if note:
        tag, score = None, 0.0
    dance = 0.0
    if bpm:
        dance = tempo_confidence * beat_regularity * float(np.exp(-(((bpm - 120.0) / 35.0) ** 2)))
        dance *= 0.5 + 0.5 * beat_strength
    return Mood(round(valence, 3), round(arousal, 3), tag, round(score, 3), round(float(np.clip(dance, 0, 1)), 3),
                note)


def _missing_evidence(music_share: float, mode: str | None, key_confidence: float, score: float) -> str:
    """What a mood label would lack ("" when the evidence supports one)."""
    if music_share < MIN_MUSIC_SHARE:
        return f"no mood: only {music_share:.0%} of the clip is music"
    if mode is None or key_confidence < KEY_EVIDENCE:
        return "no mood: no clear key or mode to judge valence by"
    if score < MIN_MOOD_SCORE:
        return "no mood: valence and arousal are both near neutral"
    return ""
