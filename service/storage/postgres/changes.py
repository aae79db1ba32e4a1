"""The change log on PostgreSQL: what every writer changed, appended last in the writer's own transaction.

Numbers come from one counter row (`change_counter`) that the writer updates as its transaction's last step: the
row lock is held to commit, so numbers are handed out in commit order and without gaps (a rolled-back
transaction gives its numbers back), which is what a follower needs to tell a pruned range from rows still to
come (service.recommend.follow). Each logging transaction also sends `NOTIFY reelsense_changes` (delivered at
commit) so a replica listening can poll at once instead of waiting for its next interval.
"""
from __future__ import annotations

import time
from collections.abc import Iterable

import psycopg

from service.storage.changes import KEEP_S, PRUNE_EVERY_S
from service.storage.postgres.database import PgDatabase

CHANNEL = "reelsense_changes"


class PgChangeTable(PgDatabase):
    _pruned_at: float = 0.0

    def _log_changes(self, conn: psycopg.Connection, kind: str, keys: Iterable[str]) -> None:
        """Append (kind, key) rows, numbered in commit order; call as the transaction's last write."""
        keys = list(keys)
        if not keys:
            return
        now = time.time()
        last = conn.execute("UPDATE change_counter SET seq = seq + %s RETURNING seq", (len(keys),)).fetchone()[0]
        first = last - len(keys) + 1
        with conn.cursor().copy("COPY change_log (seq, kind, key, ts) FROM STDIN") as copy:
            for i, key in enumerate(keys):
                copy.write_row((first + i, kind, key, now))
        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(last)))
        if now - self._pruned_at > PRUNE_EVERY_S:
            self._pruned_at = now
            self._prune(conn, now - KEEP_S)

    @staticmethod
    def _prune(conn: psycopg.Connection, before_ts: float) -> None:
        """Delete the oldest rows, up to the first one written at or after `before_ts` (a prefix of seq)."""
        conn.execute("DELETE FROM change_log WHERE seq < COALESCE((SELECT min(seq) FROM change_log WHERE ts >= %s), "
                     "(SELECT max(seq) + 1 FROM change_log))", (before_ts,))

    def prune_changes(self, before_ts: float) -> None:
        with self.transaction() as conn:
            self._prune(conn, before_ts)

    def last_change(self) -> int:
        """The number of the newest change ever logged (0 for none), pruned or not."""
        return int(self._one("SELECT seq FROM change_counter")[0])

    def changes_after(self, seq: int, limit: int = 10_000) -> tuple[list[tuple[int, str, str]], int | None]:
        """Up to `limit` (seq, kind, key) rows after `seq`, oldest first, and the last pruned row right after `seq`
        (or None); both read in one snapshot, so a commit in between cannot look like a gap."""
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            rows = [tuple(r) for r in conn.execute(
                "SELECT seq, kind, key FROM change_log WHERE seq > %s ORDER BY seq LIMIT %s", (seq, limit))]
            last_pruned = rows[0][0] - 1 if rows else int(conn.execute("SELECT seq FROM change_counter").fetchone()[0])
        return rows, last_pruned if last_pruned > seq else None

    def data_version(self) -> int:
        """Changes whenever any process commits a logged change (the newest change number: one row's read)."""
        return self.last_change()
