"""The CPU stage of analysing one file: decode, frame statistics, on-screen text, audio, and what is kept from
the decoded frames and samples while they are in memory (thumbnails, the sound and picture prints for re-upload
detection, the sensitive-content flag). It needs no model that a GPU runs, and its result pickles, so a batch
runs it in worker processes (pool.py) while the main process runs the text encoder and CLIP; a single analysis
(API workers, `reelsense tag`) runs it in-process."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from extractors.audio import AudioExtractor
from extractors.audio.fingerprint import SoundPrint, fingerprint
from extractors.base import ModalityFeatures
from extractors.media import DecodedMedia, MediaLimits, SamplingOptions, decode
from extractors.media.decoding import decode_audio
from extractors.visual.frame_stats import FrameStats
from extractors.visual.framehash import FramePrint, frame_print
from extractors.visual.frames import FrameAnalyzer
from extractors.visual.ocr import OnScreenText
from extractors.visual.safety import SafetyReport
from service.options import ThumbnailOptions
from service.pipeline.thumbnails import make_thumbnails
from service.records import FrameThumbnail


@dataclass
class MediaResult:
    """One file after the CPU stage: decoded frames and audio, frame statistics, on-screen text, audio features,
    frame thumbnails (JPEG), sound and picture prints, the sensitive-content flag, and the seconds each step took."""

    media: DecodedMedia
    frame_stats: FrameStats
    onscreen: OnScreenText | None
    audio: ModalityFeatures
    seconds: dict[str, float]
    thumbnails: list[FrameThumbnail] = field(default_factory=list)
    sound_print: SoundPrint | None = None
    frame_print: FramePrint | None = None
    safety: SafetyReport | None = None


class MediaStage:
    """Runs the CPU stage for a path; `video`, when given, is the file's video already decoded elsewhere (NVDEC
    on the GPU), and only the audio is decoded here. Build it with `service.factory.Components`."""

    def __init__(self, limits: MediaLimits, sampling: SamplingOptions, frames: FrameAnalyzer, audio: AudioExtractor,
                 thumbnails: ThumbnailOptions | None = None):
        self.limits, self.sampling = limits, sampling
        self.frames, self.audio = frames, audio
        self.thumbnails = thumbnails or ThumbnailOptions()

    def run(self, path: Path, video: DecodedMedia | None = None) -> MediaResult:
        clock = _Clock()
        if video is None:
            media = decode(path, self.limits, self.sampling)
        else:
            media = replace(video, audio=decode_audio(path, self.limits, self.sampling.audio_sample_rate))
        clock.lap("decode")
        stats = self.frames.frame_stats(media)
        clock.lap("frame_stats")
        onscreen = self.frames.read_text(media)
        clock.lap("ocr")
        audio = self.audio.extract(None, media)
        clock.lap("audio")
        thumbnails = make_thumbnails(media.frames, media.frame_times, self.thumbnails)
        clock.lap("thumbnails")
        sound, pictures = fingerprint(media.audio, media.sample_rate), frame_print(media.frames, media.frame_times)
        clock.lap("prints")
        safety = self.frames.check_safety(media)
        clock.lap("safety")
        return MediaResult(media, stats, onscreen, audio, clock.seconds, thumbnails, sound, pictures, safety)


class _Clock:
    """Seconds per named step, each step timed from the end of the previous one."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self._last
        self._last = now
