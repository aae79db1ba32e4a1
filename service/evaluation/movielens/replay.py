"""Serving the protocol's requests through the product: a real store, `Recommender.record_events`,
`set_interests`, `recommend` and `score_videos`, `Recommender.fit` for co-engagement.

New users: the training users' events are recorded in time order and every request is answered at its own time,
with the counters (and so the decayed popularity prior) as the platform would have had them then; the
co-engagement table is fitted on all the training events first (as `reelsense fit` would have been run
nightly), the held-out users' own revealed events are recorded just before their requests.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from service.config import Settings
from service.evaluation.blendfit import positive_engagements
from service.evaluation.movielens.data import VIEW_COMPLETION, MovieLens, video_id
from service.evaluation.movielens.protocol import K, Request
from service.recommend.collaborative import CoEngagement, fit_co_engagement
from service.recommend.events import Event
from service.recommend.recommender import Recommender
from service.storage import Store

EVENT_BATCH = 20_000


def events_of(data: MovieLens, rows: np.ndarray, user: Callable[[str], str] = str) -> list[Event]:
    kinds = data.kinds()
    return [Event(user(str(data.users[r])), video_id(data.movie_ids[data.items[r]]), str(kinds[r]),
                  float(data.times[r]), None, VIEW_COMPLETION if kinds[r] == "view" else None) for r in rows]


class Replay:
    """One store copy: training events recorded, requests answered in time order by one or more recommenders
    (variants differ only in their settings: how exploration or diversity cost accuracy)."""

    def __init__(self, base_db: Path, work_db: Path, data: MovieLens, variants: dict[str, Settings], text):
        shutil.copyfile(base_db, work_db)
        self.data = data
        first = next(iter(variants.values()))
        self.store = Store(work_db, counters_half_life_days=first.popularity_half_life_days)
        self.recommenders = {name: Recommender(self.store, s, text=text) for name, s in variants.items()}
        self.item_of = {video_id(m): i for i, m in enumerate(data.movie_ids)}

    @property
    def main(self) -> Recommender:
        return next(iter(self.recommenders.values()))

    def record(self, events: list[Event]) -> None:
        for start in range(0, len(events), EVENT_BATCH):
            part = events[start : start + EVENT_BATCH]
            self.main.record_events(part)
            touched = {e.video_id for e in part}
            for rec in list(self.recommenders.values())[1:]:
                rec.live.counters_changed(touched)

    def fit_co_engagement(self, train_events: list[Event]) -> None:
        """Co-engagement from these events (the store holds only part of them yet)."""
        settings = self.main.settings
        rows = fit_co_engagement(positive_engagements(_EventSource(train_events), settings))
        self.store.save_co_engagement(rows)
        for rec in self.recommenders.values():
            rec.catalogue().co = CoEngagement.from_video_rows(rows, rec.catalogue().row)

    def serve(self, requests: list[Request], train_events: list[Event], diversity: float | None
              ) -> dict[str, list[list[int]]]:
        """Ranked movie indices per variant, in the order of `requests`."""
        out: dict[str, list[list[int] | None]] = {name: [None] * len(requests) for name in self.recommenders}
        order = sorted(range(len(requests)), key=lambda i: (requests[i].t, len(requests[i].shown)))
        done = 0
        for i in order:
            req = requests[i]
            end = done
            while end < len(train_events) and train_events[end].timestamp <= req.t:
                end += 1
            self.record(train_events[done:end])
            done = end
            if len(req.reveal):
                self.record(events_of(self.data, req.reveal))
            if req.stated is not None:
                self.main.set_interests(req.user, req.stated)
            for name, rec in self.recommenders.items():
                rec.live.cold.refresh(rec.catalogue(), now=req.t)
                feed = rec.recommend(req.user, K + len(req.exclude), diversity=diversity, now=req.t, explain="false")
                ranked = [self.item_of[it["video_id"]] for it in feed]
                out[name][i] = [m for m in ranked if m not in req.exclude][:K]
        return out

    def score_new_items(self, requests: list[Request], held: np.ndarray) -> list[list[int]]:
        ids = [video_id(self.data.movie_ids[m]) for m in held]
        out = []
        for req in requests:
            scores = self.main.score_videos(req.user, ids, now=req.t)
            out.append(held[np.argsort(-scores, kind="stable")[:K]].tolist())
        return out

    def close(self) -> None:
        for rec in self.recommenders.values():
            rec.close()
        self.store.close()


class _EventSource:
    """The `events()` reader `positive_engagements` expects, over a list of events."""

    def __init__(self, events: list[Event]):
        self._rows = [e.row() for e in events]

    def events(self) -> list[tuple]:
        return self._rows
