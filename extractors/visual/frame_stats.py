"""Weight-free frame statistics: light, colour, motion, shots and faces, plus a small vector of them.

These need no learned weights beyond OpenCV's bundled face cascade, so the visual modality always
says something (and tags something) even where CLIP weights cannot be had.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from extractors.base import Tag
from extractors.visual.ocr import pick_frames

STATS_VERSION = "framestats-v1"
# Basic colour terms a person would use; the order fixes the vector layout.
COLOUR_NAMES = ("black", "gray", "white", "red", "orange", "brown", "yellow", "green", "cyan", "blue", "purple", "pink")
# Hue upper bounds in degrees (exclusive) for saturated pixels; red wraps around 360.
_HUE_BINS = ((20, "red"), (40, "orange"), (70, "yellow"), (170, "green"), (200, "cyan"), (260, "blue"),
             (300, "purple"), (340, "pink"), (361, "red"))
SCALARS = ("brightness", "contrast", "saturation", "colourfulness", "motion", "cuts_per_s", "faces")
VECTOR_DIM = len(SCALARS) + len(COLOUR_NAMES)
MOTION_LEVELS = ((0.01, "still"), (0.15, "slow"), (float("inf"), "fast"))  # picture change per second
_PIXELS_SIDE = 64  # colour statistics on frames shrunk to this side: plenty for fractions, cheap


@dataclass
class FrameStats:
    """Measurements over the sampled frames of one video (see `to_dict` for the units)."""

    frames: int
    brightness: float  # mean luma, 0..1
    contrast: float  # luma standard deviation, 0..1 (0.5 is a black/white checkerboard)
    saturation: float  # mean HSV saturation, 0..1
    colourfulness: float  # Hasler & Suesstrunk metric / 150, clipped to 0..1
    colour_fractions: dict[str, float]  # share of pixels per basic colour name
    motion: float  # picture change per second within shots
    shots: int
    cuts_per_s: float
    faces_per_frame: list[int] = field(default_factory=list)
    face_times: list[float] = field(default_factory=list)  # the time of each frame `faces_per_frame` counted

    @property
    def dominant_colours(self) -> list[tuple[str, float]]:
        """Colour names covering at least 8 % of the picture, largest first (at most 3)."""
        ranked = sorted(self.colour_fractions.items(), key=lambda kv: -kv[1])
        return [(name, share) for name, share in ranked if share >= 0.08][:3]

    @property
    def motion_level(self) -> str:
        return next(name for bound, name in MOTION_LEVELS if self.motion < bound)

    @property
    def mean_faces(self) -> float:
        return float(np.mean(self.faces_per_frame)) if self.faces_per_frame else 0.0

    def vector(self) -> np.ndarray:
        """Unit float32 vector: scalars mapped to [-1, 1] around typical values, colours as sqrt shares."""
        scalars = np.array(
            [
                2 * self.brightness - 1,
                4 * self.contrast - 1,
                2 * self.saturation - 1,
                2 * self.colourfulness - 1,
                np.tanh(self.motion / 0.15) * 2 - 1,
                np.tanh(self.cuts_per_s) * 2 - 1,
                np.tanh(self.mean_faces) * 2 - 1,
            ],
            np.float32,
        )
        colours = np.sqrt(np.array([self.colour_fractions.get(n, 0.0) for n in COLOUR_NAMES], np.float32))
        v = np.concatenate([np.clip(scalars, -1, 1), colours])
        return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "brightness": round(self.brightness, 3),
            "contrast": round(self.contrast, 3),
            "saturation": round(self.saturation, 3),
            "colourfulness": round(self.colourfulness, 3),
            "dominant_colours": [{"name": n, "share": round(s, 3)} for n, s in self.dominant_colours],
            "motion": round(self.motion, 4),
            "motion_level": self.motion_level,
            "shots": self.shots,
            "cuts_per_s": round(self.cuts_per_s, 3),
            "faces_max": max(self.faces_per_frame, default=0),
            "faces_mean": round(self.mean_faces, 2),
        }


def colour_names(rgb: np.ndarray) -> np.ndarray:
    """Index into COLOUR_NAMES for every pixel of an RGB uint8 image (shape [..., 3])."""
    hsv = cv2.cvtColor(rgb.reshape(-1, 1, 3), cv2.COLOR_RGB2HSV_FULL).reshape(-1, 3).astype(np.float32)
    hue, sat, val = hsv[:, 0] * (360.0 / 256.0), hsv[:, 1] / 255.0, hsv[:, 2] / 255.0
    index = {name: i for i, name in enumerate(COLOUR_NAMES)}
    out = np.full(hue.shape, index["gray"], np.int64)
    chroma = np.zeros(hue.shape, np.int64)
    lower = 0.0
    for upper, name in _HUE_BINS:
        chroma[(hue >= lower) & (hue < upper)] = index[name]
        lower = upper
    # Dark oranges and reds read as brown.
    chroma[np.isin(chroma, [index["orange"], index["red"]]) & (val < 0.55) & (hue >= 10) & (hue < 45)] = index["brown"]
    saturated = sat >= 0.25
    out[saturated] = chroma[saturated]
    out[~saturated & (val > 0.8)] = index["white"]
    out[val < 0.18] = index["black"]
    return out


def _colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003): spread and mean of opponent colour channels."""
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


