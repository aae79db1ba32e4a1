"""Tempo, beats and rhythmic regularity from onset-strength envelopes.

Tempo comes from librosa's autocorrelation tempogram with its 120 BPM log-normal prior. The
octave (half / double tempo) is the usual tempo error, so it is checked explicitly:
- support for a tempo is the mean-removed autocorrelation of the onset envelope at its beat period
  (pulse clarity: about 0 for noise, near 1 for a click track); it is also the tempo confidence;
- a fast estimate (>= HALVE_ABOVE_BPM) whose low-frequency hits (kick, bass) recur only every other
  pulse is reported at half speed, and `octave_note` says so; otherwise the note names a half- or
  double-time reading that the envelope supports almost as well, or says there is no ambiguity.
Beats are placed on the whole-band envelope, with the low band (kick, bass) weighted up when it pulses at the
tempo by itself: otherwise broadband off-beat hi-hats, which change the spectrum most, pull the beats half a
beat late (seen on every generated sample clip). Beat times are kept in the stats for beat-cut alignment.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_TEMPO_S = 2.0  # below this there are too few beats for a tempo
MIN_BPM, MAX_BPM = 40.0, 240.0
HALVE_ABOVE_BPM = 130.0
LOW_BAND_HALF_RATIO = 1.5  # low-band support at T/2 over support at T needed to halve
PLAUSIBLE_FRACTION = 0.8  # another octave within this fraction of the chosen tempo's support is named
LOW_PULSE_SUPPORT = 0.5  # a low band this periodic at the tempo (kick, bass) places the beats
LOW_PHASE_WEIGHT = 3.0


@dataclass
class Rhythm:
    bpm: float | None
    tempo_confidence: float  # pulse clarity at the reported tempo, 0..1
    octave_note: str
    beat_times: np.ndarray
    beat_strength: float  # 1 - mean onset / mean onset on beats: 0 no accent on beats, near 1 sharp hits
    beat_regularity: float  # 1 - coefficient of variation of inter-beat intervals, 0..1
    onset_rate_hz: float


def _autocorrelation(envelope: np.ndarray) -> np.ndarray:
    """Mean-removed autocorrelation normalised to 1 at lag 0 (zeros for a constant envelope)."""
    import librosa

    x = envelope - envelope.mean()
    ac = librosa.autocorrelate(x)
    return ac / ac[0] if ac[0] > 0 else np.zeros_like(ac)


def _support(ac: np.ndarray, bpm: float, sr: int, hop: int) -> float:
    """Autocorrelation at the beat period of `bpm` (best of the neighbouring lags), clipped to 0..1."""
    lag = 60.0 * sr / (hop * bpm)
    lo, hi = int(np.floor(lag)) - 1, int(np.ceil(lag)) + 1
    if lo < 1 or hi >= ac.size:
        return 0.0
    return float(np.clip(ac[lo : hi + 1].max(), 0.0, 1.0))


def _refine(ac: np.ndarray, bpm: float, sr: int, hop: int) -> float:
    """Sub-frame beat period: parabolic peak of the autocorrelation at one and two beat periods.

    The tempogram's BPM grid is coarse (a frame is 23 ms), which alone can be 1-2 % off."""
    periods = []
    for multiple in (1, 2):
        lag = 60.0 * sr / (hop * bpm) * multiple
        j = round(lag)
        if j < 2 or j + 2 >= ac.size:
            break
        j = j - 1 + int(np.argmax(ac[j - 1 : j + 2]))
        a, b, c = ac[j - 1], ac[j], ac[j + 1]
        curve = a - 2 * b + c
        offset = 0.5 * (a - c) / curve if curve < 0 else 0.0
        periods.append((j + float(np.clip(offset, -0.5, 0.5))) / multiple)
    if not periods:
        return bpm
    refined = 60.0 * sr / (hop * float(np.mean(periods)))
    return refined if abs(refined - bpm) / bpm < 0.04 else bpm


def _resolve_octave(bpm: float, ac: np.ndarray, ac_low: np.ndarray, sr: int, hop: int) -> tuple[float, str]:
    half, double = bpm / 2, bpm * 2
    low_here, low_half = _support(ac_low, bpm, sr, hop), _support(ac_low, half, sr, hop)
    if bpm >= HALVE_ABOVE_BPM and half >= MIN_BPM and low_half >= LOW_BAND_HALF_RATIO * max(low_here, 0.05):
        return half, f"halved from {bpm:.0f} BPM: kick/bass hits fall on every other pulse"
    here = _support(ac, bpm, sr, hop)
    for other, word in ((half, "half-time"), (double, "double-time")):
        support = _support(ac, other, sr, hop)
        if MIN_BPM <= other <= MAX_BPM and here > 0 and support >= PLAUSIBLE_FRACTION * here:
            return bpm, f"{word} {other:.0f} BPM is also plausible (support {support:.2f} vs {here:.2f})"
    return bpm, "no octave ambiguity"


def _phase_envelope(onset: np.ndarray, onset_low: np.ndarray, ac_low: np.ndarray, bpm: float, sr: int,
                    hop: int) -> np.ndarray:
    """The envelope beats are placed on: the whole band, plus the low band when it pulses at the tempo."""
    if _support(ac_low, bpm, sr, hop) < LOW_PULSE_SUPPORT or not np.any(onset_low > 0):
        return onset
    return onset / max(float(onset.max()), 1e-9) + LOW_PHASE_WEIGHT * onset_low / float(onset_low.max())


def analyse_rhythm(onset: np.ndarray, onset_low: np.ndarray, sr: int, hop: int) -> Rhythm:
    import librosa

    seconds = onset.size * hop / sr
    onsets = librosa.onset.onset_detect(onset_envelope=onset, sr=sr, hop_length=hop)
    onset_rate = float(len(onsets) / seconds) if seconds > 0 else 0.0
    if seconds < MIN_TEMPO_S or not np.any(onset > 0):
        note = f"no tempo: shorter than {MIN_TEMPO_S:g} s or no onsets"
        return Rhythm(None, 0.0, note, np.zeros(0), 0.0, 0.0, onset_rate)

    estimate = float(librosa.feature.tempo(onset_envelope=onset, sr=sr, hop_length=hop)[0])
    ac, ac_low = _autocorrelation(onset), _autocorrelation(onset_low)
    bpm, note = _resolve_octave(estimate, ac, ac_low, sr, hop)
    bpm = _refine(ac, bpm, sr, hop)
    _, beat_frames = librosa.beat.beat_track(onset_envelope=_phase_envelope(onset, onset_low, ac_low, bpm, sr, hop),
                                             sr=sr, hop_length=hop, bpm=bpm)
    beat_times = librosa.frames_to_time(beat_frames, sr=sr, hop_length=hop)
    strength = float(onset[beat_frames].mean() / max(float(onset.mean()), 1e-6)) if beat_frames.size else 0.0
    intervals = np.diff(beat_times)
    regularity = float(np.clip(1.0 - intervals.std() / intervals.mean(), 0.0, 1.0)) if intervals.size >= 2 else 0.0
    return Rhythm(
        bpm=bpm,
        tempo_confidence=_support(ac, bpm, sr, hop),
        octave_note=note,
        beat_times=beat_times,
        beat_strength=float(1.0 - 1.0 / max(strength, 1.0)),
        beat_regularity=regularity,
        onset_rate_hz=onset_rate,
    )
