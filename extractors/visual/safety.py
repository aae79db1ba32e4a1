"""Sensitive-content flag: NudeNet's detector (an ONNX model inside its wheel) on sampled frames.

NudeNet is licensed AGPL-3.0, so it is an optional extra (`pip install 'reelsense[safety]'`). Without it, or with
the check switched off, the report says "unavailable" and `sensitive` is None: an unchecked video is never
reported as safe. With it, each category's score is the highest detection score over the checked frames, and a
video is `sensitive` when any exposed-body category reaches the threshold.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from extractors.base import Tag

log = logging.getLogger(__name__)
# NudeNet's classes that make a frame sensitive; its other classes (faces, covered parts, feet, belly) do not.
SENSITIVE_CLASSES = ("FEMALE_BREAST_EXPOSED", "FEMALE_GENITALIA_EXPOSED", "MALE_GENITALIA_EXPOSED",
                     "BUTTOCKS_EXPOSED", "ANUS_EXPOSED")
INSTALL_HINT = "install the optional extra: pip install 'reelsense[safety]' (NudeNet, AGPL-3.0)"


@dataclass(frozen=True)
class SafetyOptions:
    enabled: bool = True
    threshold: float = 0.6  # a sensitive category at or above this score flags the video
    max_frames: int = 16  # frames checked, spread over the sampled frames


@dataclass
class SafetyReport:
    """The flag for one video. `sensitive` is None when no check ran (status "unavailable")."""

    status: str  # "checked" or "unavailable"
    threshold: float
    reason: str = ""
    detector: str = ""
    frames_checked: int = 0
    scores: dict[str, float] = field(default_factory=dict)  # category (lower case) -> best score over frames
    flagged_times: list[float] = field(default_factory=list)  # times of frames with a sensitive detection

    @property
    def score(self) -> float:
        return max((self.scores.get(c.lower(), 0.0) for c in SENSITIVE_CLASSES), default=0.0)

    @property
    def sensitive(self) -> bool | None:
        return None if self.status != "checked" else self.score >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "sensitive": self.sensitive, "threshold": self.threshold}
        if self.status != "checked":
            return {**out, "reason": self.reason}
        return {**out, "score": round(self.score, 3), "detector": self.detector, "frames_checked": self.frames_checked,
                "scores": {k: round(v, 3) for k, v in sorted(self.scores.items())},
                "flagged_times": self.flagged_times}

    def tags(self) -> list[Tag]:
        return [Tag("sensitive", self.score, "safety")] if self.sensitive else []


def spread(count: int, limit: int) -> list[int]:
    """Up to `limit` indices spread evenly over `count` items."""
    if count <= 0 or limit <= 0:
        return []
    return sorted({int(i) for i in np.linspace(0, count - 1, min(count, limit)).round()})


class SafetyChecker:
    """Loads NudeNet's detector on first use (shared by threads; ONNX Runtime sessions are thread-safe)."""

    def __init__(self, options: SafetyOptions | None = None):
        self.options = options or SafetyOptions()
        self._detector = None
        self._name = ""
        self._unavailable: str | None = None
        self._lock = threading.Lock()

    @property
    def unavailable_reason(self) -> str | None:
        """Why no check can run here (None when the detector loads)."""
        self._load()
        return self._unavailable

    def _load(self) -> None:
        with self._lock:
            if self._detector is not None or self._unavailable is not None:
                return
            if not self.options.enabled:
                self._unavailable = "the sensitive-content check is switched off (REELSENSE_SAFETY_ENABLED=false)"
                return
            try:
                from importlib.metadata import version

                from nudenet import NudeDetector
            except ImportError:
                self._unavailable = f"no sensitive-content detector: {INSTALL_HINT}"
                return
            self._detector = NudeDetector()  # the 320n ONNX model shipped in the wheel
            self._name = f"nudenet-{version('nudenet')}/320n"

    def check(self, frames: list[np.ndarray], times: list[float] | None = None) -> SafetyReport:
        """Run the detector on up to `max_frames` RGB uint8 frames spread over the clip."""
        self._load()
        o = self.options
        if self._detector is None:
            return SafetyReport("unavailable", o.threshold, reason=self._unavailable or "")
        if not frames:
            return SafetyReport("unavailable", o.threshold, reason="no frames to check")
        times = times if times is not None else [float(i) for i in range(len(frames))]
        chosen = spread(len(frames), o.max_frames)
        scores: dict[str, float] = {}
        flagged: list[float] = []
        for i in chosen:
            detections = self._detector.detect(cv2.cvtColor(frames[i], cv2.COLOR_RGB2BGR))
            for d in detections:
                name = str(d["class"]).lower()
                scores[name] = max(scores.get(name, 0.0), float(d["score"]))
            if any(d["class"] in SENSITIVE_CLASSES and d["score"] >= o.threshold for d in detections):
                flagged.append(round(times[i], 3))
        for name in SENSITIVE_CLASSES:
            scores.setdefault(name.lower(), 0.0)
        return SafetyReport("checked", o.threshold, detector=self._name, frames_checked=len(chosen), scores=scores,
                            flagged_times=flagged)
