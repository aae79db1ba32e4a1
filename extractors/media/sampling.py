"""Which decoded frames are kept, and at what size and orientation.

Frames are chosen by presentation timestamp (so variable frame rate is handled): the first frame at or
after each target time, plus the first frame of each detected shot that no timed sample falls in, so
short shots are not missed.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from extractors.media.plan import SamplePlan
from extractors.media.shots import MOTION_GAP_S, TINY_SIDE, ShotDetector
from extractors.media.types import MediaInfo, SamplingOptions

TimedFrame = tuple[float, np.ndarray]  # (seconds, RGB uint8 frame)
Scaler = Callable[[Any], np.ndarray]  # a decoded frame -> RGB uint8 array of one fixed size
GAP_FRAMES = 8  # decoded frames further apart than this many frame periods follow a stretch the plan skipped
# (skipping non-reference frames alone leaves at most a run of B-frames, 3 with x264's defaults)


def sample_times(duration_s: float, options: SamplingOptions) -> list[float]:
    """Timestamps to sample: `frames_per_second` across the clip, spread evenly when capped."""
    if duration_s <= 0:
        return [0.0]
    count = int(np.clip(np.ceil(duration_s * options.frames_per_second), 1, options.max_frames))
    step = duration_s / count
    return [round(step * (i + 0.5), 3) for i in range(count)]


def scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The even-sided size that fits `max_side` with the aspect ratio kept (never scaled up)."""
    scale = min(1.0, max_side / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a frame stored sideways into the orientation a viewer sees (rotation is counter-clockwise)."""
    turns = (rotation % 360) // 90
    return np.ascontiguousarray(np.rot90(rgb, k=turns)) if turns else rgb


def half_period(info: MediaInfo) -> float:
    """Half a frame duration: a frame this close to a target timestamp counts as on it."""
    return 0.5 / info.fps if info.fps > 0 else 0.0


class FrameScaler:
    """Scales frames to one fixed RGB size, reusing one swscale context: `frame.to_ndarray(width=...)` builds a
    new context per call, which cost 50x more than the scaling itself for the per-frame shot check."""

    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.reformatter = VideoReformatter()

    def __call__(self, frame: av.VideoFrame) -> np.ndarray:
        return self.reformatter.reformat(frame, width=self.width, height=self.height, format="rgb24").to_ndarray()


class FramePicker:
    """Fed every decoded video frame in stream order; keeps the timed samples and the shot frames.
    A frame is anything with `time` and `rotation` that the `scalers` (to sample size, to TINY_SIDE square
    RGB arrays) accept: PyAV frames by default, GPU frames in nvdec.py.
    A decode `plan` (fast mode) replaces the sample times with the frames it chose and names the keyframes
    that may start a shot after a stretch that was not decoded.

    `info.rotation` is set from the first frame (the display matrix travels with frames, not the stream)."""

    def __init__(self, info: MediaInfo, options: SamplingOptions, plan: SamplePlan | None = None,
                 scalers: tuple[Scaler, Scaler] | None = None):
        self.info, self.options = info, options
        self.targets = plan.pick_times if plan is not None else sample_times(info.duration_s, options)
        self.next_target = 0
        self.half_period = half_period(info)
        self.to_sample, self.to_tiny = scalers or (
            FrameScaler(*scaled_size(info.width, info.height, options.frame_max_side)),
            FrameScaler(TINY_SIDE, TINY_SIDE),
        )
        self.shots = None
        if options.detect_shots:
            gap_cuts = plan.cut_keyframes if plan is not None else None
            self.shots = ShotDetector(threshold=options.shot_threshold, gap_cuts=gap_cuts,
                                      max_step_s=max(MOTION_GAP_S, GAP_FRAMES / info.fps if info.fps > 0 else 0))
        self.picked: list[TimedFrame] = []  # first frame at or after each target
        self.extra: list[TimedFrame] = []  # first frames of shots no timed sample fell in
        self.shot_candidate: TimedFrame | None = None  # first frame of the current shot
        self.shot_sampled = False  # whether a timed sample fell in the current shot
        self.decoded = 0
        self.last_t = 0.0

    @property
    def has_frames(self) -> bool:
        return bool(self.picked) or self.shot_candidate is not None

    def add(self, frame: av.VideoFrame) -> None:
        t = float(frame.time) if frame.time is not None else (self.last_t + 1e-3 if self.decoded else 0.0)
        if not self.decoded:
            self.info.rotation = round((frame.rotation or 0) / 90.0) * 90 % 360
        self.decoded += 1
        self.last_t = t
        rgb = self._check_shot(frame, t) if self.shots is not None else None
        if self.next_target < len(self.targets) and t + 1e-6 >= self.targets[self.next_target] - self.half_period:
            self.picked.append((round(t, 3), rgb if rgb is not None else self._sample(frame)))
            self.shot_sampled = True
            while self.next_target < len(self.targets) and self.targets[self.next_target] <= t + self.half_period:
                self.next_target += 1

    def wants_every_frame_from(self) -> float:
        """Frames shown from this time on may be the next sample: decode them all, reference or not."""
        if self.next_target < len(self.targets):
            return self.targets[self.next_target] - self.half_period
        return float("inf")

    def finish(self) -> list[TimedFrame]:
        """The kept frames in time order (call once, after the last frame)."""
        self._close_shot()
        return sorted(self.picked + self.extra, key=lambda item: item[0])

    def _sample(self, frame: av.VideoFrame) -> np.ndarray:
        return upright(self.to_sample(frame), self.info.rotation)

    def _check_shot(self, frame: av.VideoFrame, t: float) -> np.ndarray | None:
        """Feed the shot detector; a frame that starts a shot becomes the shot's candidate (returned scaled)."""
        if not self.shots.update(t, self.to_tiny(frame)):
            return None
        self._close_shot()
        self.shot_sampled = False
        self.shot_candidate = None
        if len(self.extra) >= self.options.max_shot_frames:
            return None
        rgb = self._sample(frame)
        self.shot_candidate = (round(t, 3), rgb)
        return rgb

    def _close_shot(self) -> None:
        """The shot ended: keep its first frame if no timed sample fell in it."""
        if self.shot_candidate is not None and not self.shot_sampled:
            self.extra.append(self.shot_candidate)
