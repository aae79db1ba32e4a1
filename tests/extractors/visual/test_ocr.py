"""On-screen text with the real RapidOCR models: rendered words are read once each, shapes are not text."""
from __future__ import annotations

import cv2
import numpy as np

from extractors.media import decode
from extractors.visual.ocr import OcrReader, likely_text
from tests.helpers import SAMPLE_MEDIA


def test_ocr_reads_rendered_words_once_each():
    frames = []
    for word in ("HELLO", "REEL", "HELLO"):
        frame = np.full((200, 360, 3), 235, np.uint8)
        cv2.putText(frame, word, (30, 120), cv2.FONT_HERSHEY_DUPLEX, 2.2, (20, 20, 20), 5, cv2.LINE_AA)
        frames.append(frame)
    frames.append(np.full((200, 360, 3), 90, np.uint8))  # blank: skipped without running OCR
    result = OcrReader().read(frames, [0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0], max_frames=4)
    assert [line.upper() for line in result.lines] == ["HELLO", "REEL"]
    assert result.frames_read == 3 and all(s >= 0.6 for s in result.scores)


def test_ocr_does_not_read_a_disc_as_text():
    """The forest sample has a moving disc and no text; OCR once read the disc as the letter "O"."""
    media = decode(SAMPLE_MEDIA / "forest_timelapse.mp4")
    assert OcrReader().read(media.frames, media.frame_times, media.shot_starts).lines == []


def _caption(word: str, background: np.ndarray) -> np.ndarray:
    frame = background.copy()
    cv2.putText(frame, word, (20, 120), cv2.FONT_HERSHEY_DUPLEX, 1.6, (250, 250, 250), 3, cv2.LINE_AA)
    return frame


def test_the_text_gate_passes_captions_and_stops_shapes_and_grain():
    rng = np.random.default_rng(0)
    grain = np.clip(120 + rng.normal(0, 12, (200, 360, 3)), 0, 255).astype(np.uint8)  # film grain, no text
    disc = np.full((200, 360, 3), 200, np.uint8)
    cv2.circle(disc, (180, 100), 50, (30, 120, 30), -1)
    assert likely_text(_caption("SALE 50% OFF", grain))
    assert likely_text(_caption("HELLO", np.full((200, 360, 3), 40, np.uint8)))
    assert not likely_text(grain)
    assert not likely_text(disc)
    assert not likely_text(np.full((200, 360, 3), 90, np.uint8))


def test_ocr_runs_only_on_frames_that_pass_the_gate():
    blank = np.full((200, 360, 3), 60, np.uint8)
    frames = [blank, _caption("REEL", blank), blank]
    result = OcrReader().read(frames, [0.0, 1.0, 2.0], [0.0, 1.0, 2.0], max_frames=3)
    assert result.frames_gated == 3 and result.frames_read == 1
    assert [line.upper() for line in result.lines] == ["REEL"]
