"""The values the media package takes (limits, sampling options) and hands out (file facts, decoded media).

Everything downstream sees only these: RGB uint8 frames with their timestamps and mono float32 audio;
PyAV objects never leave the package.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass(frozen=True)
class MediaLimits:
    """Resource limits applied before and during decoding."""

    max_bytes: int = 500 * 1024 * 1024
    max_duration_s: float = 600.0
    max_pixels: int = 3840 * 2160
    # Checked on what is decoded, not only on what the header claims (a header may lie or say nothing):
    max_aspect_ratio: float = 8.0  # long side / short side; thinner pictures blow up CLIP's short-side resize
    max_streams: int = 16  # streams of any kind in the container
    max_decoded_frames: int = 0  # video frames decoded per file; 0: max_duration_s x 120 (a high frame rate)
    max_decoded_pixels: int = 0  # pixels decoded per file; 0: max_duration_s x 60 frames/s x max_pixels

    @property
    def frame_budget(self) -> int:
        return self.max_decoded_frames or int(self.max_duration_s * 120)

    @property
    def pixel_budget(self) -> int:
        return self.max_decoded_pixels or int(self.max_duration_s * 60 * self.max_pixels)


@dataclass(frozen=True)
class SamplingOptions:
    """How frames and audio are taken from a video."""

    frames_per_second: float = 1.0
    max_frames: int = 32
    frame_max_side: int = 448
    audio_sample_rate: int = 22050
    detect_shots: bool = True  # look at every decoded frame (tiny) for hard cuts and motion
    shot_threshold: float = 0.12  # mean absolute change (0..1) between frames that counts as a cut
    max_shot_frames: int = 16  # at most this many extra frames for shots no timed sample falls in
    # "reference" (default): skip frames no other frame predicts from (non-reference B-frames), about half of
    # an x264 stream, with the same cuts found (bench/shot_accuracy.py); "full": every frame; "fast": keyframes
    # and the frames on the way to sample times (plan.py), exact cuts only where the encoder keyed them.
    decode_mode: str = "reference"
    decoder_threads: int = 0  # FFmpeg decoder threads per file; 0: FFmpeg's choice (one per core)


DEFAULT_LIMITS = MediaLimits()
DEFAULT_SAMPLING = SamplingOptions()


@dataclass
class MediaInfo:
    path: str
    size_bytes: int
    container: str
    duration_s: float
    fps: float
    width: int
    height: int
    rotation: int  # counter-clockwise degrees a player turns the picture (display matrix); set by decode()
    video_codec: str
    audio_codec: str | None
    has_audio: bool

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DecodedMedia:
    info: MediaInfo
    frames: list[np.ndarray]  # RGB uint8, upright
    frame_times: list[float]
    audio: np.ndarray | None  # mono float32 at `sample_rate`; None when there is no audio stream
    sample_rate: int
    warnings: list[str] = field(default_factory=list)
    shot_starts: list[float] = field(default_factory=list)  # seconds; empty when shot detection is off
    motion_per_s: float | None = None  # picture change per second within shots; None when not measured
    decoded_frames: int = 0
