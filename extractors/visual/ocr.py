"""On-screen text with rapidocr-onnxruntime (its detection and recognition models ship in the wheel).

OCR reads about one frame per shot (the middle one; frames spread evenly fill up to the cap), and only
frames that pass a cheap text-presence gate: a row of character-sized, high-contrast outlines, found with
OpenCV in about a millisecond. The detector runs at the frame's own size (never enlarged: RapidOCR's default
blows a 448-pixel frame up to 736 pixels on its short side, five times the work). Each distinct line is kept once.
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
TEXT_MIN_GRADIENT = 60  # edge strength (grey levels over 3 px) that legible text has and film grain lacks
MAX_GLYPHS = 600
DET_MAX_SIDE = 736  # the detector shrinks larger frames to this side and never enlarges smaller ones
_WORD_CHAR = re.compile(r"\w")
_WS = re.compile(r"\s+")


@dataclass
class OnScreenText:
    """Distinct recognised lines in order of first appearance, with their best score and first time."""

    lines: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    frames_read: int = 0  # frames OCR ran on
    frames_gated: int = 0  # frames the text-presence gate looked at

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    def to_dict(self) -> dict:
        return {
            "lines": [{"text": t, "score": round(s, 3), "time_s": round(at, 2)}
                      for t, s, at in zip(self.lines, self.scores, self.times, strict=True)],
            "frames_read": self.frames_read,
            "frames_gated": self.frames_gated,
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


def likely_text(rgb: np.ndarray) -> bool:
    """Whether a frame probably shows text: at least three character-sized outlines of strong contrast
    (morphological gradient >= TEXT_MIN_GRADIENT) side by side on one line, each with two such neighbours.
    Tuned for recall (a miss loses words, a false alarm costs one OCR call): on the bench clips it passes
    every captioned frame and no uncaptioned one, and rejects a lone disc (which OCR once read as "O")."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    height = gray.shape[0]
    gradient = cv2.morphologyEx(gray, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    otsu, _ = cv2.threshold(gradient, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    _, edges = cv2.threshold(gradient, max(otsu, TEXT_MIN_GRADIENT), 255, cv2.THRESH_BINARY)
    _, _, boxes, centres = cv2.connectedComponentsWithStats(edges, connectivity=8)
    x, w, h = (boxes[1:, i].astype(np.float32) for i in (0, 2, 3))
    glyph = (h >= 8) & (h <= 0.4 * height) & (w >= 0.15 * h) & (w <= 1.5 * h)
    x, h, cy = x[glyph], h[glyph], centres[1:, 1][glyph]
    if len(x) > MAX_GLYPHS:  # keep the largest: a textured picture yields thousands of specks
        keep = np.argsort(-h)[:MAX_GLYPHS]
        x, h, cy = x[keep], h[keep], cy[keep]
    same_line = np.abs(cy[:, None] - cy[None, :]) < 0.25 * h[:, None]
    same_size = (h[None, :] > 0.7 * h[:, None]) & (h[None, :] < 1.4 * h[:, None])
    close = np.abs(x[:, None] - x[None, :]) < 4 * h[:, None]
    neighbours = (same_line & same_size & close).sum(axis=1) - 1
    return bool((neighbours >= 2).any())


def _normalise(line: str) -> str:
    return _WS.sub(" ", line).strip()


class OcrReader:
    """A lazily loaded RapidOCR engine shared by threads (calls are serialised: ONNX Runtime already
    uses `threads` cores for one image, every core when 0, and two calls at once only thrash)."""

    def __init__(self, min_score: float = 0.6, threads: int = 0):
        self.min_score = min_score
        self.threads = threads
        self._engine = None
        self._lock = threading.Lock()

    def _get_engine(self):
        if self._engine is None:
            from rapidocr_onnxruntime import RapidOCR

            self._engine = RapidOCR(det_limit_side_len=DET_MAX_SIDE, det_limit_type="max",
                                    intra_op_num_threads=self.threads or -1)
        return self._engine

    def read_frame(self, rgb: np.ndarray) -> list[tuple[str, float]]:
        """(line, score) pairs recognised in one RGB frame, best-first order as the engine returns."""
        with self._lock:
            result, _ = self._get_engine()(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), use_cls=False)
        return [(_normalise(text), float(score)) for _, text, score in (result or []) if _normalise(text)]

    def read(self, frames: list[np.ndarray], times: list[float], shot_starts: list[float],
             max_frames: int = 3) -> OnScreenText:
        """Distinct lines from up to `max_frames` frames (see `pick_frames`) that pass `likely_text`."""
        out = OnScreenText()
        index_of: dict[str, int] = {}
        for i in pick_frames(times, shot_starts, max_frames):
            out.frames_gated += 1
            if not likely_text(frames[i]):
                continue
            out.frames_read += 1
            for line, score in self.read_frame(frames[i]):
                if score < self.min_score or len(_WORD_CHAR.findall(line)) < MIN_TEXT_CHARS:
                    continue
                key = _WS.sub("", line.casefold())  # "FOLLOW FORPART 2" and "FOLLOWFORPART 2" are one line
                if key in index_of:
                    j = index_of[key]
                    out.scores[j] = max(out.scores[j], score)
                    continue
                index_of[key] = len(out.lines)
                out.lines.append(line)
                out.scores.append(score)
                out.times.append(times[i])
        return out
