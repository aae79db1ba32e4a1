"""A pool of PostgreSQL connections with the store's transactions and versioned migrations.

PostgreSQL is the source of truth for every replica. Each statement borrows a pooled connection (psycopg 3
prepares a statement once it has run a few times on a connection); a write takes one connection for its whole
transaction. Migrations (postgres/schema.py) run once each, in order, in the transaction that records the
version, under an advisory lock, so replicas starting together migrate once.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import psycopg.conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from service.errors import StoreBusyError
from service.storage.postgres import vectors
from service.storage.postgres.schema import MIGRATIONS

log = logging.getLogger(__name__)
MIGRATION_LOCK = 7_245_117  # pg_advisory_xact_lock key: one migrating process at a time
DEADLOCK_RETRIES = 5  # a write transaction that lost a deadlock (two replicas' batches) is run again this often


class PgDatabase:
    """The pool shared by the entity tables mixed into `PostgresStore`. Thread-safe: one object serves every
    thread of a process (the pool hands each statement its own connection)."""

    def __init__(self, url: str, cache_dir: str | Path | None = None, min_size: int = 1, max_size: int = 4,
                 timeout_s: float = 30.0):
        self.url = url
        info = psycopg.conninfo.conninfo_to_dict(url)  # for messages: where, never the password
        self.where = f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
        self.pool = ConnectionPool(url, min_size=min_size, max_size=max_size, timeout=timeout_s, open=False,
                                   configure=self._configure, kwargs={"autocommit": True})
        with psycopg.connect(url, autocommit=True) as conn:
            self._migrate(conn)
            store_id = conn.execute("SELECT value FROM meta WHERE key='store_id'").fetchone()[0]
        # Where this process may keep what it can lose and rebuild (the in-process vector index, next to this
        # name): named by the database's own id, so a save is never read against another database.
        self.path = Path(cache_dir or "data") / f"postgres-{store_id}.db"
        self.pool.open(wait=True, timeout=timeout_s)

    @staticmethod
    def _configure(conn: psycopg.Connection) -> None:
        vectors.register(conn)

    # -- migrations --------------------------------------------------------------------------------
    def _migrate(self, conn: psycopg.Connection) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
        self.migrated_from = self._version(conn)
        if self.migrated_from < len(MIGRATIONS):  # a database with no store yet: pgvector first
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        for version, script in enumerate(MIGRATIONS, start=1):
            if self.migrated_from >= version:
                continue
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                if self._version(conn) < version:  # another replica may have migrated meanwhile
                    conn.execute(script)
                    conn.execute("DELETE FROM schema_version")
                    conn.execute("INSERT INTO schema_version(version) VALUES (%s)", (version,))

    @staticmethod
    def _version(conn: psycopg.Connection) -> int:
        row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    @property
    def schema_version(self) -> int:
        with self.pool.connection() as conn:
            return self._version(conn)

    # -- statements ----------------------------------------------------------------------------------
    def _all(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        """Run one query on a pooled connection and fetch every row (binary: vectors arrive as float32 bytes)."""
        with self.pool.connection() as conn:
            return conn.execute(sql, params, binary=True).fetchall()

    def _one(self, sql: str, params: tuple | list = ()) -> tuple | None:
        with self.pool.connection() as conn:
            return conn.execute(sql, params, binary=True).fetchone()

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """One pooled connection in a transaction: committed on success, rolled back on any error. No free
        connection within the pool timeout is StoreBusyError (503 `store_busy`, retry)."""
        try:
            conn = self.pool.getconn()
        except PoolTimeout as exc:
            raise StoreBusyError() from exc
        try:
            with conn.transaction():
                yield conn
        finally:
            self.pool.putconn(conn)

    def retrying(self, write, *args):
        """Run `write(conn, *args)` in a transaction, again when PostgreSQL broke a deadlock by aborting it."""
        for attempt in range(DEADLOCK_RETRIES):
            try:
                with self.transaction() as conn:
                    return write(conn, *args)
            except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure):
                if attempt == DEADLOCK_RETRIES - 1:
                    raise StoreBusyError() from None
                log.info("write transaction aborted by a deadlock; retrying (%d)", attempt + 1)
        return None

    def close(self) -> None:
        self.pool.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
