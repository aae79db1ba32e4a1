"""Candidate pools that depend on the whole catalogue, computed off the request path: the cold-start prior's
best videos (overall and per category, for stated tags) and the newest videos still in exploration.

A request reads the current pools (and the videos added since they were computed) and scores only those;
when the pools are older than `refresh_s` the request starts a background refresh and goes on with them.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from service.options import ColdStartOptions, ExposureOptions
from service.recommend.catalogue import Catalogue
from service.recommend.exposure import popular_fresh, popularity, stages_of
from service.recommend.hybrid import prior_signal


@dataclass
class Pools:
    top: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # best prior first
    by_category: dict[int, np.ndarray] = field(default_factory=dict)
    exploring: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # newest first
    pop_max: float = 1.0
    computed_at: float = float("-inf")


class ColdPools:
    def __init__(self, options: ColdStartOptions, per_category: int = 200):
        self.options, self.per_category = options, per_category
        self.pools = Pools()
        self._recent: list[int] = []  # slots added since the pools were computed
        self._lock = threading.Lock()
        self._refreshing = False

    def current(self, cat: Catalogue) -> tuple[Pools, np.ndarray]:
        """The pools and the slots added since; the first call computes them, a stale one refreshes behind."""
        if self.pools.computed_at == float("-inf"):
            self.refresh(cat)
        elif time.monotonic() - self.pools.computed_at > self.options.refresh_s:
            self._refresh_behind(cat)
        with self._lock:
            recent = np.array(self._recent, np.int64)
        return self.pools, recent

    def note_added(self, slots: list[int]) -> None:
        with self._lock:
            self._recent.extend(slots)

    def prior(self, cat: Catalogue, slots: np.ndarray, now: float) -> np.ndarray:
        cols = self.pools, cat.cols
        return popular_fresh(cols[1].exposures[slots], cols[1].engaged[slots], cols[1].created_at[slots], now,
                             cols[0].pop_max)

    def _refresh_behind(self, cat: Catalogue) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
        threading.Thread(target=self.refresh, args=(cat,), name="cold-pools", daemon=True).start()

    def refresh(self, cat: Catalogue, now: float | None = None) -> None:
        """Recompute the pools over every live video (O(n) in numpy, in the background), as of `now`."""
        try:
            with self._lock:
                added_before = len(self._recent)
            started = time.monotonic()
            alive = np.flatnonzero(cat.vectors.alive[: cat.vectors.end])
            o = self.options
            pools = _compute(cat, alive, o.exposure, time.time() if now is None else now, o.pool_size,
                             self.per_category, o.half_life_days)
            pools.computed_at = started
            with self._lock:
                self.pools = pools
                del self._recent[:added_before]
        finally:
            self._refreshing = False


def _compute(cat: Catalogue, alive: np.ndarray, options: ExposureOptions, now: float, size: int,
             per_category: int, half_life_days: float) -> Pools:
    cols = cat.cols
    exposures, engaged = cols.exposures[alive], cols.engaged[alive]
    pop = popularity(exposures, engaged)
    pop_max = float(pop.max()) if len(pop) else 1.0
    prior = prior_signal(cat, alive, now, half_life_days)  # the hybrid scorer's popularity prior
    top = _best(prior, size)
    categories = cols.category[alive]
    order = np.lexsort((-prior, categories))
    sorted_categories = categories[order]
    by_category = {}
    for code in np.unique(sorted_categories).tolist():
        lo, hi = np.searchsorted(sorted_categories, [code, code + 1])
        by_category[code] = alive[order[lo : min(hi, lo + per_category)]]
    _, status = stages_of(exposures, engaged, options)
    exploring = np.flatnonzero(status == 0)
    newest = exploring[_best(cols.created_at[alive][exploring], size)]
    return Pools(alive[top], by_category, alive[newest], pop_max)


def _best(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest values, largest first."""
    if len(values) > k:
        part = np.argpartition(-values, k - 1)[:k]
        return part[np.argsort(-values[part], kind="stable")]
    return np.argsort(-values, kind="stable")
