"""Probe and decode video files with PyAV, under limits, with stable error codes.

Everything downstream sees only `MediaInfo`, RGB uint8 frames with their timestamps, and mono
float32 audio; PyAV objects never leave this module.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from extractors.containers import sniff_file
from extractors.errors import MEDIA_ERROR_CODES, MediaError
from extractors.shots import TINY_SIDE, ShotDetector

ERROR_CODES = MEDIA_ERROR_CODES  # stable: CLI output and HTTP error bodies use them



@dataclass(frozen=True)
class MediaLimits:
    """Resource limits applied before and during decoding."""

    max_bytes: int = 500 * 1024 * 1024
    max_duration_s: float = 600.0
    max_pixels: int = 3840 * 2160


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


def _open(path: Path) -> av.container.InputContainer:
    """Open only files that start like a video container, with an accepted demuxer, reading local bytes only.

    FFmpeg would otherwise open playlists (HLS, concat) that pull in other files or URLs.
    """
    family = sniff_file(path)
    if family is None:
        raise MediaError("not_media", f"{path.name} is not a video file (its first bytes match no video container)")
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore", options={"protocol_whitelist": "file"})
    except av.error.FFmpegError as exc:
        raise MediaError("corrupt", f"{path.name} looks like a video container but cannot be read ({exc.strerror or exc})") from exc
    if container.format.name not in family.demuxers:
        name = container.format.name
        container.close()
        raise MediaError("not_media", f"{path.name} is a {name!r} file, not an accepted video container")
    return container


def probe(path: str | os.PathLike, limits: MediaLimits = MediaLimits()) -> MediaInfo:
    """Read container metadata and enforce limits without decoding any frame."""
    p = Path(path)
    if not p.is_file():
        raise MediaError("not_found", f"no such file: {p}")
    size = p.stat().st_size
    if size == 0:
        raise MediaError("empty_file", f"{p.name} is empty (0 bytes)")
    if size > limits.max_bytes:
        raise MediaError("too_large", f"{p.name} is {size / 1e6:.1f} MB; the limit is {limits.max_bytes / 1e6:.1f} MB")
    with _open(p) as container:
        return _info(p, size, container, limits)


def _info(p: Path, size: int, container: av.container.InputContainer, limits: MediaLimits) -> MediaInfo:
    if not container.streams.video:
        raise MediaError("no_video_stream", f"{p.name} has no video stream")
    vs = container.streams.video[0]
    codec = vs.codec_context.name if vs.codec_context is not None else None
    if not codec:
        raise MediaError("unsupported_codec", f"{p.name}: the video codec is not supported by this build of FFmpeg")
    width, height = int(vs.codec_context.width or 0), int(vs.codec_context.height or 0)
    if width <= 0 or height <= 0:
        raise MediaError("corrupt", f"{p.name}: the video stream has no frame size")
    if width * height > limits.max_pixels:
        raise MediaError(
            "resolution_too_high", f"{p.name} is {width}x{height}; the limit is {limits.max_pixels} pixels per frame"
        )
    duration = _duration(container, vs)
    if duration > limits.max_duration_s:
        raise MediaError("too_long", f"{p.name} lasts {duration:.1f} s; the limit is {limits.max_duration_s:.0f} s")
    rate = vs.average_rate or vs.guessed_rate or vs.base_rate
    audio = container.streams.audio[0] if container.streams.audio else None
    return MediaInfo(
        path=str(p),
        size_bytes=size,
        container=container.format.name,
        duration_s=round(duration, 3),
        fps=round(float(rate), 3) if rate else 0.0,
        width=width,
        height=height,
        rotation=0,
        video_codec=codec,
        audio_codec=audio.codec_context.name if audio is not None else None,
        has_audio=audio is not None,
    )


def _duration(container: av.container.InputContainer, vs) -> float:
    if vs.duration is not None and vs.time_base is not None:
        return float(vs.duration * vs.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def sample_times(duration_s: float, options: SamplingOptions) -> list[float]:
    """Timestamps to sample: `frames_per_second` across the clip, spread evenly when capped."""
    if duration_s <= 0:
        return [0.0]
    count = int(np.clip(np.ceil(duration_s * options.frames_per_second), 1, options.max_frames))
    step = duration_s / count
    return [round(step * (i + 0.5), 3) for i in range(count)]


def _scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


def _upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a frame stored sideways into the orientation a viewer sees (rotation is counter-clockwise)."""
    turns = (rotation % 360) // 90
    return np.ascontiguousarray(np.rot90(rgb, k=turns)) if turns else rgb


