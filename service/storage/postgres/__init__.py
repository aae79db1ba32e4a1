"""The PostgreSQL + pgvector store: the same interface as the SQLite store (service.storage.interface), for any
number of `reelsense serve` replicas over one database. Chosen by `REELSENSE_DATABASE_URL=postgresql://...`.

A PostgresStore is thread-safe (a psycopg 3 connection pool inside); the server still opens one per thread,
as it does SQLite connections, each with a small pool (REELSENSE_DATABASE_POOL_SIZE).
"""
from __future__ import annotations

from pathlib import Path

from service.storage.counters import DEFAULT_HALF_LIFE_DAYS
from service.storage.postgres.events import PgEventTable
from service.storage.postgres.fitted import PgFittedTable
from service.storage.postgres.nearest import PgNearestTable
from service.storage.postgres.session import PgUserStateTable
from service.storage.postgres.sounds import PgSoundTable
from service.storage.postgres.users import PgUserTable
from service.storage.postgres.videos import PgVideoTable


class PostgresStore(PgVideoTable, PgEventTable, PgUserTable, PgUserStateTable, PgFittedTable, PgSoundTable,
                    PgNearestTable):
    """One embedding space's videos, events, users and serving state in one PostgreSQL database."""

    thread_safe = True  # every statement borrows a pooled connection: one object serves all threads

    def __init__(self, url: str, cache_dir: str | Path | None = None,
                 counters_half_life_days: float = DEFAULT_HALF_LIFE_DAYS, pool_size: int = 4,
                 timeout_s: float = 30.0):
        super().__init__(url, cache_dir=cache_dir, max_size=pool_size, timeout_s=timeout_s)
        self.half_life_days = counters_half_life_days


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and url.split(":", 1)[0] in ("postgresql", "postgres")


__all__ = ["PostgresStore", "is_postgres_url"]
