"""Users and their stated interests; deleting a user forgets their events, interests, serving state and row,
and takes their events out of the per-video counters."""
from __future__ import annotations

import json
import sqlite3
import time

from service.storage.changes import COUNTERS, ChangeTable
from service.storage.counters import apply_counters
from service.storage.database import Database
from service.storage.userstate import forget_state


class UserTable(ChangeTable, Database):
    def set_interests(self, user_id: str, text: str, tags: list[dict]) -> None:
        now = time.time()
        with self.transaction():
            touch_user(self.conn, user_id, now)
            self.conn.execute(
                "INSERT OR REPLACE INTO interests(user_id, text, tags, updated_at) VALUES (?,?,?,?)",
                (user_id, text, json.dumps(tags), now),
            )

    def interests(self, user_id: str) -> tuple[str, list[dict]] | None:
        row = self._one("SELECT text, tags FROM interests WHERE user_id=?", (user_id,))
        return (row[0], json.loads(row[1])) if row else None

    def delete_user(self, user_id: str, erase: bool = False) -> bool:
        """Forget a user's history and derived state (`erase`: also their content settings, so nothing keyed by
        the id is left); True when there was anything to forget."""
        with self.transaction():
            n = 0
            if erase:
                n += self.conn.execute("DELETE FROM content_preferences WHERE user_id=?", (user_id,)).rowcount
            events = self.conn.execute("SELECT user_id, video_id, type, ts, watch_seconds, completion FROM events "
                                       "WHERE user_id=?", (user_id,)).fetchall()
            apply_counters(self.conn, events, getattr(self, "half_life_days", 7.0), sign=-1)
            self.change_log.append(COUNTERS, sorted({e[1] for e in events}))
            n += self.conn.execute("DELETE FROM events WHERE user_id=?", (user_id,)).rowcount
            n += self.conn.execute("DELETE FROM interests WHERE user_id=?", (user_id,)).rowcount
            n += forget_state(self.conn, user_id)
            self.conn.execute("DELETE FROM co_recent WHERE user_id=?", (user_id,))  # the pair counts are anonymous
            n += self.conn.execute("DELETE FROM users WHERE user_id=?", (user_id,)).rowcount
        return n > 0

    def users(self) -> list[str]:
        return [r[0] for r in self._all("SELECT user_id FROM users ORDER BY user_id")]


def touch_user(conn: sqlite3.Connection, user_id: str, now: float) -> None:
    """Create the user's row or bump its `updated_at` (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO users(user_id, created_at, updated_at) VALUES (?,?,?) "
        "ON CONFLICT(user_id) DO UPDATE SET updated_at=excluded.updated_at",
        (user_id, now, now),
    )