def decode(
    path: str | os.PathLike,
    limits: MediaLimits = MediaLimits(),
    options: SamplingOptions = SamplingOptions(),
) -> DecodedMedia:
    """Probe, then decode sampled frames and the whole (capped) audio track in one demux pass.

    Frames are chosen by presentation timestamp (so variable frame rate is handled), plus the first
    frame of each detected shot that no timed sample falls in, so short shots are not missed.
    """
    p = Path(path)
    info = probe(p, limits)
    targets = sample_times(info.duration_s, options)
    out_w, out_h = _scaled_size(info.width, info.height, options.frame_max_side)
    picked: list[tuple[float, np.ndarray]] = []
    extra: list[tuple[float, np.ndarray]] = []
    audio_chunks: list[np.ndarray] = []
    warnings: list[str] = []
    max_audio = int(limits.max_duration_s * options.audio_sample_rate)
    audio_len = 0
    shots = ShotDetector(threshold=options.shot_threshold) if options.detect_shots else None
    to_tiny, to_sample = _Scaler(TINY_SIDE, TINY_SIDE), _Scaler(out_w, out_h)
    shot_candidate: tuple[float, np.ndarray] | None = None  # first frame of the current shot
    shot_sampled = False  # whether a timed sample fell in the current shot
    decoded = 0
    last_t = 0.0
    with _open(p) as container:
        vs = container.streams.video[0]
        vs.thread_type = "AUTO"
        streams = [vs]
        resampler = None
        if container.streams.audio:
            streams.append(container.streams.audio[0])
            resampler = av.AudioResampler(format="flt", layout="mono", rate=options.audio_sample_rate)
        next_target = 0
        try:
            for packet in container.demux(*streams):
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        t = float(frame.time) if frame.time is not None else (last_t + 1e-3 if decoded else 0.0)
                        if not decoded:
                            info.rotation = int(round((frame.rotation or 0) / 90.0)) * 90 % 360
                        decoded += 1
                        last_t = t
                        rgb = None
                        if shots is not None:
                            tiny = to_tiny(frame)
                            if shots.update(t, tiny):
                                if shot_candidate is not None and not shot_sampled:
                                    extra.append(shot_candidate)
                                shot_sampled = False
                                shot_candidate = None
                                if len(extra) < options.max_shot_frames:
                                    rgb = _upright(to_sample(frame), info.rotation)
                                    shot_candidate = (round(t, 3), rgb)
                        if next_target < len(targets) and t + 1e-6 >= targets[next_target] - _half_period(info):
                            picked.append((round(t, 3), rgb if rgb is not None else _upright(to_sample(frame), info.rotation)))
                            shot_sampled = True
                            while next_target < len(targets) and targets[next_target] <= t + _half_period(info):
                                next_target += 1
                    elif resampler is not None and audio_len < max_audio:
                        for chunk in resampler.resample(frame):
                            arr = chunk.to_ndarray().reshape(-1)
                            audio_chunks.append(arr)
                            audio_len += arr.size
            if resampler is not None:
                for chunk in resampler.resample(None):
                    audio_chunks.append(chunk.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            if not picked and shot_candidate is None:
                raise MediaError("corrupt", f"{p.name} could not be decoded ({exc.strerror or exc})") from exc
            warnings.append(f"decoding stopped early at {last_t:.2f} s: {exc.strerror or exc}")
    if shot_candidate is not None and not shot_sampled:
        extra.append(shot_candidate)
    chosen = sorted(picked + extra, key=lambda item: item[0])
    if not chosen:
        raise MediaError("corrupt", f"{p.name}: no video frame could be decoded")
    audio = None
    if info.has_audio:
        audio = np.concatenate(audio_chunks).astype(np.float32) if audio_chunks else np.zeros(0, np.float32)
        audio = audio[:max_audio]
    return DecodedMedia(
        info,
        [f for _, f in chosen],
        [t for t, _ in chosen],
        audio,
        options.audio_sample_rate,
        warnings,
        shot_starts=list(shots.starts) if shots is not None else [],
        motion_per_s=round(shots.motion_per_s, 4) if shots is not None else None,
        decoded_frames=decoded,
    )


class _Scaler:
    """Scales frames to one fixed RGB size, reusing one swscale context: `frame.to_ndarray(width=...)` builds a
    new context per call, which cost 50x more than the scaling itself for the per-frame shot check."""

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.reformatter = VideoReformatter()

    def __call__(self, frame: av.VideoFrame) -> np.ndarray:
        return self.reformatter.reformat(frame, width=self.width, height=self.height, format="rgb24").to_ndarray()


def _half_period(info: MediaInfo) -> float:
    """Half a frame duration: a frame this close to a target timestamp counts as on it."""
    return 0.5 / info.fps if info.fps > 0 else 0.0
