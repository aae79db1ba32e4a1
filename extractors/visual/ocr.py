"""On-screen text with rapidocr-onnxruntime (its detection and recognition models ship in the wheel).

OCR costs about a second a frame on a CPU, so it reads only a few frames spread over the video,
preferring frames from different shots, and keeps each distinct line once.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field

import cv2
import numpy as np

log = logging.getLogger(__name__)
MIN_TEXT_CHARS = 2  # a lone glyph is more often a shape (a disc read as "O") than text
_WORD_CHAR = re.compile(r"\w")
_WS = re.compile(r"\s+")


@dataclass
class OnScreenText:
    """Distinct recognised lines in order of first appearance, with their best score and first time."""

    lines: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    frames_read: int = 0

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    def to_dict(self) -> dict:
        return {
            "lines": [{"text": t, "score": round(s, 3), "time_s": round(at, 2)}
                      for t, s, at in zip(self.lines, self.scores, self.times, strict=True)],
            "frames_read": self.frames_read,
        }


def pick_frames(times: list[float], shot_starts: list[float], count: int) -> list[int]:
    """Indices of up to `count` frames: one per shot first (earliest shots first), then spread evenly."""
    if count <= 0 or not times:
        return []
    shot_of = [sum(1 for s in shot_starts if s <= t) for t in times]
    chosen: list[int] = []
    seen_shots: set[int] = set()
    # The middle frame of each shot reads best (titles fade in and out at the edges).
    for shot in sorted(set(shot_of)):
        members = [i for i, s in enumerate(shot_of) if s == shot]
        if shot not in seen_shots and len(chosen) < count:
            chosen.append(members[len(members) // 2])
            seen_shots.add(shot)
    if len(chosen) < count:
        for i in np.linspace(0, len(times) - 1, count).round().astype(int):
            if int(i) not in chosen and len(chosen) < count:
                chosen.append(int(i))
    return sorted(chosen)


def _has_detail(rgb: np.ndarray) -> bool:
    """Frames with no edges at all (solid colour, black) cannot hold text: skip the OCR second."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return float(np.abs(cv2.Laplacian(gray, cv2.CV_32F)).mean()) > 0.5


def _normalise(line: str) -> str:
    return _WS.sub(" ", line).strip()


class OcrReader:
    """A lazily loaded RapidOCR engine shared by threads (calls are serialised: ONNX Runtime already
    uses every core for one image, and two at once only thrash)."""

    def __init__(self, min_score: float = 0.6):
        self.min_score = min_score
        self._engine = None
        self._lock = threading.Lock()

    def _get_engine(self):
        if self._engine is None:
            from rapidocr_onnxruntime import RapidOCR

            self._engine = RapidOCR()
        return self._engine

    def read_frame(self, rgb: np.ndarray) -> list[tuple[str, float]]:
        """(line, score) pairs recognised in one RGB frame, best-first order as the engine returns."""
        with self._lock:
            result, _ = self._get_engine()(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), use_cls=False)
        return [(_normalise(text), float(score)) for _, text, score in (result or []) if _normalise(text)]

    def read(self, frames: list[np.ndarray], times: list[float], shot_starts: list[float],
             max_frames: int = 3) -> OnScreenText:
        """Distinct lines from up to `max_frames` frames (see `pick_frames`), frames without detail skipped."""
        out = OnScreenText()
        index_of: dict[str, int] = {}
        for i in pick_frames(times, shot_starts, max_frames):
            if not _has_detail(frames[i]):
                continue
            out.frames_read += 1
            for line, score in self.read_frame(frames[i]):
                if score < self.min_score or len(_WORD_CHAR.findall(line)) < MIN_TEXT_CHARS:
                    continue
                key = line.casefold()
                if key in index_of:
                    j = index_of[key]
                    out.scores[j] = max(out.scores[j], score)
                    continue
                index_of[key] = len(out.lines)
                out.lines.append(line)
                out.scores.append(score)
                out.times.append(times[i])
        return out
