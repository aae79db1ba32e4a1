"""Hook and pacing: what happens in a clip's first seconds, how the cutting rate changes over time, and whether
the cuts fall on the beat. Cross-modal: it reads the decoder's shot starts, the sampled frames with their faces
and on-screen text, and the audio's beats and opening (`extractors.audio.opening`).

Viewers of short videos decide in the first seconds whether to stay, so the first HOOK_S seconds get their own
statistics. A cut is "on the beat" within BEAT_TOLERANCE_S (80 ms, about two video frames at 25 fps): the share
of such cuts is reported next to the share that cuts placed at random would reach, so a high share means
something only well above that chance level. Tags are given only on strong evidence.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from extractors.base import Tag
from extractors.visual.frame_stats import sampled_motion

HOOK_S = 3.0
BEAT_TOLERANCE_S = 0.08
MAX_TIMELINE_BINS = 30  # cuts-per-second bins: one second each, longer bins for clips over 30 s
FAST_OPENING_CUTS = 2  # cuts within HOOK_S that make a fast-paced opening
FAST_OPENING_MOTION = 0.3  # or picture change per second (twice the "fast motion" bound of frame statistics)
ON_BEAT_MIN_CUTS = 4
ON_BEAT_MIN_SHARE = 0.75
ON_BEAT_OVER_CHANCE = 0.3
MIN_TEMPO_CONFIDENCE = 0.3  # beats of a weaker pulse are not trusted for alignment
MIN_MUSIC_SHARE = 0.3  # an edit is "to the beat" of music: the pulse of speech syllables does not count
TAG_SCALE = 0.6  # pacing tags rank below content tags, like the frame-statistics tags


@dataclass
class PacingInput:
    """What the pacing needs from the decoder, the visual prepare stage and the audio extractor."""

    duration_s: float
    frame_times: list[float]
    frames: list[np.ndarray]
    shot_starts: list[float]
    faces_per_frame: list[int] = field(default_factory=list)
    onscreen: list[tuple[str, float]] = field(default_factory=list)  # (line, first time seen)
    audio: dict[str, Any] = field(default_factory=dict)  # the audio modality's stats (beats, opening, tempo)
    face_times: list[float] | None = None  # times of the frames `faces_per_frame` counted (None: frame_times)


def cut_times(shot_starts: list[float]) -> list[float]:
    """Cuts are the shot starts after the first (the first frame starts a shot without a cut)."""
    return [float(t) for t in shot_starts[1:]]


def cuts_timeline(cuts: list[float], duration_s: float) -> dict[str, Any]:
    """Cuts per second in consecutive bins: one second each, or longer so there are at most MAX_TIMELINE_BINS."""
    if duration_s <= 0:
        return {"bin_s": 1.0, "cuts_per_s": []}
    bin_s = max(1.0, float(np.ceil(duration_s / MAX_TIMELINE_BINS)))
    edges = np.arange(0.0, duration_s + bin_s, bin_s)
    counts, _ = np.histogram(np.clip(cuts, 0, duration_s), bins=edges)
    widths = np.minimum(edges[1:], duration_s) - edges[:-1]
    rates = [round(float(c / w), 3) if w > 0 else 0.0 for c, w in zip(counts, widths, strict=True)]
    return {"bin_s": bin_s, "cuts_per_s": rates}


def beat_alignment(cuts: list[float], beats: list[float], tolerance_s: float = BEAT_TOLERANCE_S) -> dict | None:
    """Share of the cuts (within the beat-tracked span) that lie within `tolerance_s` of a beat, and the share
    random cuts would reach; None without at least two beats or a cut in the span."""
    if len(beats) < 2:
        return None
    beat_array = np.asarray(beats, float)
    period = float(np.median(np.diff(beat_array)))
    span = [c for c in cuts if beat_array[0] - period / 2 <= c <= beat_array[-1] + period / 2]
    if not span:
        return None
    distance = np.abs(np.asarray(span)[:, None] - beat_array[None, :]).min(axis=1)
    on_beat = int(np.sum(distance <= tolerance_s))
    return {
        "cuts": len(span),
        "on_beat": on_beat,
        "share": round(on_beat / len(span), 3),
        "chance": round(min(1.0, 2 * tolerance_s / period), 3),
        "median_offset_s": round(float(np.median(distance)), 3),
        "tolerance_s": tolerance_s,
    }


def opening_motion(x: PacingInput, window_s: float = HOOK_S) -> float | None:
    """Picture change per second between sampled frames of one shot within the window (None: no such pair)."""
    inside = [i for i, t in enumerate(x.frame_times) if t < window_s]
    pairs = [(i, j) for i, j in itertools.pairwise(inside)
             if not any(x.frame_times[i] < s <= x.frame_times[j] for s in x.shot_starts)]
    if not pairs:
        return None
    return sampled_motion([x.frames[i] for i in inside], [x.frame_times[i] for i in inside], x.shot_starts)


def hook_stats(x: PacingInput, window_s: float = HOOK_S) -> dict[str, Any]:
    """The first `window_s` seconds: cuts, motion, faces, on-screen text, and the audio's loudness and onsets."""
    cuts = [c for c in cut_times(x.shot_starts) if c < window_s]
    face_times = x.frame_times if x.face_times is None else x.face_times
    faces = [n for t, n in zip(face_times, x.faces_per_frame, strict=False) if t < window_s]
    motion = opening_motion(x, window_s)
    audio_opening = x.audio.get("opening") or {}
    return {
        "window_s": window_s,
        "cuts": len(cuts),
        "cut_times": [round(c, 3) for c in cuts],
        "cuts_per_s": round(len(cuts) / min(window_s, x.duration_s), 3) if x.duration_s > 0 else 0.0,
        "motion": round(motion, 4) if motion is not None else None,
        "faces_max": max(faces, default=0),
        "onscreen_text": [line for line, t in x.onscreen if t < window_s],
        "loudness_db": audio_opening.get("loudness_db"),
        "sound": _opening_sound(x.audio),
        "speech_onset_s": audio_opening.get("speech_onset_s"),
        "music_onset_s": audio_opening.get("music_onset_s"),
    }


