"""Rows of the per-user serving state: the user's profile sums (`user_state`) and per (user, video) signals
(`user_videos`). What the numbers mean, and how they are updated, is service.recommend.state's business; this
module only reads and writes them, inside the caller's transaction where one is open.
"""
from __future__ import annotations

import sqlite3

from service.storage.database import Database
from service.storage.rows import HistoryRow, StateRow, VideoSignalRow


def read_state(conn: sqlite3.Connection, user_id: str) -> StateRow | None:
    row = conn.execute("SELECT ref_ts, vectors, scalars, settings_key, stale FROM user_state WHERE user_id=?",
                       (user_id,)).fetchone()
    return StateRow(row[0], row[1], row[2], row[3], bool(row[4])) if row else None


def read_states(conn: sqlite3.Connection, user_ids: list[str]) -> dict[str, StateRow]:
    """Many users' states in few statements (an event batch touches hundreds of users)."""
    out = {}
    for part in _chunks(user_ids, 500):
        for r in conn.execute("SELECT user_id, ref_ts, vectors, scalars, settings_key, stale FROM user_state "
                              f"WHERE user_id IN ({','.join('?' * len(part))})", part):
            out[r[0]] = StateRow(r[1], r[2], r[3], r[4], bool(r[5]))
    return out


def write_state(conn: sqlite3.Connection, user_id: str, row: StateRow) -> None:
    write_states(conn, {user_id: row})


def write_states(conn: sqlite3.Connection, rows: dict[str, StateRow]) -> None:
    conn.executemany("INSERT OR REPLACE INTO user_state(user_id, ref_ts, vectors, scalars, settings_key, stale) "
                     "VALUES (?,?,?,?,?,0)",
                     [(u, r.ref_ts, r.vectors, r.scalars, r.settings_key) for u, r in rows.items()])


def read_signal_pairs(conn: sqlite3.Connection, pairs: list[tuple[str, str]]
                      ) -> dict[tuple[str, str], VideoSignalRow]:
    """(user, video) rows for many pairs: one indexed statement per user (a row-value IN list would scan)."""
    by_user: dict[str, list[str]] = {}
    for user, video in pairs:
        by_user.setdefault(user, []).append(video)
    out = {}
    for user, videos in by_user.items():
        for vid, row in read_video_signals(conn, user, videos).items():
            out[(user, vid)] = row
    return out


def write_signal_pairs(conn: sqlite3.Connection, rows: dict[tuple[str, str], VideoSignalRow]) -> None:
    conn.executemany("INSERT OR REPLACE INTO user_videos(user_id, video_id, signal, floor, ref_ts, seen, applied) "
                     "VALUES (?,?,?,?,?,?,?)",
                     [(u, v, r.signal, r.floor, r.ref_ts, int(r.seen), r.applied) for (u, v), r in rows.items()])


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def read_video_signals(conn: sqlite3.Connection, user_id: str,
                       video_ids: list[str] | None = None) -> dict[str, VideoSignalRow]:
    sql = "SELECT video_id, signal, floor, ref_ts, seen, applied FROM user_videos WHERE user_id=?"
    params: tuple = (user_id,)
    if video_ids is not None:
        sql += f" AND video_id IN ({','.join('?' * len(video_ids))})"
        params += tuple(video_ids)
    return {r[0]: VideoSignalRow(r[1], r[2], r[3], bool(r[4]), r[5]) for r in conn.execute(sql, params)}


def write_video_signals(conn: sqlite3.Connection, user_id: str, rows: dict[str, VideoSignalRow]) -> None:
    conn.executemany("INSERT OR REPLACE INTO user_videos(user_id, video_id, signal, floor, ref_ts, seen, applied) "
                     "VALUES (?,?,?,?,?,?,?)",
                     [(user_id, vid, r.signal, r.floor, r.ref_ts, int(r.seen), r.applied) for vid, r in rows.items()])


def forget_state(conn: sqlite3.Connection, user_id: str) -> int:
    n = conn.execute("DELETE FROM user_state WHERE user_id=?", (user_id,)).rowcount
    return n + conn.execute("DELETE FROM user_videos WHERE user_id=?", (user_id,)).rowcount


def mark_stale(conn: sqlite3.Connection, user_ids: list[str] | None = None) -> None:
    """The users' states no longer match their events (a video they touched was deleted, vectors were
    replaced, events were written without the state update): rebuild them from the events on next read."""
    if user_ids is None:
        conn.execute("UPDATE user_state SET stale=1")
        return
    conn.executemany("UPDATE user_state SET stale=1 WHERE user_id=?", [(u,) for u in user_ids])


class UserStateTable(Database):
    def user_state(self, user_id: str) -> StateRow | None:
        with self.lock:
            return read_state(self.conn, user_id)

    def video_signals(self, user_id: str) -> dict[str, VideoSignalRow]:
        with self.lock:
            return read_video_signals(self.conn, user_id)

    def history_slots(self, user_id: str) -> list[HistoryRow]:
        """Every video the user has seen (any event but an impression), with its slot, whether it was rejected
        and its effective decayed signal: what the profile and the hybrid scorer's per-user signals read (one
        indexed read of the user's rows)."""
        return [HistoryRow(r[0], r[1], r[2] is not None, r[3] if r[2] is None else min(r[3], r[2])) for r in self._all(
            "SELECT u.video_id, r.slot, u.floor, u.signal FROM user_videos u "
            "JOIN video_ranking r ON r.video_id = u.video_id WHERE u.user_id=? AND u.seen=1", (user_id,))]

    def has_events(self, user_id: str) -> bool:
        return self._one("SELECT 1 FROM events WHERE user_id=? LIMIT 1", (user_id,)) is not None
