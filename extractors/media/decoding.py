"""Decode sampled frames and the whole (capped) audio track of a video in one demux pass, under limits.

Which video frames are decoded depends on `SamplingOptions.decode_mode` (see DECODE_MODES and plan.py);
frames are scaled inside the decoder (swscale) to the sample size and to the shot detector's 32x32 only.
"""
from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np

from extractors.errors import MediaError, ModelUnavailableError
from extractors.media.budget import DecodeBudget, measure_duration
from extractors.media.plan import SamplePlan, cut_keyframes, plan_samples, read_index
from extractors.media.probing import decoder_options, open_container, probe
from extractors.media.sampling import FramePicker, sample_times
from extractors.media.types import (
    DEFAULT_LIMITS,
    DEFAULT_SAMPLING,
    DecodedMedia,
    MediaInfo,
    MediaLimits,
    SamplingOptions,
)

DECODE_MODES = ("full", "reference", "fast")
SKIP_NON_REFERENCE = ("reference", "fast")  # FFmpeg skips frames no other frame predicts from


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

    `options.decode_mode` "full" decodes every frame; "fast" decodes keyframes and only the frames on the
    way to sample times no keyframe stands in for (see `plan`). A stream that breaks part-way keeps what was
    decoded, with a warning; one that yields no frame is corrupt. The limits hold on what is decoded (see
    `budget`): a file that declares no duration is measured from its packets first.
    """
    p = Path(path)
    info = probe(p, limits)
    if options.decode_mode not in DECODE_MODES:
        raise ModelUnavailableError("REELSENSE_DECODE_MODE",
                                    f"decode mode {options.decode_mode!r} is not one of {', '.join(DECODE_MODES)}")
    if info.duration_s <= 0:
        with open_container(p, limits) as container:
            info.duration_s = round(measure_duration(container, p.name, limits), 3)
    plan = _plan(p, info, options, limits) if options.decode_mode == "fast" else None
    picker = FramePicker(info, options, plan)
    audio: AudioCollector | None = None
    warnings: list[str] = []
    with open_container(p, limits) as container:
        if container.streams.audio:
            audio = AudioCollector(options.audio_sample_rate, int(limits.max_duration_s * options.audio_sample_rate))
        try:
            _demux(container, picker, audio, plan, options, DecodeBudget(p.name, limits))
        except av.error.FFmpegError as exc:
            if not picker.has_frames:
                raise MediaError("corrupt", f"{p.name} could not be decoded ({exc.strerror or exc})") from exc
            warnings.append(f"decoding stopped early at {picker.last_t:.2f} s: {exc.strerror or exc}")
    chosen = picker.finish()
    if not chosen:
        raise MediaError("corrupt", f"{p.name}: no video frame could be decoded")
    shots = picker.shots
    motion = shots.motion_per_s if shots is not None else None
    return DecodedMedia(
        info,
        [f for _, f in chosen],
        [t for t, _ in chosen],
        audio.samples() if audio is not None else None,
        options.audio_sample_rate,
        warnings,
        shot_starts=list(shots.starts) if shots is not None else [],
        motion_per_s=round(motion, 4) if motion is not None else None,
        decoded_frames=picker.decoded,
    )


class _ReferenceSkipper:
    """Has FFmpeg skip non-reference frames (`skip_frame`, read per packet, also by frame threads) except from
    the next sample time on, so a sample never moves to a later frame because its own frame was a B-frame."""

    def __init__(self, video: av.video.stream.VideoStream):
        self.context = video.codec_context
        self.time_base = video.time_base
        self.setting = ""

    def update(self, packet: av.Packet, every_frame_from: float) -> None:
        shown = float(packet.pts * self.time_base) if packet.pts is not None else every_frame_from
        wanted = "DEFAULT" if shown >= every_frame_from else "NONREF"
        if wanted != self.setting:
            self.context.skip_frame = self.setting = wanted


def _plan(path: Path, info: MediaInfo, options: SamplingOptions, limits: MediaLimits) -> SamplePlan | None:
    """The fast mode's plan from the keyframe index; None (decode everything) when the file has no usable one."""
    with open_container(path, limits) as container:
        try:
            index = read_index(container)
        except av.error.FFmpegError:
            return None
    if index is None:
        return None
    period = 1.0 / info.fps if info.fps > 0 else 1 / 30
    cuts = cut_keyframes(index.keyframes, period)
    if cuts is None:
        return None
    targets = sample_times(info.duration_s, options)
    step = targets[1] - targets[0] if len(targets) > 1 else max(info.duration_s, 1.0)
    plan = plan_samples(index.keyframes, targets, tolerance=step / 2)
    plan.cut_keyframes = cuts
    return plan


def _demux(container: av.container.InputContainer, picker: FramePicker, audio: AudioCollector | None,
           plan: SamplePlan | None, options: SamplingOptions, budget: DecodeBudget) -> None:
    """Feed the video frames (all, or those the plan needs) to the picker and every audio frame to the
    collector, in stream order, each charged to the budget."""
    video = container.streams.video[0]
    video.thread_type = "AUTO"
    video.codec_context.options = decoder_options(budget.limits)
    if options.decoder_threads > 0:
        video.thread_count = options.decoder_threads
    skipper = _ReferenceSkipper(video) if options.decode_mode in SKIP_NON_REFERENCE else None
    streams = [video, container.streams.audio[0]] if audio is not None else [video]
    group = -1  # ordinal of the current group of pictures (keyframe count so far, minus one)
    for packet in container.demux(*streams):
        if packet.stream is video and packet.size:
            if plan is not None:
                if packet.is_keyframe:
                    group += 1
                elif not plan.needs_decoding(group, picker.last_t, picker.half_period):
                    continue
            if skipper is not None:
                skipper.update(packet, picker.wants_every_frame_from())
        for frame in packet.decode():
            if isinstance(frame, av.VideoFrame):
                budget.charge_video(frame)
                picker.add(frame)
            elif audio is not None:
                budget.charge_audio(frame)
                audio.add(frame)
    if audio is not None:
        audio.flush()


def decode_audio(path: str | os.PathLike, limits: MediaLimits, sample_rate: int) -> np.ndarray | None:
    """Only the audio track, mono float32 at `sample_rate` (for files whose video was decoded on the GPU);
    None without an audio stream. A stream that breaks part-way keeps what was decoded."""
    p = Path(path)
    with open_container(p, limits) as container:
        if not container.streams.audio:
            return None
        collector = AudioCollector(sample_rate, int(limits.max_duration_s * sample_rate))
        budget = DecodeBudget(p.name, limits)
        try:
            for frame in container.decode(container.streams.audio[0]):
                budget.charge_audio(frame)
                collector.add(frame)
        except av.error.FFmpegError:
            pass  # keep the samples decoded so far, as `decode` does
        collector.flush()
        return collector.samples()
