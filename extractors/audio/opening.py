"""The sound of a clip's first seconds: how loud it is, what is heard, and when speech or music starts.

Short-video viewers decide in the first seconds whether to stay; these measurements feed the cross-modal
hook statistics (`extractors.pacing`). Onsets are the first audible frame of the first segment of that class
(segments are about a second long, see `content`), so they are accurate to a frame where the class is right.
"""
from __future__ import annotations

import numpy as np

from extractors.audio.frames import FrameFeatures

OPENING_S = 3.0
AUDIBLE_DB = -50.0


def _first_audible(features: FrameFeatures, start: int, stop: int) -> float:
    """Seconds of the first frame in [start, stop) at or above AUDIBLE_DB (the segment start if none)."""
    loud = np.nonzero(features.rms_db[start:stop] >= AUDIBLE_DB)[0]
    frame = start + (int(loud[0]) if loud.size else 0)
    return round(frame * features.hop / features.sr, 2)


def onsets(features: FrameFeatures, segments: list[tuple[int, int, str]]) -> dict[str, float | None]:
    """When speech, music and any sound are first heard (None: never)."""
    out: dict[str, float | None] = {"speech_onset_s": None, "music_onset_s": None, "sound_onset_s": None}
    for start, stop, kind in segments:
        key = f"{kind}_onset_s"
        if key in out and out[key] is None:
            out[key] = _first_audible(features, start, stop)
    audible = np.nonzero(features.rms_db >= AUDIBLE_DB)[0]
    if audible.size:
        out["sound_onset_s"] = round(int(audible[0]) * features.hop / features.sr, 2)
    return out


def opening(features: FrameFeatures, segments: list[tuple[int, int, str]], window_s: float = OPENING_S) -> dict:
    """Loudness (dBFS over the audible frames), dominant class and onsets within the first `window_s` seconds."""
    stop = max(1, min(features.n_frames, round(window_s * features.sr / features.hop)))
    rms = features.rms[:stop]
    audible = features.rms_db[:stop] >= AUDIBLE_DB
    loudness = 10.0 * np.log10(max(float(np.mean(rms[audible] ** 2)), 1e-20)) if audible.any() else None
    shares: dict[str, int] = {}
    for start, end, kind in segments:
        overlap = min(end, stop) - start
        if overlap > 0:
            shares[kind] = shares.get(kind, 0) + overlap
    when = {k: (v if v is not None and v < window_s else None) for k, v in onsets(features, segments).items()}
    return {
        "window_s": window_s,
        "loudness_db": round(loudness, 1) if loudness is not None else None,
        "kind": max(shares, key=shares.get) if shares else "silence",
        **when,
    }
