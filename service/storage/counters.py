"""Per-video event counters, updated in the transaction that stores (or erases) the events.

Totals per event type (plus complete views, completion >= 0.5, and watch time) feed staged exposure and the
cold-start prior; time-decayed sums (impressions, views incl. skips, engagements) kept as of `decay_ts` feed a
popularity prior: a value v stored at time r is worth v * 0.5 ** ((t - r) / half_life) at time t, so adding an
event never rewrites other rows. Nothing here is computed at request time.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from service.storage.changes import ALL, COUNTERS, ChangeTable
from service.storage.database import Database

COUNTED = ("impression", "view", "complete_view", "like", "share", "comment", "follow", "skip", "not_interested")
ENGAGEMENTS = ("like", "share", "comment", "follow", "complete_view")
COMPLETE_VIEW = 0.5  # a view with at least this completion is a complete view
DECAYED = ("impressions_decayed", "views_decayed", "engaged_decayed")
DEFAULT_HALF_LIFE_DAYS = 7.0
COUNTER_NAMES = (*COUNTED, "watch_seconds", *DECAYED, "decay_ts")  # a counters row's values, in column order
_COLUMNS = ", ".join(f'"{c}"' for c in COUNTER_NAMES)
SQL_IN_CHUNK = 500  # ids per `IN (...)` list, under SQLite's variable limit


def chunks(items: Sequence, size: int = SQL_IN_CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def decay(age_s: float, half_life_s: float) -> float:
    return 0.5 ** (max(0.0, age_s) / half_life_s)


def _event_delta(kind: str, watch: float | None, completion: float | None) -> dict[str, float]:
    delta = {kind: 1.0}
    if kind == "view" and completion is not None and completion >= COMPLETE_VIEW:
        delta["complete_view"] = 1.0
    if watch:
        delta["watch_seconds"] = float(watch)
    delta["impressions_decayed"] = 1.0 if kind == "impression" else 0.0
    delta["views_decayed"] = 1.0 if kind in ("view", "skip") else 0.0
    delta["engaged_decayed"] = float(sum(delta.get(k, 0.0) for k in ENGAGEMENTS))
    return delta


def _fold(rows: Iterable[tuple], half_life_s: float) -> dict[str, dict[str, float]]:
    """Per video: summed deltas of (user, video, type, ts, watch, completion) rows, decayed sums as of the
    video's latest event in `rows` (kept under "decay_ts")."""
    by_video: dict[str, list[tuple]] = {}
    for row in rows:
        by_video.setdefault(row[1], []).append(row)
    out = {}
    for vid, events in by_video.items():
        ref = max(e[3] for e in events)
        total: dict[str, float] = {"decay_ts": ref}
        for _u, _v, kind, ts, watch, completion in events:
            weight = decay(ref - ts, half_life_s)
            for key, value in _event_delta(kind, watch, completion).items():
                total[key] = total.get(key, 0.0) + (value * weight if key in DECAYED else value)
        out[vid] = total
    return out


def apply_counters(conn: sqlite3.Connection, rows: list[tuple], half_life_days: float, sign: int = 1) -> None:
    """Add (sign=1) or subtract (sign=-1, erasure) the events' counts, inside the caller's transaction."""
    touched = sorted({r[1] for r in rows})
    if not touched:
        return
    updates = counter_updates(read_counters(conn, touched), rows, half_life_days, sign)
    conn.executemany(f"INSERT OR REPLACE INTO video_counters(video_id, {_COLUMNS}) "
                     f"VALUES (?{',?' * len(COUNTER_NAMES)})", updates)


def counter_updates(current: dict[str, dict[str, float]], rows: list[tuple], half_life_days: float,
                    sign: int = 1) -> list[tuple]:
    """(video id, *COUNTER_NAMES values) rows: the `current` counters with the events' counts added (or
    subtracted), sorted by video id; shared by both backends, which only read and write the rows."""
    half_life_s = half_life_days * 86400.0
    folded = _fold(rows, half_life_s)
    updates = []
    for vid in sorted(folded):
        delta = folded[vid]
        old = current.get(vid, dict.fromkeys(COUNTER_NAMES, 0.0))
        ref = max(old["decay_ts"], delta["decay_ts"]) if vid in current else delta["decay_ts"]
        new = {k: old[k] + sign * delta.get(k, 0.0) for k in (*COUNTED, "watch_seconds")}
        for k in DECAYED:
            new[k] = (old[k] * decay(ref - old["decay_ts"], half_life_s)
                      + sign * delta.get(k, 0.0) * decay(ref - delta["decay_ts"], half_life_s))
        new["decay_ts"] = ref
        updates.append((vid, *(new[k] for k in COUNTER_NAMES)))
    return updates


def read_counters(conn: sqlite3.Connection, video_ids: list[str] | None = None) -> dict[str, dict[str, float]]:
    names = COUNTER_NAMES
    sql = f"SELECT video_id, {_COLUMNS} FROM video_counters"
    if video_ids is None:
        rows = conn.execute(sql).fetchall()
    else:
        rows = [r for part in chunks(video_ids)
                for r in conn.execute(f"{sql} WHERE video_id IN ({','.join('?' * len(part))})", part)]
    return {r[0]: dict(zip(names, r[1:], strict=True)) for r in rows}


class CounterTable(ChangeTable, Database):
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS  # of the decayed sums; a Store may be given another

    def counters(self, video_ids: list[str] | None = None) -> dict[str, dict[str, float]]:
        """{video_id: {type: count, ..., watch_seconds, *_decayed, decay_ts}} for the given (or all) videos."""
        with self.lock:
            return read_counters(self.conn, video_ids)

    def counters_by_slot(self, slots_from: int = 0) -> list[tuple]:
        """(slot, impression, view, skip, engaged total, decayed engagements, their reference time) of every counted
        video, for loading the catalogue."""
        engaged = " + ".join(f'c."{k}"' for k in ENGAGEMENTS)
        return self._all(f"SELECT r.slot, c.impression, c.view, c.skip, {engaged}, c.engaged_decayed, c.decay_ts "
                         "FROM video_counters c "
                         "JOIN video_ranking r ON r.video_id = c.video_id WHERE r.slot >= ?", (slots_from,))

    def rebuild_counters(self) -> None:
        """Recompute every video's counters from the events (recovery; the property tests compare)."""
        with self.transaction():
            self.conn.execute("DELETE FROM video_counters")
            cursor = self.conn.execute("SELECT user_id, video_id, type, ts, watch_seconds, completion FROM events "
                                       "ORDER BY video_id")
            while batch := cursor.fetchmany(50_000):
                apply_counters(self.conn, batch, self.half_life_days)
            self.change_log.append(COUNTERS, [ALL])
