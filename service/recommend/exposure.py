"""Staged exposure of new videos and the cold-start prior (smoothed engagement rate, reach, freshness).

Stage s has a cumulative impression budget; while under it a video is "exploring"; at the budget its
engagement rate must reach the stage's threshold to be promoted, otherwise it is "retired" from
exploration. Past the last stage it is "established". Both read the catalogue's maintained counters for
the rows at hand only.
"""
from __future__ import annotations

import numpy as np

from service.options import ExposureOptions
from service.storage.counters import ENGAGEMENTS

__all__ = ["ENGAGEMENTS", "STATUSES", "exposure_stage", "popular_fresh", "stages_of"]

FRESH_HALF_LIFE_DAYS = 2.0
STATUSES = ("exploring", "retired", "established")


def exposure_stage(exposures: int, engaged: int, stages: list[int], thresholds: list[float]) -> tuple[int, str]:
    """(stage, status) of a video with `exposures` impressions and `engaged` engagements."""
    stage, status = stages_of(np.array([exposures], float), np.array([engaged], float),
                              ExposureOptions(tuple(stages), tuple(thresholds)))
    return int(stage[0]), STATUSES[int(status[0])]


def stages_of(exposures: np.ndarray, engaged: np.ndarray, options: ExposureOptions) -> tuple[np.ndarray, np.ndarray]:
    """(stage, status code into STATUSES) per row."""
    n = len(exposures)
    stage = np.full(n, len(options.stages), np.int64)
    status = np.full(n, 2, np.int64)
    undecided = np.ones(n, bool)
    rate = np.divide(engaged, exposures, out=np.zeros(n), where=exposures > 0)
    for s, budget in enumerate(options.stages):
        exploring = undecided & (exposures < budget)
        stage[exploring], status[exploring] = s, 0
        undecided &= ~exploring
        threshold = options.thresholds[min(s, len(options.thresholds) - 1)] if options.thresholds else 0.0
        retired = undecided & (rate < threshold)
        stage[retired], status[retired] = s, 1
        undecided &= ~retired
    return stage, status


def popularity(exposures: np.ndarray, engaged: np.ndarray) -> np.ndarray:
    """Smoothed engagement rate times reach (unnormalised)."""
    return (engaged + 1.0) / (exposures + 20.0) * np.log1p(engaged + 1.0)


def popular_fresh(exposures: np.ndarray, engaged: np.ndarray, created_at: np.ndarray, now: float,
                  pop_max: float) -> np.ndarray:
    """Cold-start score: popularity over the catalogue's most popular, plus a freshness bonus, both in [0, 1]."""
    pop = popularity(exposures, engaged)
    pop = pop / pop_max if pop_max > 0 else pop
    age_days = np.maximum(0.0, now - created_at) / 86400.0
    fresh = 0.5 ** (age_days / FRESH_HALF_LIFE_DAYS)
    return 0.75 * pop + 0.25 * fresh
