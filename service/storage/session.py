"""What the users' serving-state code may do inside one write transaction, without seeing SQL.

`service.recommend.updates` folds events into user state inside the transaction that stores the events; it gets
a `StateSession` over that transaction's connection, so the state never disagrees with the events and every
statement still lives here, in storage. A second backend provides the same methods over its own connection.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from service.storage import cofold, userstate
from service.storage.cofold import CoNeighbour, CoUpdate
from service.storage.counters import chunks
from service.storage.database import Database
from service.storage.rows import EventRow, StateRow, UnitsRow, VideoSignalRow

EVENT_COLUMNS = "user_id, video_id, type, ts, watch_seconds, completion"


class StateSession:
    """Reads and writes of users' state, videos' units and events on the connection of an open transaction."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def dims(self) -> dict[str, int]:
        """The per-modality widths of the fused vectors of this store."""
        row = self._conn.execute("SELECT value FROM meta WHERE key='dims'").fetchone()
        return json.loads(row[0])

    def units_rows(self, video_ids: Iterable[str]) -> list[UnitsRow]:
        """The fused vector and ranking tags of each stored video among `video_ids` (chunked IN lists)."""
        out: list[UnitsRow] = []
        for part in chunks(sorted(set(video_ids))):
            out.extend(UnitsRow(*r) for r in self._conn.execute(
                "SELECT v.id, v.fused, r.tags FROM videos v JOIN video_ranking r ON r.video_id = v.id "
                f"WHERE v.id IN ({','.join('?' * len(part))})", part))
        return out

    def user_events(self, user_id: str) -> list[EventRow]:
        """The user's events in time order (a rebuild folds them all)."""
        return [EventRow(*r) for r in self._conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE user_id=? ORDER BY ts, id", (user_id,))]

    def users_events(self, user_ids: Iterable[str]) -> dict[str, list[EventRow]]:
        """Several users' events, each in time order (a batch of first-time users is rebuilt in a few reads)."""
        out: dict[str, list[EventRow]] = {}
        for part in chunks(sorted(set(user_ids))):
            for r in self._conn.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE user_id IN "
                                        f"({','.join('?' * len(part))}) ORDER BY user_id, ts, id", part):
                out.setdefault(r[0], []).append(EventRow(*r))
        return out

    def read_states(self, user_ids: list[str]) -> dict[str, StateRow]:
        return userstate.read_states(self._conn, user_ids)

    def write_states(self, rows: dict[str, StateRow]) -> None:
        userstate.write_states(self._conn, rows)

    def read_signal_pairs(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], VideoSignalRow]:
        return userstate.read_signal_pairs(self._conn, pairs)

    def write_signal_pairs(self, rows: dict[tuple[str, str], VideoSignalRow]) -> None:
        userstate.write_signal_pairs(self._conn, rows)

    def forget_state(self, user_id: str) -> int:
        return userstate.forget_state(self._conn, user_id)

    def write_user(self, user_id: str, state: StateRow, videos: dict[str, VideoSignalRow]) -> None:
        """A user's whole state: the profile sums and every (user, video) row."""
        userstate.write_state(self._conn, user_id, state)
        userstate.write_video_signals(self._conn, user_id, videos)

    def co_recent(self, user_ids: Iterable[str]) -> dict[str, dict[str, float]]:
        """Each user's most recent engaged videos (video -> when it entered), what a new engagement pairs with."""
        return cofold.read_recent(self._conn, user_ids)

    def co_apply(self, update: CoUpdate) -> None:
        """One batch's online co-engagement changes (service.recommend.cofold says what they are)."""
        cofold.apply_update(self._conn, update)


class StateSessions(Database):
    """The store's side: open a session in a write transaction, or read units outside one."""

    @contextmanager
    def state_session(self) -> Iterator[StateSession]:
        """A write transaction for the users' serving state (a rebuild)."""
        with self.transaction():
            yield StateSession(self.conn)

    def units_rows(self, video_ids: Iterable[str]) -> list[UnitsRow]:
        """The fused vector and ranking tags of these videos (what a profile folds), outside a transaction."""
        with self.lock:
            return StateSession(self.conn).units_rows(video_ids)

    def co_neighbours(self, video_ids: Iterable[str], k: int, now: float, half_life_s: float) -> list[CoNeighbour]:
        """Each video's `k` strongest online co-engagement neighbours with the counts decayed to `now` (what a feed
        reads: O(videos x k), never the events)."""
        with self.lock:
            return cofold.co_neighbours(self.conn, video_ids, k, now, half_life_s)
