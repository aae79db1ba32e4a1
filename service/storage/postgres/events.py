"""Events and per-video counters on PostgreSQL, in one transaction per batch, as on SQLite.

A batch is COPYed into `events`; its counters are folded by the code both backends share
(service.storage.counters.counter_updates) over the counter rows locked FOR UPDATE in video-id order, so two
replicas writing events of one video at once add up instead of overwriting each other; the users of the batch
are serialised by a transaction-scoped advisory lock per user (taken in user-id order) because folding their
state reads and then writes their rows. A deadlock PostgreSQL still finds aborts the batch, which is run again.
"""
from __future__ import annotations

import time
from collections.abc import Iterable

import psycopg

from service.storage.changes import ALL, COUNTERS
from service.storage.counters import COUNTER_NAMES, DEFAULT_HALF_LIFE_DAYS, ENGAGEMENTS, counter_updates
from service.storage.events import ApplyEvents
from service.storage.postgres.changes import PgChangeTable
from service.storage.postgres.session import PgStateSession
from service.storage.rows import EventRow, event_rows
from service.storage.session import EVENT_COLUMNS

_COLUMNS = ", ".join(f'"{c}"' for c in COUNTER_NAMES)


def read_counters(conn: psycopg.Connection, video_ids: list[str] | None = None,
                  lock: bool = False) -> dict[str, dict[str, float]]:
    sql = f"SELECT video_id, {_COLUMNS} FROM video_counters"
    if video_ids is None:
        rows = conn.execute(sql).fetchall()
    else:
        rows = conn.execute(sql + " WHERE video_id = ANY(%s) ORDER BY video_id" + (" FOR UPDATE" if lock else ""),
                            (video_ids,)).fetchall()
    return {r[0]: dict(zip(COUNTER_NAMES, r[1:], strict=True)) for r in rows}


def apply_counters(conn: psycopg.Connection, rows: list[tuple], half_life_days: float, sign: int = 1) -> None:
    """Add (sign=1) or subtract (sign=-1, erasure) the events' counts, inside the caller's transaction."""
    touched = sorted({r[1] for r in rows})
    if not touched:
        return
    conn.execute("INSERT INTO video_counters(video_id) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING", (touched,))
    updates = counter_updates(read_counters(conn, touched, lock=True), rows, half_life_days, sign)
    assignments = ", ".join(f"{c}=%s" for c in _COLUMNS.split(", "))
    with conn.cursor() as cur:
        cur.executemany(f"UPDATE video_counters SET {assignments} WHERE video_id=%s",
                        [(*u[1:], u[0]) for u in updates])


def lock_users(conn: psycopg.Connection, users: list[str]) -> None:
    """Transaction-scoped advisory locks on these users, in the (sorted) order given."""
    conn.execute("SELECT count(pg_advisory_xact_lock(hashtextextended(u, 0))) FROM unnest(%s::text[]) AS u",
                 (users,))


def touch_users(conn: psycopg.Connection, users: list[str], now: float) -> None:
    conn.execute("INSERT INTO users(user_id, created_at, updated_at) SELECT u, %s, %s FROM unnest(%s::text[]) AS u "
                 "ON CONFLICT (user_id) DO UPDATE SET updated_at=excluded.updated_at", (now, now, users))


class PgEventTable(PgChangeTable):
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS

    def add_events(self, rows: Iterable[tuple], apply: ApplyEvents | None = None) -> int:
        """COPY the rows in one transaction with their counters; `apply(session, rows)` folds them into the users'
        state in the same transaction (without it the users' states are marked stale)."""
        rows = event_rows(rows)
        return self.retrying(self._write_events, rows, apply)

    def _write_events(self, conn: psycopg.Connection, rows: list[EventRow], apply: ApplyEvents | None) -> int:
        users = sorted({r.user_id for r in rows})
        lock_users(conn, users)
        touch_users(conn, users, time.time())
        with conn.cursor().copy(f"COPY events ({EVENT_COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        apply_counters(conn, rows, self.half_life_days)
        if apply is not None:
            apply(PgStateSession(conn), rows)
        else:
            conn.execute("UPDATE user_state SET stale=true WHERE user_id = ANY(%s)", (users,))
        self._log_changes(conn, COUNTERS, sorted({r.video_id for r in rows}))
        return len(rows)

    def events(self, user_id: str | None = None) -> list[EventRow]:
        sql = f"SELECT {EVENT_COLUMNS} FROM events"
        if user_id is None:
            return [EventRow(*r) for r in self._all(sql + " ORDER BY ts, id")]
        return [EventRow(*r) for r in self._all(sql + " WHERE user_id=%s ORDER BY ts, id", (user_id,))]

    def has_events(self, user_id: str) -> bool:
        return self._one("SELECT 1 FROM events WHERE user_id=%s LIMIT 1", (user_id,)) is not None

    def counters(self, video_ids: list[str] | None = None) -> dict[str, dict[str, float]]:
        with self.pool.connection() as conn:
            return read_counters(conn, None if video_ids is None else list(video_ids))

    def video_event_counts(self) -> dict[str, dict[str, int]]:
        return {vid: {k: int(c[k]) for k in c if not k.endswith("_decayed") and k not in ("decay_ts",
                                                                                        "watch_seconds")}
                for vid, c in self.counters().items()}

    def counters_by_slot(self, slots_from: int = 0) -> list[tuple]:
        engaged = " + ".join(f'c."{k}"' for k in ENGAGEMENTS)
        return [tuple(r) for r in self._all(
            f"SELECT r.slot, c.impression, c.view, c.skip, {engaged}, c.engaged_decayed, c.decay_ts "
            "FROM video_counters c JOIN video_ranking r ON r.video_id = c.video_id WHERE r.slot >= %s", (slots_from,))]

    def rebuild_counters(self) -> None:
        """Recompute every video's counters from the events (recovery), reading them through a server cursor."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM video_counters")
            with conn.cursor(name="rebuild_counters") as cursor:
                cursor.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY video_id")
                while batch := cursor.fetchmany(50_000):
                    apply_counters(conn, batch, self.half_life_days)
            self._log_changes(conn, COUNTERS, [ALL])
