"""The moments of one analysed video, from what the extractors measured: no extra model runs here except the
text encoder on the few words of on-screen text and sound descriptions.

- one "frame" moment per sampled frame, with its CLIP vector, when CLIP weights are loaded;
- one "text" moment per distinct line of on-screen text, at the frame where OCR read it;
- one "speech", "music" or "noise" moment per run of that sound (`audio.stats["timeline"]`), described in words
  ("music, 124 BPM, E major") so a query's words and text embedding can find it.
A sampled frame stands for the time from the midpoint with the frame before to the midpoint with the frame after,
except that a cut between two frames is the boundary (a frame never stands for time in another shot).
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from extractors.visual.ocr import OnScreenText
from service.records import Moment

SOUND_WORDS = {"speech": "speech, someone talking", "music": "music", "noise": "noise"}


@dataclass
class MomentSources:
    """What an analysis produced that moments are made of."""

    frame_times: list[float]
    duration_s: float
    shot_starts: list[float] = field(default_factory=list)
    frame_vectors: np.ndarray | None = None  # [n, dim] unit CLIP vectors, None without CLIP weights
    visual_model: str = ""
    onscreen: OnScreenText | None = None
    audio_stats: dict[str, Any] | None = None


def frame_slots(times: list[float], duration_s: float, shot_starts: list[float] = ()) -> list[tuple[float, float]]:
    """The time each sampled frame stands for: midpoint to midpoint (or the cut between them), the first from 0,
    the last to the end."""
    if not times:
        return []
    end = max(duration_s, times[-1])
    inner = []
    for a, b in itertools.pairwise(times):
        cuts = [s for s in shot_starts if a < s <= b]
        inner.append(cuts[-1] if cuts else (a + b) / 2)
    bounds = [0.0, *inner, end]
    return [(round(bounds[i], 3), round(bounds[i + 1], 3)) for i in range(len(times))]


def nearest_frame(times: list[float], t: float) -> int:
    return int(np.argmin(np.abs(np.asarray(times) - t))) if times else 0


def describe_sound(kind: str, audio: dict[str, Any]) -> str:
    """Words for a run of sound: "music, 124 BPM, E major, energetic"."""
    words = [SOUND_WORDS[kind]]
    if kind == "music":
        if audio.get("bpm"):
            words.append(f"{audio['bpm']:.0f} BPM")
        if audio.get("key"):
            words.append(f"{audio['key']} {audio['mode']}")
        if audio.get("mood"):
            words.append(audio["mood"])
    return ", ".join(words)


def _worded(src: MomentSources, slots: list[tuple[float, float]]) -> list[Moment]:
    """Text and sound moments, not yet embedded."""
    out = []
    if src.onscreen is not None:
        for line, t in zip(src.onscreen.lines, src.onscreen.times, strict=True):
            i = nearest_frame(src.frame_times, t)
            out.append(Moment("text", *slots[i], i, line))
    audio = src.audio_stats or {}
    for run in audio.get("timeline") or []:
        if run["kind"] in SOUND_WORDS:
            inside = [i for i, t in enumerate(src.frame_times) if run["start_s"] <= t < run["end_s"]]
            frame = inside[0] if inside else nearest_frame(src.frame_times, run["start_s"])
            out.append(Moment(run["kind"], run["start_s"], run["end_s"], frame, describe_sound(run["kind"], audio)))
    return out


def build_moments(src: MomentSources, embed: Callable[[list[str]], np.ndarray] | None = None,
                  text_model: str = "") -> list[Moment]:
    """Every moment of one video in time order; worded moments get `embed` vectors (none without an encoder)."""
    slots = frame_slots(src.frame_times, src.duration_s, src.shot_starts)
    if not slots:
        return []
    moments: list[Moment] = []
    if src.frame_vectors is not None:
        moments += [Moment("frame", *slots[i], i, "", src.visual_model, np.asarray(v, np.float32))
                    for i, v in enumerate(src.frame_vectors)]
    worded = _worded(src, slots)
    if worded and embed is not None:
        for moment, vector in zip(worded, embed([m.text for m in worded]), strict=True):
            moment.vector, moment.model = np.asarray(vector, np.float32), text_model
    return sorted(moments + worded, key=lambda m: (m.start_s, m.kind))
