"""The users' serving state on PostgreSQL: the StateSession the user-state fold gets inside the events'
transaction (the same methods as service.storage.session.StateSession), and the reads outside one."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import psycopg

from service.storage.cofold import CoNeighbour, CoUpdate
from service.storage.postgres import cofold
from service.storage.postgres.database import PgDatabase
from service.storage.rows import EventRow, HistoryRow, StateRow, UnitsRow, VideoSignalRow
from service.storage.session import EVENT_COLUMNS

_STATE = "ref_ts, vectors, scalars, settings_key, stale"
_SIGNAL = "video_id, signal, floor, ref_ts, seen, applied"


def _state(r: tuple) -> StateRow:
    return StateRow(r[0], bytes(r[1]), r[2], r[3], bool(r[4]))


def _signal(r: tuple) -> VideoSignalRow:
    return VideoSignalRow(r[0], r[1], r[2], bool(r[3]), int(r[4]))


class PgStateSession:
    """Reads and writes of users' state, videos' units and events on the connection of an open transaction."""

    def __init__(self, conn: psycopg.Connection):
        self._conn = conn

    def dims(self) -> dict[str, int]:
        return json.loads(self._conn.execute("SELECT value FROM meta WHERE key='dims'").fetchone()[0])

    def units_rows(self, video_ids: Iterable[str]) -> list[UnitsRow]:
        return [UnitsRow(*r) for r in self._conn.execute(
            "SELECT v.id, v.fused, r.tags FROM videos v JOIN video_ranking r ON r.video_id = v.id "
            "WHERE v.id = ANY(%s) ORDER BY v.id", (sorted(set(video_ids)),), binary=True)]

    def user_events(self, user_id: str) -> list[EventRow]:
        return [EventRow(*r) for r in self._conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE user_id=%s ORDER BY ts, id", (user_id,))]

    def users_events(self, user_ids: Iterable[str]) -> dict[str, list[EventRow]]:
        out: dict[str, list[EventRow]] = {}
        for r in self._conn.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE user_id = ANY(%s) "
                                    "ORDER BY user_id, ts, id", (sorted(set(user_ids)),)):
            out.setdefault(r[0], []).append(EventRow(*r))
        return out

    def read_states(self, user_ids: list[str]) -> dict[str, StateRow]:
        return {r[0]: _state(r[1:]) for r in self._conn.execute(
            f"SELECT user_id, {_STATE} FROM user_state WHERE user_id = ANY(%s)", (list(user_ids),))}

    def write_states(self, rows: dict[str, StateRow]) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO user_state(user_id, ref_ts, vectors, scalars, settings_key, stale) "
                "VALUES (%s,%s,%s,%s,%s,false) ON CONFLICT (user_id) DO UPDATE SET ref_ts=excluded.ref_ts, "
                "vectors=excluded.vectors, scalars=excluded.scalars, settings_key=excluded.settings_key, stale=false",
                [(u, r.ref_ts, r.vectors, r.scalars, r.settings_key) for u, r in sorted(rows.items())])

    def read_signal_pairs(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], VideoSignalRow]:
        if not pairs:
            return {}
        users, videos = zip(*pairs, strict=True)
        return {(r[0], r[1]): _signal(r[2:]) for r in self._conn.execute(
            "SELECT u.user_id, u.video_id, u.signal, u.floor, u.ref_ts, u.seen, u.applied FROM user_videos u "
            "JOIN unnest(%s::text[], %s::text[]) AS p(user_id, video_id) USING (user_id, video_id)",
            (list(users), list(videos)))}

    def write_signal_pairs(self, rows: dict[tuple[str, str], VideoSignalRow]) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO user_videos(user_id, video_id, signal, floor, ref_ts, seen, applied) "
                "VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (user_id, video_id) DO UPDATE SET signal=excluded.signal, "
                "floor=excluded.floor, ref_ts=excluded.ref_ts, seen=excluded.seen, applied=excluded.applied",
                [(u, v, r.signal, r.floor, r.ref_ts, bool(r.seen), r.applied) for (u, v), r in sorted(rows.items())])

    def forget_state(self, user_id: str) -> int:
        n = self._conn.execute("DELETE FROM user_state WHERE user_id=%s", (user_id,)).rowcount
        return n + self._conn.execute("DELETE FROM user_videos WHERE user_id=%s", (user_id,)).rowcount

    def write_user(self, user_id: str, state: StateRow, videos: dict[str, VideoSignalRow]) -> None:
        self.write_states({user_id: state})
        self.write_signal_pairs({(user_id, vid): row for vid, row in videos.items()})

    def co_recent(self, user_ids: Iterable[str]) -> dict[str, dict[str, float]]:
        return cofold.read_recent(self._conn, user_ids)

    def co_apply(self, update: CoUpdate) -> None:
        cofold.apply_update(self._conn, update)


class PgUserStateTable(PgDatabase):
    def user_state(self, user_id: str) -> StateRow | None:
        row = self._one(f"SELECT {_STATE} FROM user_state WHERE user_id=%s", (user_id,))
        return _state(row) if row else None

    def video_signals(self, user_id: str) -> dict[str, VideoSignalRow]:
        return {r[0]: _signal(r[1:]) for r in self._all(f"SELECT {_SIGNAL} FROM user_videos WHERE user_id=%s",
                                                        (user_id,))}

    def history_slots(self, user_id: str) -> list[HistoryRow]:
        """Every video the user has seen, with its slot, whether it was rejected and its effective signal."""
        return [HistoryRow(r[0], r[1], r[2] is not None, r[3] if r[2] is None else min(r[3], r[2])) for r in self._all(
            "SELECT u.video_id, r.slot, u.floor, u.signal FROM user_videos u "
            "JOIN video_ranking r ON r.video_id = u.video_id WHERE u.user_id=%s AND u.seen", (user_id,))]

    def units_rows(self, video_ids: Iterable[str]) -> list[UnitsRow]:
        with self.pool.connection() as conn:
            return PgStateSession(conn).units_rows(video_ids)

    def co_neighbours(self, video_ids: Iterable[str], k: int, now: float, half_life_s: float) -> list[CoNeighbour]:
        """Each video's `k` strongest online co-engagement neighbours, counts decayed to `now`."""
        with self.pool.connection() as conn:
            return cofold.co_neighbours(conn, video_ids, k, now, half_life_s)

    @contextmanager
    def state_session(self) -> Iterator[PgStateSession]:
        """A write transaction for the users' serving state (a rebuild)."""
        with self.transaction() as conn:
            yield PgStateSession(conn)
