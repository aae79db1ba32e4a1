"""Hard-cut detection and motion energy from tiny copies of the decoded frames.

Sampling one frame a second misses short shots and says nothing about how fast the picture moves;
looking at every decoded frame at 32x32 costs little next to decoding it and answers both. In the "fast"
decode mode the frames arrive with gaps (keyframes, and runs of frames up to sample times); a cut inside
a gap is then reported at the first frame after it, which is exact whenever the encoder put a keyframe on
the cut (x264 and phone encoders do by default).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TINY_SIDE = 32
BLACK_MEAN = 0.02  # a tiny frame this dark on average is black (a caption or logo may remain)
FROM_BLACK_CHANGE = 0.005  # change that counts as a new shot when the frame before was black (a fade-in starts)
MOTION_GAP_S = 0.25  # only frames at most this far apart measure motion (a gap says nothing about speed)


@dataclass
class ShotDetector:
    """Feed (time, tiny RGB frame) in time order; a frame that differs from the one before by more
    than `threshold` (mean absolute difference, 0..1) and `ratio` times the recent motion starts a shot.
    Leaving a black frame needs only `FROM_BLACK_CHANGE`: a fade-in from black starts a shot although its
    first frames differ little from black. With `gap_cuts` (fast mode) two frames more than `max_step_s`
    apart are compared only at a keyframe listed there."""

    threshold: float = 0.12
    ratio: float = 3.0
    min_shot_s: float = 0.2
    gap_cuts: list[float] | None = None  # fast mode: the only frames that may start a shot after a gap
    max_step_s: float = MOTION_GAP_S  # frames further apart than this follow a gap (when gap_cuts is set)
    starts: list[float] = field(default_factory=list)
    _prev: np.ndarray | None = None
    _prev_t: float = 0.0
    _recent: list[float] = field(default_factory=list)
    _motion_sum: float = 0.0
    _motion_time: float = 0.0

    def update(self, t: float, tiny: np.ndarray) -> bool:
        """True when this frame starts a new shot (the first frame always does)."""
        cur = tiny.astype(np.float32) / 255.0
        prev, prev_t = self._prev, self._prev_t
        self._prev, self._prev_t = cur, t
        if prev is None:
            self.starts.append(round(t, 3))
            return True
        diff = float(np.abs(cur - prev).mean())
        dt = t - prev_t
        if self.gap_cuts is not None and dt > self.max_step_s:
            # Motion over a gap looks like a cut; only a keyframe the encoder placed off its cadence may be one.
            return self._start_if(t, diff > self.threshold and any(abs(t - k) < 1e-3 for k in self.gap_cuts))
        baseline = float(np.median(self._recent)) if self._recent else 0.0
        needed = FROM_BLACK_CHANGE if float(prev.mean()) < BLACK_MEAN else self.threshold
        if self._start_if(t, diff > needed and diff > self.ratio * baseline):
            return True
        if 0 < dt <= MOTION_GAP_S:
            self._motion_sum += diff
            self._motion_time += dt
        self._recent = [*self._recent, diff][-8:]
        return False

    def _start_if(self, t: float, changed: bool) -> bool:
        if changed and t - self.starts[-1] >= self.min_shot_s:
            self.starts.append(round(t, 3))
            return True
        return False

    @property
    def motion_per_s(self) -> float | None:
        """Mean picture change per second within shots (cuts excluded), in units of full-range change;
        None when no two frames were close enough in time to measure it."""
        return self._motion_sum / self._motion_time if self._motion_time > 0 else None
