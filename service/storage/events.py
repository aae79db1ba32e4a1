"""Interaction events: appended in one transaction per batch, read per user or aggregated per video."""
from __future__ import annotations

import time
from collections.abc import Iterable

from service.storage.database import Database
from service.storage.users import touch_user


class EventTable(Database):
    def add_events(self, rows: Iterable[tuple]) -> int:
        """Insert (user_id, video_id, type, ts, watch_seconds, completion) rows in one transaction."""
        rows = list(rows)
        now = time.time()
        with self.transaction():
            for user in {r[0] for r in rows}:
                touch_user(self.conn, user, now)
            self.conn.executemany(
                "INSERT INTO events(user_id, video_id, type, ts, watch_seconds, completion) VALUES (?,?,?,?,?,?)", rows
            )
        return len(rows)

    def events(self, user_id: str | None = None) -> list[tuple]:
        """(user_id, video_id, type, ts, watch_seconds, completion) rows in time order."""
        sql = "SELECT user_id, video_id, type, ts, watch_seconds, completion FROM events"
        if user_id is None:
            return self._all(sql + " ORDER BY ts, id")
        return self._all(sql + " WHERE user_id=? ORDER BY ts, id", (user_id,))

    def video_event_counts(self) -> dict[str, dict[str, int]]:
        """{video_id: {event type: count, "complete_view": views with completion >= 0.5}} over all users."""
        out: dict[str, dict[str, int]] = {}
        for vid, kind, n, complete in self._all(
            "SELECT video_id, type, COUNT(*), SUM(CASE WHEN completion >= 0.5 THEN 1 ELSE 0 END) "
            "FROM events GROUP BY video_id, type"
        ):
            out.setdefault(vid, {})[kind] = int(n)
            if kind == "view":
                out[vid]["complete_view"] = int(complete or 0)
        return out
