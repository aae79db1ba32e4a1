"""Hard-cut detection and motion energy from tiny copies of every decoded frame.

Sampling one frame a second misses short shots and says nothing about how fast the picture moves;
looking at every decoded frame at 32x32 costs little next to decoding it and answers both.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TINY_SIDE = 32


@dataclass
class ShotDetector:
    """Feed (time, tiny RGB frame) in stream order; a frame that differs from the one before by more
    than `threshold` (mean absolute difference, 0..1) and `ratio` times the recent motion starts a shot."""

    threshold: float = 0.12
    ratio: float = 3.0
    min_shot_s: float = 0.2
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
        baseline = float(np.median(self._recent)) if self._recent else 0.0
        if diff > self.threshold and diff > self.ratio * baseline and t - self.starts[-1] >= self.min_shot_s:
            self.starts.append(round(t, 3))
            return True
        dt = t - prev_t
        if dt > 0:
            self._motion_sum += diff
            self._motion_time += dt
        self._recent = [*self._recent, diff][-8:]
        return False

    @property
    def motion_per_s(self) -> float:
        """Mean picture change per second within shots (cuts excluded), in units of full-range change."""
        return self._motion_sum / self._motion_time if self._motion_time > 0 else 0.0
