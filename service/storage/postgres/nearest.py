"""Nearest videos to a vector on PostgreSQL, over the HNSW index on the fused vector's halfvec cast, with filters
that still return k rows.

A plain HNSW scan visits `hnsw.ef_search` candidates and filters afterwards: with `created_after` keeping 2% of
the videos, a k=10 query would keep about one of 40. So:
- a selective filter (at most EXACT_SCAN_MAX videos newer than `created_after`) is an exact scan of those rows
  (found through the `videos_created` index; their full-precision float32 distance, no approximation);
- otherwise the HNSW index is scanned iteratively (pgvector >= 0.8, `hnsw.iterative_scan = relaxed_order`):
  it goes on past ef_search until k rows pass the filter or `hnsw.max_scan_tuples` is reached; the rows are
  re-sorted by distance after (relaxed order may return them slightly out of order);
- should that still give fewer than k (a filter that is selective inside the index's reach), the exact scan
  answers.
Only ranked videos are returned (those a re-index left in an older space are not: `flagged_ids`), in the
store's current width (the partial index's predicate, so the planner may use it).
"""
from __future__ import annotations

import numpy as np
import psycopg

from service.storage.postgres.database import PgDatabase
from service.storage.postgres.vectors import Vector
from service.storage.rows import Neighbour

EXACT_SCAN_MAX = 20_000  # as the feed's FRESH_SCAN_MAX: at most this many newer videos are scored exactly
MAX_SCAN_TUPLES = 50_000  # hnsw.max_scan_tuples for an iterative scan (pgvector's default is 20,000)


def iterative_scan(conn: psycopg.Connection, k: int) -> None:
    """This transaction's HNSW scans go on until k rows pass the filter (or MAX_SCAN_TUPLES were visited)."""
    conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    conn.execute(f"SET LOCAL hnsw.max_scan_tuples = {MAX_SCAN_TUPLES}")
    conn.execute(f"SET LOCAL hnsw.ef_search = {max(40, min(int(k), 1000))}")


def indexed_query(width: int) -> str:
    """The k nearest by the HNSW index (its expression and partial predicate, so the planner can use it), then
    re-sorted: parameters (query vector, created_after, excluded ids, k)."""
    return (f"WITH near AS MATERIALIZED (SELECT v.id, v.fused::halfvec({width}) <=> %s::vector::halfvec({width}) "
            f"AS d FROM videos v WHERE vector_dims(v.fused) = {width} AND v.created_at > %s "
            "AND NOT (v.id = ANY(%s)) AND EXISTS (SELECT 1 FROM video_ranking r WHERE r.video_id = v.id) "
            "ORDER BY d LIMIT %s) SELECT id, d FROM near ORDER BY d, id")


class PgNearestTable(PgDatabase):
    exact_scan_max = EXACT_SCAN_MAX  # an attribute, so a test can send every filtered query to the index

    def nearest(self, vector: np.ndarray, k: int, created_after: float | None = None,
                exclude: list[str] | tuple[str, ...] = ()) -> list[Neighbour]:
        """The k ranked videos most similar (cosine) to `vector`, most similar first, created strictly after
        `created_after` when given and not in `exclude`; fewer only when fewer pass the filter."""
        query = np.asarray(vector, np.float32).ravel()
        if k <= 0 or not np.any(query):
            return []
        width = int(query.size)
        since = float("-inf") if created_after is None else float(created_after)
        excluded = sorted(set(exclude))
        with self.transaction() as conn:
            if created_after is not None and self._newer_at_most(conn, since, self.exact_scan_max):
                return self._exact(conn, query, k, since, excluded)
            iterative_scan(conn, k)
            rows = conn.execute(indexed_query(width), (Vector(query), since, excluded, int(k))).fetchall()
            if len(rows) < k:
                return self._exact(conn, query, k, since, excluded)
        return [Neighbour(vid, 1.0 - float(d)) for vid, d in rows]

    @staticmethod
    def _newer_at_most(conn, since: float, limit: int) -> bool:
        """Whether at most `limit` videos are newer than `since` (counts no further than limit + 1)."""
        n = conn.execute("SELECT count(*) FROM (SELECT 1 FROM videos WHERE created_at > %s LIMIT %s) s",
                         (since, limit + 1)).fetchone()[0]
        return n <= limit

    @staticmethod
    def _exact(conn, query: np.ndarray, k: int, since: float, excluded: list[str]) -> list[Neighbour]:
        """Every row passing the filter scored at float32 precision (the index is not used: its expression is
        the halfvec cast, this orders by the vector itself)."""
        rows = conn.execute(
            f"SELECT v.id, v.fused <=> %s AS d FROM videos v WHERE vector_dims(v.fused) = {int(query.size)} "
            "AND v.created_at > %s AND NOT (v.id = ANY(%s)) AND EXISTS (SELECT 1 FROM video_ranking r "
            "WHERE r.video_id = v.id) ORDER BY d, v.id LIMIT %s", (Vector(query), since, excluded, int(k))).fetchall()
        return [Neighbour(vid, 1.0 - float(d)) for vid, d in rows]
