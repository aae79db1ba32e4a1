"""The visual work that needs no learned weights beyond OpenCV's and RapidOCR's bundled ones: frame
statistics (colour, motion, shots, faces), on-screen text and the sensitive-content flag (NudeNet's bundled
detector, an optional extra). It runs beside decoding, in the pipeline's prepare stage (a pool worker process
in batch runs), apart from CLIP, so a worker never loads CLIP."""
from __future__ import annotations

from typing import TYPE_CHECKING

from extractors.visual.frame_stats import FaceCounter, FrameStats, compute_frame_stats
from extractors.visual.ocr import OcrReader, OnScreenText
from extractors.visual.safety import SafetyChecker, SafetyOptions, SafetyReport

# Frames the face detector looks at (one per shot first, then spread): the Haar cascade costs about 40 ms a
# 448-pixel frame, as much as decoding the whole video when run on all 30 samples; the share of frames with
# faces and the mean count are estimated from these. Every frame of the opening (the hook statistics' window)
# is looked at too, so "face in opening" does not depend on where the picked frames fall.
FACE_FRAMES = 8
FACE_OPENING_S = 3.0  # extractors.pacing.HOOK_S (not imported: pacing imports this package)

if TYPE_CHECKING:
    from extractors.media import DecodedMedia


class FrameAnalyzer:
    """Frame statistics, on-screen text and the sensitive-content flag of a DecodedMedia; `ocr_threads` caps ONNX
    Runtime for OCR (0: all cores); `safety` configures the flag (its detector loads on first use)."""

    def __init__(self, ocr: bool = True, ocr_max_frames: int = 8, ocr_min_score: float = 0.6, ocr_threads: int = 0,
                 safety: SafetyOptions | None = None):
        self.faces = FaceCounter()
        self.ocr = OcrReader(ocr_min_score, ocr_threads) if ocr else None
        self.ocr_max_frames = ocr_max_frames
        self.safety = SafetyChecker(safety)

    def frame_stats(self, media: DecodedMedia) -> FrameStats:
        """Statistics of the frames, with the decoder's shot and motion measurements; faces on FACE_FRAMES frames
        and the opening's."""
        return compute_frame_stats(media.frames, media.frame_times, media.info.duration_s, media.shot_starts,
                                   media.motion_per_s, self.faces, FACE_FRAMES, FACE_OPENING_S)

    def read_text(self, media: DecodedMedia) -> OnScreenText | None:
        """On-screen text from about one frame per shot (see `ocr`); None when OCR is switched off."""
        if self.ocr is None:
            return None
        return self.ocr.read(media.frames, media.frame_times, media.shot_starts, self.ocr_max_frames)

    def check_safety(self, media: DecodedMedia) -> SafetyReport:
        """The sensitive-content flag from sampled frames ("unavailable" without the detector or switched off)."""
        return self.safety.check(media.frames, media.frame_times)
