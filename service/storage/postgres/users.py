"""Users, their stated interests and content settings on PostgreSQL; erasing a user takes their events out of
the per-video (and, by trigger, per-sound) counters in the same transaction."""
from __future__ import annotations

import json
import time

from service.storage.changes import COUNTERS
from service.storage.postgres.changes import PgChangeTable
from service.storage.postgres.events import apply_counters, lock_users, touch_users
from service.storage.session import EVENT_COLUMNS


class PgUserTable(PgChangeTable):
    def set_interests(self, user_id: str, text: str, tags: list[dict]) -> None:
        now = time.time()
        with self.transaction() as conn:
            touch_users(conn, [user_id], now)
            conn.execute("INSERT INTO interests(user_id, text, tags, updated_at) VALUES (%s,%s,%s,%s) "
                         "ON CONFLICT (user_id) DO UPDATE SET text=excluded.text, tags=excluded.tags, "
                         "updated_at=excluded.updated_at", (user_id, text, json.dumps(tags), now))

    def interests(self, user_id: str) -> tuple[str, list[dict]] | None:
        row = self._one("SELECT text, tags FROM interests WHERE user_id=%s", (user_id,))
        return (row[0], json.loads(row[1])) if row else None

    def delete_user(self, user_id: str, erase: bool = False) -> bool:
        """Forget a user's history and derived state (`erase`: their content settings too)."""
        with self.transaction() as conn:
            lock_users(conn, [user_id])
            n = 0
            if erase:
                n += conn.execute("DELETE FROM content_preferences WHERE user_id=%s", (user_id,)).rowcount
            events = conn.execute(f"DELETE FROM events WHERE user_id=%s RETURNING {EVENT_COLUMNS}",
                                  (user_id,)).fetchall()
            n += len(events)
            apply_counters(conn, events, getattr(self, "half_life_days", 7.0), sign=-1)
            n += conn.execute("DELETE FROM interests WHERE user_id=%s", (user_id,)).rowcount
            n += conn.execute("DELETE FROM user_state WHERE user_id=%s", (user_id,)).rowcount
            n += conn.execute("DELETE FROM user_videos WHERE user_id=%s", (user_id,)).rowcount
            conn.execute("DELETE FROM co_recent WHERE user_id=%s", (user_id,))  # the pair counts are anonymous
            n += conn.execute("DELETE FROM users WHERE user_id=%s", (user_id,)).rowcount
            self._log_changes(conn, COUNTERS, sorted({e[1] for e in events}))
        return n > 0

    def users(self) -> list[str]:
        return [r[0] for r in self._all("SELECT user_id FROM users ORDER BY user_id")]

    def set_show_sensitive(self, user_id: str, show: bool) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO content_preferences(user_id, show_sensitive, updated_at) VALUES (%s,%s,%s) "
                         "ON CONFLICT (user_id) DO UPDATE SET show_sensitive=excluded.show_sensitive, "
                         "updated_at=excluded.updated_at", (user_id, bool(show), time.time()))

    def shows_sensitive(self, user_id: str) -> bool:
        row = self._one("SELECT show_sensitive FROM content_preferences WHERE user_id=%s", (user_id,))
        return bool(row and row[0])
