"""The online co-engagement tables (SQLite): decayed pair counts, per-video engaged counts and each user's most
recent engaged videos, updated inside the transaction that stores the events.

What the counts mean and when an event changes them is service.recommend.cofold's business; this module only
keeps the numbers. Every count is stored as of its own reference time `ts` and decays with one half-life:

    value(t) = stored * 0.5 ** ((t - ts) / half_life)

so adding a delta observed at time t_d to a count stored at ts is exact in any order: both are brought to
max(ts, t_d) first. Each video keeps only its `neighbours` strongest pairs (by value at the update's time), so
both a write and a read stay bounded however many users engaged with a video.

The backend-neutral arithmetic (`merge`, `prune`, `decayed_rows`) is shared with the PostgreSQL counterpart
(service.storage.postgres.cofold), which only swaps the statements.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from service.storage.counters import chunks, decay

Stamped = tuple[float, float]  # (value, as of ts)


class CoNeighbour(NamedTuple):
    """One stored pair as a read returns it: the counts decayed to the read's `now`."""

    video_id: str
    neighbour_id: str
    count: float  # decayed co-engagement count c_ij (negative feedback can make it <= 0)
    n_video: float  # decayed engaged count n_i of the video
    n_neighbour: float  # decayed engaged count n_j of the neighbour


@dataclass
class CoUpdate:
    """What one event batch changes: pair and video deltas (value, observed at ts), and the users' new recent
    lists (video -> time it entered), written whole."""

    half_life_s: float
    neighbours: int
    pairs: dict[tuple[str, str], Stamped] = field(default_factory=dict)
    videos: dict[str, Stamped] = field(default_factory=dict)
    recent: dict[str, dict[str, float]] = field(default_factory=dict)

    def add_pair(self, a: str, b: str, value: float, ts: float) -> None:
        """Both directions of a pair (each video's neighbour list holds the other)."""
        for key in ((a, b), (b, a)):
            self.pairs[key] = merge(self.pairs.get(key), (value, ts), self.half_life_s)

    def add_video(self, video: str, value: float, ts: float) -> None:
        self.videos[video] = merge(self.videos.get(video), (value, ts), self.half_life_s)


def merge(old: Stamped | None, new: Stamped, half_life_s: float) -> Stamped:
    """Two decayed values as one, as of the later of their times (exact for exponential decay)."""
    if old is None:
        return new
    ts = max(old[1], new[1])
    return (old[0] * decay(ts - old[1], half_life_s) + new[0] * decay(ts - new[1], half_life_s), ts)


def prune(rows: dict[str, Stamped], keep: int, half_life_s: float) -> set[str]:
    """The neighbours to drop so that `keep` remain: the weakest by value at the latest time among them."""
    if len(rows) <= keep:
        return set()
    ref = max(ts for _, ts in rows.values())
    ranked = sorted(rows, key=lambda b: (-rows[b][0] * decay(ref - rows[b][1], half_life_s), b))
    return set(ranked[keep:])


def decayed_rows(pairs: Iterable[tuple[str, str, float, float]], counts: dict[str, Stamped], k: int, now: float,
                 half_life_s: float) -> list[CoNeighbour]:
    """(video, neighbour, count, ts) rows as CoNeighbour decayed to `now`, each video's `k` strongest."""
    by_video: dict[str, list[CoNeighbour]] = {}
    for a, b, c, ts in pairs:
        n_a, n_b = counts.get(a), counts.get(b)
        by_video.setdefault(a, []).append(CoNeighbour(
            a, b, c * decay(now - ts, half_life_s),
            0.0 if n_a is None else n_a[0] * decay(now - n_a[1], half_life_s),
            0.0 if n_b is None else n_b[0] * decay(now - n_b[1], half_life_s)))
    out: list[CoNeighbour] = []
    for a in sorted(by_video):
        out.extend(sorted(by_video[a], key=lambda r: (-r.count, r.neighbour_id))[:k])
    return out


