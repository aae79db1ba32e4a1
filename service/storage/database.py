"""One SQLite connection with its lock, transactions and schema migrations.

SQLite (WAL) is the source of truth; indexes and caches are rebuilt from it. The schema is versioned
with `PRAGMA user_version`: each migration in `schema.MIGRATIONS` runs once, in order, in the same
transaction that bumps the version, so a crash mid-migration leaves the old schema intact.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np

from service.errors import StoreBusyError
from service.storage.schema import MIGRATIONS


def to_blob(vector: np.ndarray) -> bytes:
    """float32 little-endian bytes: the on-disk form of every vector."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").copy()


class Database:
    """The connection shared by the entity tables mixed into `Store`; statements run under `self.lock`."""

    def __init__(self, path: str | Path, timeout_s: float = 30.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, timeout=timeout_s, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        # Deleted content is overwritten with zeros, so an erased user's rows do not survive in free pages until a
        # VACUUM; set here because the compiled-in default differs between SQLite builds.
        self.conn.execute("PRAGMA secure_delete=ON")
        self.conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        self._migrate()

    @property
    def schema_version(self) -> int:
        return int(self._one("PRAGMA user_version")[0])

    def _migrate(self) -> None:
        """Apply the migrations this file has not seen yet, each in its own transaction."""
        self.migrated_from = self.schema_version  # what the file had before this open
        for version, script in enumerate(MIGRATIONS, start=1):
            if self.schema_version >= version:
                continue
            with self.transaction():
                if self.schema_version < version:  # another process may have migrated meanwhile
                    for statement in _statements(script):
                        self.conn.execute(statement)
                    self.conn.execute(f"PRAGMA user_version={version}")

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one query and fetch every row while holding the lock."""
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: tuple = ()) -> tuple | None:
        with self.lock:
            return self.conn.execute(sql, params).fetchone()

    def transaction(self) -> Transaction:
        return Transaction(self.conn, self.lock)


def _statements(script: str) -> list[str]:
    """Split a migration script into complete statements (executescript would commit our transaction);
    `sqlite3.complete_statement` keeps trigger bodies, which contain semicolons, in one piece."""
    statements, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip())
            pending = ""
    return statements


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error, so a failed write leaves nothing behind. A write lock
    not had within the busy timeout is StoreBusyError (503 `store_busy`, retry), not SQLite's OperationalError."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock):
        self.conn = conn
        self.lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException as exc:
            self.lock.release()
            if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
                raise StoreBusyError() from exc  # other writers held the file for the whole busy timeout
            raise
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()
        return False
