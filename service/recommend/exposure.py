"""Staged exposure of new videos and the cold-start prior (smoothed engagement rate, reach, freshness).

Stage s has a cumulative impression budget; while under it a video is "exploring"; at the budget its
engagement rate must reach the stage's threshold to be promoted, otherwise it is "retired" from
exploration. Past the last stage it is "established".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.config import ExposureOptions

ENGAGEMENTS = ("like", "share", "comment", "follow", "complete_view")
FRESH_HALF_LIFE_DAYS = 2.0


def exposure_stage(exposures: int, engaged: int, stages: list[int], thresholds: list[float]) -> tuple[int, str]:
    """(stage, status) of a video with `exposures` impressions and `engaged` engagements."""
    rate = engaged / exposures if exposures else 0.0
    for s, budget in enumerate(stages):
        if exposures < budget:
            return s, "exploring"
        threshold = thresholds[min(s, len(thresholds) - 1)] if thresholds else 0.0
        if rate < threshold:
            return s, "retired"
    return len(stages), "established"


@dataclass
class Exposure:
    """Per catalogue row: impressions, engagements and (stage, status)."""

    exposures: np.ndarray
    engaged: np.ndarray
    stages: list[tuple[int, str]]


def exposure_of(counts: dict[str, dict[str, int]], row: dict[str, int], options: ExposureOptions) -> Exposure:
    """Exposure of every catalogue row from per-video event counts (`Store.video_event_counts()`)."""
    n = len(row)
    exposures, engaged = np.zeros(n), np.zeros(n)
    for vid, c in counts.items():
        i = row.get(vid)
        if i is None:
            continue
        engaged[i] = sum(c.get(k, 0) for k in ENGAGEMENTS)
        exposures[i] = max(c.get("impression", 0), c.get("view", 0) + c.get("skip", 0), engaged[i])
    stages = [exposure_stage(int(e), int(g), list(options.stages), list(options.thresholds))
              for e, g in zip(exposures, engaged, strict=True)]
    return Exposure(exposures, engaged, stages)


def popular_fresh(exposure: Exposure, created_at: np.ndarray, now: float) -> np.ndarray:
    """Cold-start score: smoothed engagement rate times reach, plus a freshness bonus, both in [0, 1]."""
    engaged, exposures = exposure.engaged, exposure.exposures
    pop = (engaged + 1.0) / (exposures + 20.0) * np.log1p(engaged + 1.0)
    pop = pop / pop.max() if pop.max() > 0 else pop
    age_days = np.maximum(0.0, now - created_at) / 86400.0
    fresh = 0.5 ** (age_days / FRESH_HALF_LIFE_DAYS)
    return 0.75 * pop + 0.25 * fresh
