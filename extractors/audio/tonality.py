"""Key and mode: an ensemble of key profiles, tonic-chord templates and the bass, with no key for atonal sound.

Each of the 24 keys is scored on the clip's mean chroma (active frames only) by
- the mean correlation with three published key profiles rotated to the key: Krumhansl-Kessler (probe-tone
  ratings), Temperley (Kostka-Payne corpus) and Aarden-Essen (folk-song corpus). Profiles alone were built
  for melodies and progressions: on a held chord they confuse relatives (C major 7 reads as E minor, whose
  triad it contains);
- CHORD_WEIGHT times the best correlation with the key's tonic triad or tonic seventh chord (binary templates):
  a held chord is heard as the tonic of its own key;
- BASS_WEIGHT times the share of frames whose lowest note is the key's tonic: chroma cannot tell C minor 7
  from E-flat major 6 (the same pitch classes), the bass can, and music rests on its tonic in the bass.
On generated triads and seventh chords in all 24 keys this ensemble is right where each profile alone is not
(see bench/key_accuracy.py for the comparison).

No key is reported when there is no tonal content: too few active frames with a pitched spectrum, or fewer
than MIN_PITCH_CLASSES clearly present pitch classes (a click track's single pitch, a kick drum). Confidence
is the ensemble's margin over the runner-up key, so an ambiguous chroma gives a low value.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MODES = ("major", "minor")
PROFILES: dict[str, tuple[np.ndarray, np.ndarray]] = {  # (major, minor), tonic first
    "krumhansl": (np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]),
                  np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])),
    "temperley": (np.array([5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0]),
                  np.array([5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0])),
    "aarden": (np.array([17.77, 0.15, 14.93, 0.16, 19.80, 11.36, 0.29, 22.06, 0.15, 8.15, 0.23, 4.95]),
               np.array([18.26, 0.74, 14.05, 16.86, 0.70, 14.44, 0.70, 18.62, 4.57, 1.93, 7.38, 1.76])),
}
ENSEMBLE = ("krumhansl", "temperley", "aarden")
TONIC_CHORDS = {"major": ((0, 4, 7), (0, 4, 7, 11)), "minor": ((0, 3, 7), (0, 3, 7, 10))}
CHORD_WEIGHT = 1.5
BASS_WEIGHT = 0.5
MIN_PITCH_CLASSES = 3  # chroma peaks (above both neighbours, >= PRESENT_SHARE of the strongest) tonal content needs
PRESENT_SHARE = 0.2
MIN_CONTRAST = 0.35  # 1 - mean/max of the mean chroma: noise, drums and speech stay below, chords and scales above
MARGIN_FOR_FULL_CONFIDENCE = 0.3


@dataclass
class Tonality:
    key: str | None
    mode: str | None
    confidence: float  # 0..1
    tonic_index: int  # 0 = C; -1 when there is no key
    reason: str = ""  # why there is no key (empty when there is one)


def _template(steps: tuple[int, ...]) -> np.ndarray:
    v = np.zeros(12)
    v[list(steps)] = 1.0
    return v


def _correlations(profile: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Pearson correlation of `profile` with `template` rotated to each of the 12 tonics."""
    rotated = np.stack([np.roll(template, k) for k in range(12)])
    rotated = rotated - rotated.mean(axis=1, keepdims=True)
    p = profile - profile.mean()
    denominator = np.linalg.norm(rotated, axis=1) * np.linalg.norm(p)
    return rotated @ p / np.maximum(denominator, 1e-12)


def profile_scores(chroma: np.ndarray, names: tuple[str, ...] = ENSEMBLE) -> np.ndarray:
    """(2, 12) mean correlation with the named key profiles; row 0 major, row 1 minor."""
    return np.stack([np.mean([_correlations(chroma, PROFILES[n][m]) for n in names], axis=0) for m in range(2)])


def chord_scores(chroma: np.ndarray) -> np.ndarray:
    """(2, 12) best correlation with each key's tonic triad or tonic seventh chord."""
    return np.stack([np.max([_correlations(chroma, _template(c)) for c in TONIC_CHORDS[mode]], axis=0)
                     for mode in MODES])


def bass_shares(bass: np.ndarray | None, weights: np.ndarray | None) -> np.ndarray:
    """(12,) share of the (weighted) frames whose lowest note is each pitch class."""
    if bass is None or bass.size == 0:
        return np.zeros(12)
    w = np.ones(bass.size) if weights is None else np.asarray(weights, float)
    counts = np.bincount(bass[bass >= 0].astype(int), weights=w[bass >= 0], minlength=12)[:12]
    total = float(w.sum())
    return counts / total if total > 0 else np.zeros(12)


def atonal_reason(chroma: np.ndarray) -> str:
    """Why a mean chroma holds no key ("" when it may): flat (noise) or too few pitch classes.

    Pitch classes are counted as chroma peaks, not as bins over a level: a low tone leaks into both
    neighbouring bins, and those leaks must not count as notes."""
    peak = float(chroma.max())
    if peak <= 0 or 1.0 - float(chroma.mean()) / peak < MIN_CONTRAST:
        return "no pitched content (flat chroma: noise or percussion)"
    is_peak = (chroma > np.roll(chroma, 1)) & (chroma >= np.roll(chroma, -1)) & (chroma >= PRESENT_SHARE * peak)
    present = int(np.sum(is_peak))
    if present < MIN_PITCH_CLASSES:
        return f"only {present} pitch class{'es' if present != 1 else ''} present: a key needs a chord or a melody"
    return ""


def estimate_key(chroma: np.ndarray, weights: np.ndarray | None = None, bass: np.ndarray | None = None) -> Tonality:
    """`chroma` is (12, n) with C first; `weights` (n,) says which frames count (e.g. not silent); `bass` (n,)
    the lowest note's pitch class per frame (-1: none), see `frames.FrameFeatures.bass`."""
    if chroma.size == 0 or (weights is not None and not np.any(weights > 0)):
        return Tonality(None, None, 0.0, -1, "no audible frames")
    mean = np.average(chroma, axis=1, weights=weights)
    reason = atonal_reason(mean)
    if reason:
        return Tonality(None, None, 0.0, -1, reason)
    total = profile_scores(mean) + CHORD_WEIGHT * chord_scores(mean) + BASS_WEIGHT * bass_shares(bass, weights)
    order = np.argsort(total, axis=None)[::-1]
    mode_index, tonic = np.unravel_index(order[0], total.shape)
    best, runner_up = float(total.flat[order[0]]), float(total.flat[order[1]])
    confidence = float(np.clip((best - runner_up) / MARGIN_FOR_FULL_CONFIDENCE, 0.0, 1.0))
    return Tonality(NOTE_NAMES[int(tonic)], MODES[int(mode_index)], confidence, int(tonic))
