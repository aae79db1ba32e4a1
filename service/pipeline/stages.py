"""The CPU stage of analysing one file: decode, frame statistics, on-screen text, audio. It needs no model
that a GPU runs, and its result pickles, so a batch runs it in worker processes (pool.py) while the main
process runs the text encoder and CLIP; a single analysis (API workers, `reelsense tag`) runs it in-process.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from extractors.audio import AudioExtractor
from extractors.base import ModalityFeatures
from extractors.media import DecodedMedia, MediaLimits, SamplingOptions, decode
from extractors.media.decoding import decode_audio
from extractors.visual.frame_stats import FrameStats
from extractors.visual.frames import FrameAnalyzer
from extractors.visual.ocr import OnScreenText


@dataclass
class MediaResult:
    """One file after the CPU stage: decoded frames and audio, frame statistics, on-screen text, audio features,
    and the seconds each step took."""

    media: DecodedMedia
    frame_stats: FrameStats
    onscreen: OnScreenText | None
    audio: ModalityFeatures
    seconds: dict[str, float]


class MediaStage:
    """Runs the CPU stage for a path; `video`, when given, is the file's video already decoded elsewhere (NVDEC
    on the GPU), and only the audio is decoded here. Build it with `service.factory.Components`."""

    def __init__(self, limits: MediaLimits, sampling: SamplingOptions, frames: FrameAnalyzer, audio: AudioExtractor):
        self.limits, self.sampling = limits, sampling
        self.frames, self.audio = frames, audio

    def run(self, path: Path, video: DecodedMedia | None = None) -> MediaResult:
        t0 = time.perf_counter()
        if video is None:
            media = decode(path, self.limits, self.sampling)
        else:
            media = replace(video, audio=decode_audio(path, self.limits, self.sampling.audio_sample_rate))
        t1 = time.perf_counter()
        stats = self.frames.frame_stats(media)
        t2 = time.perf_counter()
        onscreen = self.frames.read_text(media)
        t3 = time.perf_counter()
        audio = self.audio.extract(None, media)
        t4 = time.perf_counter()
        seconds = {"decode": t1 - t0, "frame_stats": t2 - t1, "ocr": t3 - t2, "audio": t4 - t3}
        return MediaResult(media, stats, onscreen, audio, seconds)
