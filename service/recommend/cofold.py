"""Online co-engagement: the item-item table learns as events arrive, so a like is in the next feed's collaborative
candidates and scores without anyone running `reelsense fit`.

Per event, in time order, inside the transaction that stores it (service.recommend.updates.apply_events):
- an engagement (like, share, comment, follow, or a view of at least half the video: what the per-video counters
  call engaged) of a video v the user's recent list does not hold adds 1 to every pair (v, r) for r in the user's
  `co_recent` most recent engaged videos, adds 1 to n_v, and puts v in the list (the oldest leaves beyond
  `co_recent`). Engaging again with a video still in the list changes nothing: a like after a complete view is
  one engagement, not two;
- a skip or not-interested of v counts `co_skip` / `co_not_interested` against every pair (v, r), r in the list;
- every count decays with `co_half_life_days` (service.storage.cofold keeps the arithmetic exact in any order).

The work per event is bounded by `co_recent` pairs (x2 directions), whatever the number of events or users.
Scoring (`online_weight`): weight(i, j) = c_ij / (n_i^(1-a) * n_j^a) * c_ij / (c_ij + shrink), 0 when c_ij <= 0:
a = 0.5 is the cosine of the two engagement sets, the second factor shrinks pairs seen by few users.

`build_from_scratch` folds a whole event list the same way into plain dicts: the property test checks that the
online table equals it, and it is what an offline refit over the events would produce.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from service.options import CoOptions
from service.recommend.collaborative import CoEngagement
from service.storage.cofold import CoNeighbour, CoUpdate
from service.storage.counters import COMPLETE_VIEW, ENGAGEMENTS
from service.storage.rows import EventRow


def engages(e: EventRow) -> bool:
    """An engagement, as the per-video counters count one."""
    return e.type in ENGAGEMENTS or (e.type == "view" and e.completion is not None and e.completion >= COMPLETE_VIEW)


def fold_co(events: Iterable[EventRow], recent: dict[str, dict[str, float]], opts: CoOptions) -> CoUpdate:
    """The co-engagement changes of `events` given the users' stored recent lists (updated in place and put in
    the result for the users whose list changed)."""
    update = CoUpdate(opts.half_life_s, opts.co_neighbours)
    against = {"skip": opts.co_skip, "not_interested": opts.co_not_interested}
    changed: set[str] = set()
    for e in sorted(events, key=lambda r: r.ts):  # stable: a batch's same-time events keep their order
        mine = recent.setdefault(e.user_id, {})
        if engages(e):
            if e.video_id in mine:
                continue
            for other in mine:
                update.add_pair(e.video_id, other, 1.0, e.ts)
            update.add_video(e.video_id, 1.0, e.ts)
            mine[e.video_id] = e.ts
            while len(mine) > opts.co_recent:
                del mine[next(iter(mine))]  # insertion order = the order they entered
            changed.add(e.user_id)
        elif e.type in against and against[e.type] != 0:
            for other in mine:
                if other != e.video_id:
                    update.add_pair(e.video_id, other, against[e.type], e.ts)
    update.recent = {u: recent[u] for u in changed}
    return update


def build_from_scratch(events: Iterable[EventRow], opts: CoOptions
                       ) -> tuple[dict[tuple[str, str], tuple[float, float]], dict[str, tuple[float, float]]]:
    """(pairs, videos) as (value, ts) from all the events at once (no neighbour cap): what the online table holds
    after the same events, while no video has more than `co_neighbours` neighbours."""
    update = fold_co(list(events), {}, opts)
    return update.pairs, update.videos


def online_weight(c: float, n_i: float, n_j: float, alpha: float, shrink: float) -> float:
    if c <= 0 or n_i <= 0 or n_j <= 0:
        return 0.0
    return c / (n_i ** (1.0 - alpha) * n_j ** alpha) * c / (c + shrink)


def online_co(rows: list[CoNeighbour], row_of: dict[str, int], opts: CoOptions) -> CoEngagement:
    """The seeds' neighbour lists (by slot) from the stored online pairs, for one request."""
    by_slot: dict[int, list[tuple[int, float]]] = {}
    for r in rows:
        a, b = row_of.get(r.video_id), row_of.get(r.neighbour_id)
        w = online_weight(r.count, r.n_video, r.n_neighbour, opts.co_alpha, opts.co_shrink)
        if a is not None and b is not None and w > 0:
            by_slot.setdefault(a, []).append((b, w))
    out = CoEngagement()
    for a, pairs in by_slot.items():
        out.neighbours[a] = (np.array([b for b, _ in pairs], np.int64), np.array([w for _, w in pairs], np.float32))
    return out


def combined(online: CoEngagement, fitted: CoEngagement, seeds: Iterable[int]) -> CoEngagement:
    """Per seed, the online neighbours (weights in [0, 1] already, kept as they are so that evidence for and
    against a pair shows) plus, where `reelsense fit` stored some, the fitted ones scaled to a maximum of 1: the
    fit refines the online table, it is not needed for one."""
    out = CoEngagement()
    for s in {int(x) for x in seeds}:
        parts = [(t.neighbours[s], scale) for t, scale in ((online, False), (fitted, True))
                 if s in t.neighbours and len(t.neighbours[s][0])]
        if not parts:
            continue
        slots = np.concatenate([p[0] for p, _ in parts])
        values = np.concatenate([p[1] / max(float(p[1].max()), 1e-12) if scale else p[1] for p, scale in parts])
        unique, inverse = np.unique(slots, return_inverse=True)
        out.neighbours[s] = (unique, np.bincount(inverse, values).astype(np.float32))
    return out


__all__ = ["build_from_scratch", "combined", "engages", "fold_co", "online_co", "online_weight"]
