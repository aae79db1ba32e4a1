"""One feed request's stages over the live catalogue: retrieve candidates (index search on the user's vector,
or the precomputed cold-start pool), drop seen and rejected ones, score, diversify (MMR under caps), fill
exploration slots with videos still in staged exposure, explain. Every stage after retrieval works on the
candidates only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from service.fusion import FusedVector
from service.options import RankingOptions
from service.recommend.catalogue import Catalogue
from service.recommend.coldstart import ColdPools
from service.recommend.collaborative import CoEngagement
from service.recommend.explain import bare_item, brief_item, explain_item, top_signal
from service.recommend.exposure import STATUSES, stages_of
from service.recommend.hybrid import Blend, HybridScorer
from service.recommend.profiles import UserProfile
from service.recommend.ranking import Caps, mmr
from service.recommend.sounds import SoundAffinity

STATED_TAG_BOOST = 0.5  # cold-start users: weight of a stated category match next to the popularity prior
FRESH_SCAN_MAX = 20_000  # created_after: score every newer video exactly up to this many, else filter a search
MMR_POOL = 100  # diversification looks at this many of the best candidates
EXPLORE_POOL = 256  # exploration scores the exploring candidates and this many of the newest exploring videos


@dataclass
class Candidates:
    """Retrieved slots with their relevance (penalty already subtracted), penalty and why they are there."""

    rows: np.ndarray
    rel: np.ndarray
    penalty: np.ndarray
    reason: str


class Feed:
    def __init__(self, cat: Catalogue, cold: ColdPools, profile: UserProfile, options: RankingOptions, now: float,
                 created_after: float | None, hidden: np.ndarray | None = None, sounds: SoundAffinity | None = None,
                 db=None, blend: Blend | None = None, co: CoEngagement | None = None):
        self.cat, self.cold, self.profile, self.options = cat, cold, profile, options
        self.now, self.created_after = now, created_after
        self.hidden = hidden if hidden is not None else np.zeros(0, np.int64)  # sensitive, other copies
        self.sounds, self.db = sounds, db
        self.pools, self.recent = cold.current(cat)
        self.hybrid = HybridScorer(cat, profile, blend or Blend(), now, options.popularity_half_life_days, co)
        # every scored batch's (rows, weighted signal parts); explanations read the picked slots' values only
        self.parts: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []

    # -- stages ----------------------------------------------------------------------------------
    def rank(self, k: int, diversity: float | None) -> list[tuple[int, float, float, str]]:
        """(slot, score, penalty, reason) in feed order."""
        s = self.options
        candidates = self.with_sounds(self.retrieve())
        explore_pool = self.exploration_pool(candidates.rows)
        wanted = round(k * s.exploration_share) if s.exploration_share > 0 else 0
        n_explore = min(wanted, len(explore_pool))
        lam = s.mmr_lambda if diversity is None else 1.0 - diversity
        top = slice(0, max(MMR_POOL, k))  # candidates are sorted by relevance
        chosen = mmr(self.cat, candidates.rows[top], candidates.rel[top], k - n_explore, lam,
                     Caps(s.max_per_category, s.max_per_creator))
        picked = [(int(candidates.rows[j]), float(candidates.rel[j]), float(candidates.penalty[j]), candidates.reason)
                  for j in chosen]
        if n_explore:
            self.explore(picked, explore_pool, n_explore, k)
        return picked[:k]

    def retrieve(self) -> Candidates:
        """Candidates by index search on the user's vector, or from the cold-start pool; seen rows removed."""
        pool = self.options.candidate_pool + len(self.profile.excluded_slots)
        if self.created_after is not None:
            fresh = self.cat.created_after(self.created_after)
            if len(fresh) <= FRESH_SCAN_MAX:
                return self._keep(fresh, self._reason())
            pool *= 4  # a large share of the catalogue is newer: search more, filter
        parts = [self._cold_rows(), self.hybrid.collaborative_rows(pool)]
        if not self.profile.cold:
            parts.append(self.cat.index.search(self.profile.positive.vector, pool).rows)
        return self._keep(np.unique(np.concatenate(parts)), self._reason(), limit=pool)

    def _reason(self) -> str:
        if self.profile.cold:
            return "cold_start_user"
        return "personal" if self.profile.engaged_videos else "stated_interests"

    def _cold_rows(self) -> np.ndarray:
        """The prior's best videos, the videos added since the pools were computed, stated categories' best."""
        parts = [self.pools.top[: self.options.candidate_pool], self.recent]
        for label in self.profile.interest_tags:
            code = self.cat.category_code(label)
            if code > 0 and code in self.pools.by_category:
                parts.append(self.pools.by_category[code])
        return np.unique(np.concatenate(parts))

    def _allowed(self, rows: np.ndarray) -> np.ndarray:
        """Live, not seen or rejected, and new enough."""
        rows = rows[self.cat.vectors.alive[rows]]
        if len(self.profile.excluded_slots):
            rows = rows[~np.isin(rows, self.profile.excluded_slots)]
        if len(self.hidden):
            rows = rows[~np.isin(rows, self.hidden)]
        if self.created_after is not None:
            rows = rows[self.cat.cols.created_at[rows] > self.created_after]
        return rows

    def _keep(self, rows: np.ndarray, reason: str, limit: int | None = None) -> Candidates:
        rows = self._allowed(np.asarray(rows, np.int64))
        rel, penalty = self.scores(rows)
        order = np.argsort(-rel, kind="stable")[:limit]
        return Candidates(rows[order], rel[order], penalty[order], reason)

    def with_sounds(self, candidates: Candidates) -> Candidates:
        """The candidates with the newest videos of the user's liked sounds added and each one's sound boost."""
        if self.sounds is None or not self.sounds.liked:
            return candidates
        penalty_of = dict(zip(candidates.rows.tolist(), candidates.penalty.tolist(), strict=True))
        rows, rel, _ = self.sounds.apply(self.db, self.cat.ids, self.cat.row, candidates.rows, candidates.rel,
                                         lambda extra: self.scores(extra)[0])
        keep = np.isin(rows, self._allowed(rows))
        rows, rel = rows[keep], rel[keep]
        penalty = np.array([penalty_of.get(int(r), 0.0) for r in rows])
        return Candidates(rows, rel, penalty, candidates.reason)

    def scores(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(relevance, penalty) of the rows: the hybrid blend (service.recommend.hybrid); the penalty is the
        negative-feedback part of it, reported in the explanation."""
        rel, parts = self.hybrid.score(rows)
        if self.profile.cold:
            for label, w in self.profile.interest_tags.items():  # stated tags without a text encoder
                rel = rel + STATED_TAG_BOOST * w * (self.cat.cols.category[rows] == self.cat.category_code(label))
        self.parts.append((rows, parts))
        return rel, -parts.get("negative", np.zeros(len(rows)))

    def content_scores(self, rows: np.ndarray) -> np.ndarray:
        return self.scores(rows)[0] if len(rows) else np.zeros(0)

    def exploration_pool(self, candidates: np.ndarray) -> np.ndarray:
        """Videos still exploring among the candidates, the newest exploring videos, and the ones just added."""
        if self.options.exploration_share <= 0:
            return np.zeros(0, np.int64)
        newest = self.pools.exploring[:EXPLORE_POOL]
        rows = self._allowed(np.unique(np.concatenate([candidates, newest, self.recent[-EXPLORE_POOL:]])))
        _, status = stages_of(self.cat.cols.exposures[rows], self.cat.cols.engaged[rows], self.options.exposure)
        return rows[status == 0]

    def explore(self, picked: list[tuple], pool: np.ndarray, n_explore: int, k: int) -> None:
        """Insert the best-scoring videos still in exploration at evenly spaced feed positions."""
        taken = {r for r, *_ in picked}
        pool = np.array([r for r in pool.tolist() if r not in taken], np.int64)
        rel, penalty = self.scores(pool)
        order = np.argsort(-rel, kind="stable")[:n_explore]
        step = max(1, k // max(n_explore, 1))
        for n, j in enumerate(order):
            picked.insert(min(len(picked), (n + 1) * step - 1),
                          (int(pool[j]), float(rel[j]), float(penalty[j]), "exploration"))

    # -- output ----------------------------------------------------------------------------------
    def signals(self, slots: list[int]) -> dict[int, dict[str, float]]:
        """slot -> its weighted signal contributions (the last scoring of it), for the given slots only."""
        wanted, found = np.array(slots, np.int64), {}
        for rows, parts in self.parts:
            for j in np.flatnonzero(np.isin(rows, wanted)).tolist():
                found[int(rows[j])] = {name: round(float(v[j]), 4) for name, v in parts.items()}
        return found

    def explain(self, picked: list[tuple], tags: dict[str, dict[str, float]] | None,
                level: str = "full") -> list[dict[str, Any]]:
        """The items at an explanation level (service.recommend.explain); `tags` are needed for `full` only."""
        ids = self.cat.ids
        if level == "false":
            return [bare_item(ids[i], score, rank + 1) for rank, (i, score, *_) in enumerate(picked)]
        signals = self.signals([i for i, *_ in picked])
        if level == "brief":
            return [brief_item(ids[i], score, rank + 1, reason, top_signal(signals.get(i, {})))
                    for rank, (i, score, _, reason) in enumerate(picked)]
        cat, profile = self.cat, self.profile
        rows = np.array([i for i, *_ in picked], np.int64)
        stage, status = stages_of(cat.cols.exposures[rows], cat.cols.engaged[rows], self.options.exposure)
        items = [self.item(cat, profile.positive, i, score, rank + 1, reason, pen, profile.interest_tags,
                           (tags or {}).get(cat.ids[i], {}), (int(stage[rank]), STATUSES[int(status[rank])]))
                 for rank, (i, score, pen, reason) in enumerate(picked)]
        for item, (i, *_) in zip(items, picked, strict=True):
            item["explanation"]["signals"] = signals.get(i, {})
            item["explanation"]["scoring_stage"] = self.hybrid.stage
        return items

    @staticmethod
    def item(cat: Catalogue, query: FusedVector | None, i: int, score: float, rank: int, reason: str,
             penalty: float, interests: dict[str, float], tags: dict[str, float],
             stage: tuple[int, str] | None = None) -> dict[str, Any]:
        return explain_item(cat, query, i, score, rank, reason, penalty, interests, tags, stage)
