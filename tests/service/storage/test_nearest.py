"""Nearest videos to a vector, on each backend: a filter that keeps 2% of the videos still gives k rows, and the
PostgreSQL store's HNSW path needs its iterative scan for that (shown on the index itself)."""
from __future__ import annotations

import numpy as np
import pytest

from service.storage.rows import Neighbour
from tests.helpers.records import synthetic_record

N, NEWER, K = 1000, 20, 10  # 20 of 1000 videos (2%) are newer than the filter's time
WIDTH = 8  # per modality: fused vectors of 24


def _records(n: int = N, newer: int = NEWER, space: str = "synthetic", width: int = WIDTH):
    rng = np.random.default_rng(7)
    return [synthetic_record(f"v{i:04d}", {m: rng.normal(size=width) for m in ("text", "visual", "audio")},
                             space_id=space, created_at=(5000.0 + i) if i >= n - newer else 1000.0 + i / n)
            for i in range(n)]


def _exact(records, query: np.ndarray, k: int, since: float = float("-inf"), exclude=()) -> list[str]:
    kept = [r for r in records if r.created_at > since and r.id not in set(exclude)]
    matrix = np.stack([r.fused.vector.astype(np.float32) for r in kept])
    scores = matrix @ query / np.linalg.norm(matrix, axis=1) / np.linalg.norm(query)
    return [kept[i].id for i in np.lexsort(([r.id for r in kept], -scores))[:k]]


@pytest.fixture()
def filled(open_store):
    store, records = open_store(), _records()
    store.add_many(records)
    return store, records


def test_a_filter_keeping_two_percent_of_the_videos_still_returns_k_exactly(filled):
    store, records = filled
    query = np.random.default_rng(1).normal(size=records[0].fused.vector.size).astype(np.float32)
    hits = store.nearest(query, K, created_after=4999.0)
    assert all(isinstance(h, Neighbour) for h in hits)
    assert [h.video_id for h in hits] == _exact(records, query, K, since=4999.0)
    assert all(int(h.video_id[1:]) >= N - NEWER for h in hits)
    scores = [h.similarity for h in hits]
    assert scores == sorted(scores, reverse=True) and -1.0 <= scores[-1] <= scores[0] <= 1.0
    seen = [h.video_id for h in hits[:3]]
    again = store.nearest(query, K, created_after=4999.0, exclude=seen)
    assert [h.video_id for h in again] == _exact(records, query, K, since=4999.0, exclude=seen)
    assert len(store.nearest(query, K, created_after=5000.0 + N - 4)) == 3  # only 3 newer: all of them
    assert store.nearest(query, K, created_after=1e9) == [] and store.nearest(query, 0) == []


def test_without_a_filter_the_nearest_are_found_among_all(filled):
    store, records = filled
    query = records[42].fused.vector.astype(np.float32)
    hits = store.nearest(query, K)
    assert len(hits) == K and hits[0].video_id == "v0042" and hits[0].similarity == pytest.approx(1.0, abs=2e-3)
    recall = len({h.video_id for h in hits} & set(_exact(records, query, K))) / K
    assert recall >= 0.8  # PostgreSQL answers from its HNSW index here (approximate); SQLite scans exactly


def test_videos_left_flagged_by_a_reindex_are_never_nearest(open_store):
    store, records = open_store(), _records(n=20, newer=0)
    store.add_many(records)
    moved = _records(n=20, newer=0, space="new", width=WIDTH + 2)
    store.replace_vectors(moved[:15], flagged=[r.id for r in moved[15:]])
    query = moved[0].fused.vector.astype(np.float32)
    assert {h.video_id for h in store.nearest(query, 20)} == {r.id for r in moved[:15]}
    assert store.nearest(records[16].fused.vector.astype(np.float32), 5) == []  # the old space's width: none


@pytest.fixture()
def postgres_filled(postgres_url, tmp_path):
    from service.storage.postgres import PostgresStore

    store, records = PostgresStore(postgres_url, cache_dir=tmp_path), _records()
    store.add_many(records)
    yield store, records
    store.close()


def test_on_postgres_the_hnsw_index_needs_the_iterative_scan_to_return_k_under_a_selective_filter(postgres_filled):
    from service.storage.postgres.nearest import indexed_query, iterative_scan

    store, records = postgres_filled
    width = records[0].fused.vector.size
    query = np.random.default_rng(2).normal(size=width).astype(np.float32)
    from service.storage.postgres.vectors import Vector

    params = (Vector(query), 4999.0, [], K)
    with store.transaction() as conn:
        conn.execute("SET LOCAL enable_seqscan = off")  # the planner may scan a table this small: show the index
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + indexed_query(width), params))
        assert "videos_fused_hnsw" in plan
        conn.execute("SET LOCAL hnsw.iterative_scan = off")
        plain = conn.execute(indexed_query(width), params).fetchall()
        iterative_scan(conn, K)
        iterated = conn.execute(indexed_query(width), params).fetchall()
    assert len(plain) < K  # ef_search candidates, 2% of them newer: a plain index scan comes back short
    assert len(iterated) == K and all(int(vid[1:]) >= N - NEWER for vid, _ in iterated)
    recall = len({vid for vid, _ in iterated} & set(_exact(records, query, K, since=4999.0))) / K
    assert recall >= 0.8
    store.exact_scan_max = 0  # every filtered query through the index, as at 1M videos
    hits = store.nearest(query, K, created_after=4999.0)
    assert len(hits) == K and all(int(h.video_id[1:]) >= N - NEWER for h in hits)
