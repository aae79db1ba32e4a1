"""Decode sampled frames and the whole (capped) audio track of a video in one demux pass, under limits."""
from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np

from extractors.errors import MediaError
from extractors.media.probing import open_container, probe
from extractors.media.sampling import FramePicker
from extractors.media.types import DEFAULT_LIMITS, DEFAULT_SAMPLING, DecodedMedia, MediaLimits, SamplingOptions


class AudioCollector:
    """Resamples every audio frame to mono float32 at one rate, up to `max_samples` samples."""

    def __init__(self, rate: int, max_samples: int):
        self.resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        self.max_samples = max_samples
        self.chunks: list[np.ndarray] = []
        self.length = 0

    def add(self, frame: av.AudioFrame) -> None:
        if self.length >= self.max_samples:
            return
        for chunk in self.resampler.resample(frame):
            samples = chunk.to_ndarray().reshape(-1)
            self.chunks.append(samples)
            self.length += samples.size

    def flush(self) -> None:
        """Take what the resampler still holds (call once, after the last frame)."""
        for chunk in self.resampler.resample(None):
            self.chunks.append(chunk.to_ndarray().reshape(-1))

    def samples(self) -> np.ndarray:
        joined = np.concatenate(self.chunks).astype(np.float32) if self.chunks else np.zeros(0, np.float32)
        return joined[: self.max_samples]


def decode(
    path: str | os.PathLike,
    limits: MediaLimits = DEFAULT_LIMITS,
    options: SamplingOptions = DEFAULT_SAMPLING,
) -> DecodedMedia:
    """Probe, then decode sampled frames (see `sampling.FramePicker`) and the audio in one demux pass.

    A stream that breaks part-way keeps what was decoded, with a warning; one that yields no frame is corrupt.
    """
    p = Path(path)
    info = probe(p, limits)
    picker = FramePicker(info, options)
    audio: AudioCollector | None = None
    warnings: list[str] = []
    with open_container(p) as container:
        if container.streams.audio:
            audio = AudioCollector(options.audio_sample_rate, int(limits.max_duration_s * options.audio_sample_rate))
        try:
            _demux(container, picker, audio)
        except av.error.FFmpegError as exc:
            if not picker.has_frames:
                raise MediaError("corrupt", f"{p.name} could not be decoded ({exc.strerror or exc})") from exc
            warnings.append(f"decoding stopped early at {picker.last_t:.2f} s: {exc.strerror or exc}")
    chosen = picker.finish()
    if not chosen:
        raise MediaError("corrupt", f"{p.name}: no video frame could be decoded")
    shots = picker.shots
    return DecodedMedia(
        info,
        [f for _, f in chosen],
        [t for t, _ in chosen],
        audio.samples() if audio is not None else None,
        options.audio_sample_rate,
        warnings,
        shot_starts=list(shots.starts) if shots is not None else [],
        motion_per_s=round(shots.motion_per_s, 4) if shots is not None else None,
        decoded_frames=picker.decoded,
    )


def _demux(container: av.container.InputContainer, picker: FramePicker, audio: AudioCollector | None) -> None:
    """Feed every video frame to the picker and every audio frame to the collector, in stream order."""
    video = container.streams.video[0]
    video.thread_type = "AUTO"
    streams = [video, container.streams.audio[0]] if audio is not None else [video]
    for packet in container.demux(*streams):
        for frame in packet.decode():
            if isinstance(frame, av.VideoFrame):
                picker.add(frame)
            elif audio is not None:
                audio.add(frame)
    if audio is not None:
        audio.flush()