def plan(update: CoUpdate, stored_pairs: dict[str, dict[str, Stamped]], stored_videos: dict[str, Stamped]
         ) -> tuple[list[tuple[str, str, float, float]], list[tuple[str, str]], list[tuple[str, float, float]]]:
    """(pair rows to write, pairs to delete, video rows to write) from the stored rows of the touched videos."""
    hl = update.half_life_s
    write, delete = [], []
    by_a: dict[str, dict[str, Stamped]] = {}
    for (a, b), delta in update.pairs.items():
        by_a.setdefault(a, {})[b] = delta
    for a, deltas in by_a.items():
        rows = dict(stored_pairs.get(a, {}))
        for b, delta in deltas.items():
            rows[b] = merge(rows.get(b), delta, hl)
        dropped = prune(rows, update.neighbours, hl)
        delete.extend((a, b) for b in dropped if b in stored_pairs.get(a, {}))
        write.extend((a, b, rows[b][0], rows[b][1]) for b in deltas if b not in dropped)
    videos = [(v, *merge(stored_videos.get(v), delta, hl)) for v, delta in update.videos.items()]
    return sorted(write), sorted(delete), sorted(videos)


def read_recent(conn: sqlite3.Connection, user_ids: Iterable[str]) -> dict[str, dict[str, float]]:
    """Each user's recent engaged videos (video -> time it entered the list)."""
    out: dict[str, dict[str, float]] = {}
    for part in chunks(sorted(set(user_ids))):
        for user, video, ts in conn.execute("SELECT user_id, video_id, ts FROM co_recent WHERE user_id IN "
                                            f"({','.join('?' * len(part))}) ORDER BY user_id, ts, video_id", part):
            out.setdefault(user, {})[video] = ts
    return out


def _pairs_of(conn: sqlite3.Connection, videos: Iterable[str]) -> dict[str, dict[str, Stamped]]:
    out: dict[str, dict[str, Stamped]] = {}
    for part in chunks(sorted(set(videos))):
        for a, b, c, ts in conn.execute(f"SELECT a, b, c, ts FROM co_pairs WHERE a IN ({','.join('?' * len(part))})",
                                        part):
            out.setdefault(a, {})[b] = (c, ts)
    return out


def _counts_of(conn: sqlite3.Connection, videos: Iterable[str]) -> dict[str, Stamped]:
    out: dict[str, Stamped] = {}
    for part in chunks(sorted(set(videos))):
        for v, n, ts in conn.execute(f"SELECT video_id, n, ts FROM co_videos WHERE video_id IN "
                                     f"({','.join('?' * len(part))})", part):
            out[v] = (n, ts)
    return out


def apply_update(conn: sqlite3.Connection, update: CoUpdate) -> None:
    """Write one batch's co-engagement changes (inside the caller's transaction)."""
    touched = {a for a, _ in update.pairs}
    write, delete, videos = plan(update, _pairs_of(conn, touched), _counts_of(conn, update.videos))
    conn.executemany("DELETE FROM co_pairs WHERE a=? AND b=?", delete)
    conn.executemany("INSERT OR REPLACE INTO co_pairs(a, b, c, ts) VALUES (?,?,?,?)", write)
    conn.executemany("INSERT OR REPLACE INTO co_videos(video_id, n, ts) VALUES (?,?,?)", videos)
    for user, recent in sorted(update.recent.items()):
        conn.execute("DELETE FROM co_recent WHERE user_id=?", (user,))
        conn.executemany("INSERT INTO co_recent(user_id, video_id, ts) VALUES (?,?,?)",
                         [(user, v, ts) for v, ts in recent.items()])


def co_neighbours(conn: sqlite3.Connection, video_ids: Iterable[str], k: int, now: float, half_life_s: float
                  ) -> list[CoNeighbour]:
    """The `k` strongest stored neighbours of each video, decayed to `now` (one indexed read per chunk)."""
    pairs = [(a, b, c, ts) for a, rows in _pairs_of(conn, video_ids).items() for b, (c, ts) in rows.items()]
    counts = _counts_of(conn, {p[0] for p in pairs} | {p[1] for p in pairs})
    return decayed_rows(pairs, counts, k, now, half_life_s)