class FaceCounter:
    """Frontal faces per frame with OpenCV's bundled Haar cascade (one classifier per thread)."""

    def __init__(self, cascade: str = "haarcascade_frontalface_default.xml"):
        self.path = cv2.data.haarcascades + cascade
        self._local = threading.local()

    def _classifier(self) -> cv2.CascadeClassifier:
        clf = getattr(self._local, "clf", None)
        if clf is None:
            clf = cv2.CascadeClassifier(self.path)
            if clf.empty():
                raise RuntimeError(f"OpenCV face cascade missing: {self.path}")
            self._local.clf = clf
        return clf

    def count(self, rgb: np.ndarray) -> int:
        gray = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
        side = min(gray.shape[:2])
        min_face = max(20, side // 10)
        faces = self._classifier().detectMultiScale(gray, scaleFactor=1.15, minNeighbors=6,
                                                    minSize=(min_face, min_face))
        return len(faces)


def sampled_motion(frames: list[np.ndarray], times: list[float], shot_starts: list[float]) -> float:
    """Change per second between consecutive sampled frames of the same shot (when no decoder trace exists, and
    for a stretch of the clip such as its opening)."""
    rates = []
    for i in range(1, len(frames)):
        dt = times[i] - times[i - 1]
        if dt <= 0 or any(times[i - 1] < s <= times[i] for s in shot_starts):
            continue
        a, b = (cv2.resize(f, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
                for f in frames[i - 1 : i + 1])
        rates.append(float(np.abs(a - b).mean()) / dt)
    return float(np.mean(rates)) if rates else 0.0


def compute_frame_stats(
    frames: list[np.ndarray],
    times: list[float] | None = None,
    duration_s: float = 0.0,
    shot_starts: list[float] | None = None,
    motion_per_s: float | None = None,
    faces: FaceCounter | None = None,
    face_frames: int | None = None,
    face_opening_s: float = 0.0,
) -> FrameStats:
    """Statistics over RGB uint8 frames; shot starts and motion come from the decoder when it measured them.
    Faces are counted on every frame, or on `face_frames` of them (one per shot first, as OCR picks them) plus
    every frame before `face_opening_s` (the opening, which the hook statistics look at)."""
    times = times if times is not None else [float(i) for i in range(len(frames))]
    shot_starts = shot_starts or []
    if not frames:
        return FrameStats(0, 0.0, 0.0, 0.0, 0.0, {}, 0.0, 0, 0.0, [])
    small = [cv2.resize(f, (_PIXELS_SIDE, _PIXELS_SIDE), interpolation=cv2.INTER_AREA) for f in frames]
    pixels = np.concatenate([s.reshape(-1, 3) for s in small])
    luma = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    hsv = cv2.cvtColor(pixels.reshape(-1, 1, 3), cv2.COLOR_RGB2HSV_FULL)
    counts = np.bincount(colour_names(pixels), minlength=len(COLOUR_NAMES)) / len(pixels)
    shots = max(1, len(shot_starts))
    duration = duration_s if duration_s > 0 else (times[-1] - times[0] if len(times) > 1 else 0.0)
    motion = motion_per_s if motion_per_s is not None else sampled_motion(frames, times, shot_starts)
    counter = faces or FaceCounter()
    face_indices = range(len(frames)) if face_frames is None else sorted(
        {*pick_frames(times, shot_starts, face_frames), *(i for i, t in enumerate(times) if t < face_opening_s)})
    return FrameStats(
        frames=len(frames),
        brightness=float(luma.mean()),
        contrast=float(luma.std()),
        saturation=float(hsv[..., 1].mean()) / 255.0,
        colourfulness=float(np.clip(np.mean([_colourfulness(s) for s in small]) / 150.0, 0.0, 1.0)),
        colour_fractions={n: float(c) for n, c in zip(COLOUR_NAMES, counts, strict=True) if c > 0},
        motion=float(motion),
        shots=shots,
        cuts_per_s=(shots - 1) / duration if duration > 0 else 0.0,
        faces_per_frame=[counter.count(frames[i]) for i in face_indices],
        face_times=[float(times[i]) for i in face_indices],
    )


def stats_tags(stats: FrameStats) -> list[Tag]:
    """Tags a viewer would agree with from the statistics alone; scores scaled below content tags."""
    tags = [Tag(name, 0.6 * share, "frame_stats") for name, share in stats.dominant_colours]
    if stats.motion_level == "fast":
        tags.append(Tag("fast motion", 0.6 * float(np.tanh(stats.motion / 0.3)), "frame_stats"))
    elif stats.motion_level == "still":
        tags.append(Tag("static shot", 0.4, "frame_stats"))
    if stats.cuts_per_s >= 0.5:
        tags.append(Tag("many cuts", 0.6 * float(np.tanh(stats.cuts_per_s)), "frame_stats"))
    with_faces = sum(1 for n in stats.faces_per_frame if n > 0)
    if with_faces:
        tags.append(Tag("faces", 0.6 * with_faces / len(stats.faces_per_frame), "frame_stats"))
    if stats.brightness < 0.2:
        tags.append(Tag("dark", 0.4, "frame_stats"))
    if stats.colourfulness > 0.5:
        tags.append(Tag("colourful", 0.6 * stats.colourfulness, "frame_stats"))
    return tags
