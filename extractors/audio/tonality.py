"""Key and mode by the Krumhansl-Schmuckler method: correlate the clip's mean chroma with the
24 rotated Krumhansl-Kessler major/minor key profiles and take the best.

Confidence is the best correlation scaled by its margin over the runner-up key, so a flat or
ambiguous chroma (speech, noise, drums only) gives a low value even though some key always wins.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
MARGIN_FOR_FULL_CONFIDENCE = 0.15


@dataclass
class Tonality:
    key: str | None
    mode: str | None
    confidence: float  # 0..1
    tonic_index: int  # 0 = C; -1 when there is no key


def estimate_key(chroma: np.ndarray, weights: np.ndarray | None = None) -> Tonality:
    """`chroma` is (12, n) with C first; `weights` (n,) says which frames count (e.g. not silent)."""
    if chroma.size == 0 or (weights is not None and not np.any(weights > 0)):
        return Tonality(None, None, 0.0, -1)
    profile = np.average(chroma, axis=1, weights=weights)
    if float(profile.std()) < 1e-6:
        return Tonality(None, None, 0.0, -1)
    scores = []
    for mode, template in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            scores.append((float(np.corrcoef(np.roll(template, tonic), profile)[0, 1]), tonic, mode))
    scores.sort(reverse=True)
    (best, tonic, mode), runner_up = scores[0], scores[1][0]
    confidence = float(np.clip(best, 0.0, 1.0) * np.clip((best - runner_up) / MARGIN_FOR_FULL_CONFIDENCE, 0.0, 1.0))
    return Tonality(NOTE_NAMES[tonic], mode, confidence, tonic)
