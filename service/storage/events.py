"""Interaction events: appended in one transaction per batch together with the per-video counters and (through
the caller's `apply`) the users' serving state; read per user."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from service.storage.changes import COUNTERS, ChangeTable
from service.storage.counters import CounterTable, apply_counters
from service.storage.database import Database
from service.storage.rows import EventRow, event_rows
from service.storage.session import EVENT_COLUMNS, StateSession
from service.storage.users import touch_user
from service.storage.userstate import mark_stale

ApplyEvents = Callable[[StateSession, list[EventRow]], None]


class EventTable(CounterTable, ChangeTable, Database):
    def add_events(self, rows: Iterable[tuple], apply: ApplyEvents | None = None) -> int:
        """Insert (user_id, video_id, type, ts, watch_seconds, completion) rows in one transaction, with their
        counters; `apply(session, rows)` updates the users' state in the same transaction. Without it the users'
        states are marked stale and rebuilt from their events when next read."""
        rows = event_rows(rows)
        now = time.time()
        users = sorted({r[0] for r in rows})
        with self.transaction():
            for user in users:
                touch_user(self.conn, user, now)
            self.conn.executemany(
                "INSERT INTO events(user_id, video_id, type, ts, watch_seconds, completion) VALUES (?,?,?,?,?,?)", rows
            )
            apply_counters(self.conn, rows, self.half_life_days)
            self.change_log.append(COUNTERS, sorted({r[1] for r in rows}))
            if apply is not None:
                apply(StateSession(self.conn), rows)
            else:
                mark_stale(self.conn, users)
        return len(rows)

    def events(self, user_id: str | None = None) -> list[EventRow]:
        """Events in time order: the user's, or everyone's."""
        sql = f"SELECT {EVENT_COLUMNS} FROM events"
        if user_id is None:
            return [EventRow(*r) for r in self._all(sql + " ORDER BY ts, id")]
        return [EventRow(*r) for r in self._all(sql + " WHERE user_id=? ORDER BY ts, id", (user_id,))]

    def video_event_counts(self) -> dict[str, dict[str, int]]:
        """{video_id: {event type: count, "complete_view": ...}} over all users, from the maintained counters."""
        return {vid: {k: int(c[k]) for k in c if not k.endswith("_decayed") and k not in ("decay_ts",
                                                                                        "watch_seconds")}
                for vid, c in self.counters().items()}
