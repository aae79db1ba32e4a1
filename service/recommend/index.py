"""Vector indexes over fused video vectors: exact numpy search, or HNSW (hnswlib) for big catalogues.

Both search by inner product, which for unit fused vectors (and unit-or-shorter user queries) is the
cosine score the matcher ranks by. SQLite stays the source of truth: an index is always rebuilt from it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Hits:
    rows: np.ndarray  # int64 row numbers into the indexed matrix, best first
    scores: np.ndarray  # float32 inner products


class ExactIndex:
    """Brute-force inner product: exact, and fast enough for tens of thousands of rows."""

    kind = "exact"

    def __init__(self, matrix: np.ndarray):
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def search(self, query: np.ndarray, k: int) -> Hits:
        n = len(self)
        k = min(k, n)
        if k <= 0:
            return Hits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        scores = self.matrix @ np.asarray(query, np.float32)
        top = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
        top = top[np.argsort(-scores[top], kind="stable")]
        return Hits(top.astype(np.int64), scores[top])


class HnswIndex:
    """Approximate inner-product search with hnswlib (graph index, sub-millisecond at 1M rows)."""

    kind = "hnsw"

    def __init__(self, matrix: np.ndarray, m: int = 16, ef_construction: int = 200, ef_search: int = 200,
                 threads: int = -1, seed: int = 0):
        import hnswlib

        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.n, dim = matrix.shape
        self.ef_search = ef_search
        self.index = hnswlib.Index(space="ip", dim=dim)
        self.index.init_index(max_elements=max(self.n, 1), ef_construction=ef_construction, M=m, random_seed=seed)
        if self.n:
            self.index.add_items(matrix, np.arange(self.n), num_threads=threads)
        self.index.set_ef(ef_search)

    def __len__(self) -> int:
        return int(self.n)

    def search(self, query: np.ndarray, k: int) -> Hits:
        k = min(k, self.n)
        if k <= 0:
            return Hits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        self.index.set_ef(max(self.ef_search, k))
        labels, distances = self.index.knn_query(np.asarray(query, np.float32)[None, :], k=k, num_threads=1)
        # hnswlib's "ip" distance is 1 - inner product.
        return Hits(labels[0].astype(np.int64), (1.0 - distances[0]).astype(np.float32))


def build_index(matrix: np.ndarray, exact_max: int = 20000, m: int = 16, ef_construction: int = 200,
                ef_search: int = 200) -> ExactIndex | HnswIndex:
    """Exact search up to `exact_max` rows, HNSW above."""
    if matrix.shape[0] <= exact_max:
        return ExactIndex(matrix)
    return HnswIndex(matrix, m=m, ef_construction=ef_construction, ef_search=ef_search)
