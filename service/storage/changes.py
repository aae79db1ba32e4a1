"""The change log: what every writer changed, appended in the writer's own transaction.

A server keeps a live catalogue of the store in memory. Its own writes update it directly; writes by other
processes on the same file (`reelsense embed --db`, `reelsense import`, `reelsense events`, another server) reach
it through this log: the server reads the rows after the last one it saw (cheap, whatever the store's size) and
applies them through the same update paths. Rows are kept for `KEEP_S`; a reader that fell further behind finds
a gap in the numbering and reconciles with the store as a whole instead.
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from functools import cached_property

from service.storage.database import Database

VIDEO_ADDED = "video_added"  # key: video id (its ranking row, the slot, exists from this change on)
VIDEO_DELETED = "video_deleted"  # key: video id
COUNTERS = "counters"  # key: video id whose event counters changed, or ALL (counters rebuilt)
CATEGORY = "category"  # key: video id whose ranking category and tags changed
VECTORS = "vectors"  # key: ALL; every stored vector changed (re-index)
ALL = "*"
KEEP_S = 3600.0  # how long rows are kept
PRUNE_EVERY_S = 60.0  # a writer prunes at most this often


class ChangeLog:
    """Appends to the log inside the caller's transaction, and prunes it now and then (one per connection)."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        self._pruned_at = 0.0

    def append(self, kind: str, keys: Iterable[str]) -> None:
        now = time.time()
        self._conn.executemany("INSERT INTO change_log(kind, key, ts) VALUES (?,?,?)",
                               [(kind, key, now) for key in keys])
        if now - self._pruned_at > PRUNE_EVERY_S:
            self._pruned_at = now
            self.prune(now - KEEP_S)

    def prune(self, before_ts: float) -> None:
        """Delete the rows older than `before_ts`: a range of seq, found by reading only the rows deleted."""
        self._conn.execute(
            "DELETE FROM change_log WHERE seq < COALESCE((SELECT seq FROM change_log WHERE ts >= ? ORDER BY seq "
            "LIMIT 1), (SELECT MAX(seq) + 1 FROM change_log))", (before_ts,))


class ChangeTable(Database):
    @cached_property
    def change_log(self) -> ChangeLog:
        """The writers' side of the log (every entity table that writes appends through it)."""
        return ChangeLog(self.conn)

    def prune_changes(self, before_ts: float) -> None:
        with self.transaction():
            self.change_log.prune(before_ts)

    # -- reading ---------------------------------------------------------------------------------
    def last_change(self) -> int:
        """The number of the newest change ever logged (0 for none), pruned or not."""
        row = self._one("SELECT seq FROM sqlite_sequence WHERE name='change_log'")
        return int(row[0]) if row else 0

    def changes_after(self, seq: int, limit: int = 10_000) -> tuple[list[tuple[int, str, str]], int | None]:
        """Up to `limit` (seq, kind, key) rows after `seq`, oldest first; and, when rows right after `seq` were
        pruned before being read, the last of them (the caller must then reconcile with the store as a whole),
        else None. One read snapshot, so a commit in between cannot look like a gap."""
        with self.lock:
            self.conn.execute("BEGIN")
            try:
                rows = self.conn.execute("SELECT seq, kind, key FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?",
                                         (seq, limit)).fetchall()
                last_pruned = rows[0][0] - 1 if rows else self.last_change()
            finally:
                self.conn.execute("COMMIT")
        return rows, last_pruned if last_pruned > seq else None

    def data_version(self) -> int:
        """SQLite's `PRAGMA data_version`: changes when another connection commits to the file (a cheap test
        that anything changed, before reading the log)."""
        return int(self._one("PRAGMA data_version")[0])
