"""On-screen text with the real RapidOCR models: rendered words are read once each, shapes are not text."""
from __future__ import annotations

import cv2
import numpy as np

from extractors.media import decode
from extractors.visual.ocr import OcrReader
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