def _opening_sound(audio: dict[str, Any]) -> str | None:
    """What is heard first: "none" (no audio track), "silence", or the opening's dominant class."""
    if not audio or "absent_reason" in audio:
        return "none"
    if audio.get("silent"):
        return "silence"
    return (audio.get("opening") or {}).get("kind")


def _on_beat(alignment: dict | None, tempo_confidence: float) -> bool:
    return bool(alignment and tempo_confidence >= MIN_TEMPO_CONFIDENCE and alignment["cuts"] >= ON_BEAT_MIN_CUTS
                and alignment["share"] >= max(ON_BEAT_MIN_SHARE, alignment["chance"] + ON_BEAT_OVER_CHANCE))


def pacing_tags(hook: dict[str, Any], alignment: dict | None, tempo_confidence: float) -> list[Tag]:
    """Tags on strong evidence only: a fast-paced opening, an edit on the beat, text or a face in the opening."""
    tags = []
    motion = hook["motion"] or 0.0
    if hook["cuts"] >= FAST_OPENING_CUTS or motion >= FAST_OPENING_MOTION:
        strength = max(hook["cuts"] / (FAST_OPENING_CUTS + 1), motion / (1.5 * FAST_OPENING_MOTION))
        tags.append(Tag("fast-paced opening", TAG_SCALE * min(1.0, strength), "pacing"))
    if _on_beat(alignment, tempo_confidence):
        tags.append(Tag("on-beat edit", TAG_SCALE * alignment["share"], "pacing"))
    if hook["onscreen_text"]:
        tags.append(Tag("text in opening", 0.5 * TAG_SCALE, "pacing"))
    if hook["faces_max"] > 0:
        tags.append(Tag("face in opening", 0.5 * TAG_SCALE, "pacing"))
    return tags


def describe_pacing(x: PacingInput) -> tuple[dict[str, Any], list[Tag]]:
    """({"hook": ..., "pacing": ...}, tags) for one clip."""
    cuts = cut_times(x.shot_starts)
    music = float((x.audio.get("content") or {}).get("music", 0.0))
    beats = list(x.audio.get("beat_times") or []) if music >= MIN_MUSIC_SHARE else []
    tempo_confidence = float(x.audio.get("tempo_confidence") or 0.0)
    alignment = beat_alignment(cuts, beats) if tempo_confidence >= MIN_TEMPO_CONFIDENCE else None
    hook = hook_stats(x)
    pacing = {
        "cuts": len(cuts),
        "cuts_per_s": round(len(cuts) / x.duration_s, 3) if x.duration_s > 0 else 0.0,
        "timeline": cuts_timeline(cuts, x.duration_s),
        "beat_alignment": alignment,
        "beat_note": _beat_note(beats, tempo_confidence, alignment),
    }
    return {"hook": hook, "pacing": pacing}, pacing_tags(hook, alignment, tempo_confidence)


def _beat_note(beats: list[float], tempo_confidence: float, alignment: dict | None) -> str:
    if not beats:
        return "no beats: no music with a pulse"
    if tempo_confidence < MIN_TEMPO_CONFIDENCE:
        return f"beats not used: the pulse is weak (tempo confidence {tempo_confidence:.2f})"
    if alignment is None:
        return "no cuts while the beat plays"
    return ""
