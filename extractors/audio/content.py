"""What the sound is, second by second: silence, speech, music or noise.

A rule-based classifier over one-second segments of frame features, after the classic
speech/music discriminators (Scheirer & Slaney 1997): speech alternates voiced bursts and gaps
(many low-energy frames) and its pitch glides, so its chroma keeps changing; music holds pitches
(stable chroma); noise is spectrally flat and steady. Known limit: sparse tonal clicks with
gaps (a bare metronome) read as speech-like. Thresholds were set on
generated signals (tones, chords, click tracks, white noise, formant-shaped speech-like bursts).
"""
from __future__ import annotations

import itertools

import numpy as np

from extractors.audio.frames import FrameFeatures

SILENT_FRAME_DB = -50.0  # frame RMS below this (dBFS) is silence
SEGMENT_S = 1.0
NOISE_FLATNESS = 0.35  # mean spectral flatness above this, with steady energy, is noise
SPEECH_CHROMA_FLUX = (0.14, 0.24)  # frame-to-frame chroma change: music below, speech above
SPEECH_LOW_ENERGY = (0.15, 0.40)  # fraction of frames under half the segment's mean RMS
CLASSES = ("silence", "speech", "music", "noise")


def _ramp(value: float, lo_hi: tuple[float, float]) -> float:
    lo, hi = lo_hi
    return float(np.clip((value - lo) / (hi - lo), 0.0, 1.0))


def classify_segment(features: FrameFeatures, frames: slice) -> str:
    rms_db = features.rms_db[frames]
    voiced = rms_db >= SILENT_FRAME_DB
    if not voiced.any():  # nothing audible in the whole segment
        return "silence"
    rms = features.rms[frames]
    low_energy = float(np.mean(rms < 0.5 * rms.mean()))
    flatness = float(features.flatness[frames][voiced].mean())
    if flatness > NOISE_FLATNESS and low_energy < SPEECH_LOW_ENERGY[0]:
        return "noise"
    chroma = features.chroma[:, frames][:, voiced]
    share = chroma / np.maximum(chroma.sum(axis=0, keepdims=True), 1e-10)
    flux = float(np.abs(np.diff(share, axis=1)).sum(axis=0).mean()) if share.shape[1] > 1 else 0.0
    speech = 0.6 * _ramp(flux, SPEECH_CHROMA_FLUX) + 0.4 * _ramp(low_energy, SPEECH_LOW_ENERGY)
    impulsive = flatness > NOISE_FLATNESS  # broadband hits with gaps: percussion, not a voice
    return "speech" if speech >= 0.5 and not impulsive else "music"


def segment_bounds(features: FrameFeatures) -> np.ndarray:
    """Frame indices splitting the clip into segments of about SEGMENT_S (split evenly, none tiny)."""
    per_segment = SEGMENT_S * features.sr / features.hop
    n_segments = max(1, round(features.n_frames / per_segment))
    return np.linspace(0, features.n_frames, n_segments + 1).round().astype(int)


def content_segments(features: FrameFeatures) -> list[tuple[int, int, str]]:
    """(first frame, stop frame, class) per segment of about SEGMENT_S, in time order."""
    return [(int(start), int(stop), classify_segment(features, slice(start, stop)))
            for start, stop in itertools.pairwise(segment_bounds(features)) if stop > start]


def content_fractions(segments: list[tuple[int, int, str]], n_frames: int) -> dict[str, float]:
    """Share of the clip in each class, from `content_segments`."""
    counts = dict.fromkeys(CLASSES, 0)
    for start, stop, kind in segments:
        counts[kind] += stop - start
    return {name: round(float(count) / max(n_frames, 1), 3) for name, count in counts.items()}


def timeline(segments: list[tuple[int, int, str]], features: FrameFeatures) -> list[dict]:
    """Runs of one class as {"start_s", "end_s", "kind"}: when speech, music, noise or silence is heard."""
    runs: list[dict] = []
    seconds = features.hop / features.sr
    for start, stop, kind in segments:
        if runs and runs[-1]["kind"] == kind:
            runs[-1]["end_s"] = round(stop * seconds, 2)
        else:
            runs.append({"start_s": round(start * seconds, 2), "end_s": round(stop * seconds, 2), "kind": kind})
    return runs
