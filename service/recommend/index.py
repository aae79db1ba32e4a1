"""Vector indexes over fused video vectors, updated in place as videos arrive and leave.

Labels are the store's video slots (stable integers). `ExactIndex` scores the catalogue's own matrix (no copy);
`HnswIndex` (hnswlib) holds its own float32 copy, grows by `resize_index` and forgets by `mark_deleted`, and
is saved next to the store so a restart does not rebuild it. hnswlib allows concurrent searches but not a
search during an insert or resize, so searches share a reader-writer lock and changes take it exclusively.
Both search by inner product: for unit fused vectors that is the cosine score the matcher ranks by.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GROWTH = 1.25  # capacity multiplier when an index or matrix is full
MIN_CAPACITY = 1024


@dataclass
class Hits:
    rows: np.ndarray  # int64 slots, best first
    scores: np.ndarray  # float32 inner products


class ReadWriteLock:
    """Many readers or one writer; a waiting writer keeps new readers out so it is not starved."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._waiting = 0

    @contextmanager
    def reading(self):
        with self._cond:
            self._cond.wait_for(lambda: not self._writing and not self._waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self):
        with self._cond:
            self._waiting += 1
            self._cond.wait_for(lambda: not self._writing and self._readers == 0)
            self._waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class VectorMatrix:
    """Vectors by slot in a growable matrix (float32, or float16 to halve the rescoring copy at scale)."""

    def __init__(self, dim: int, dtype=np.float32, capacity: int = MIN_CAPACITY):
        self.dim = dim
        self.matrix = np.zeros((max(capacity, 1), dim), dtype)
        self.alive = np.zeros(max(capacity, 1), bool)
        self.end = 0  # one past the highest slot ever stored

    def ensure(self, slot: int) -> None:
        """Room for `slot`; growing copies, so a reader holding the old arrays keeps a consistent view."""
        if slot < len(self.alive):
            return
        capacity = max(int(len(self.alive) * GROWTH), slot + 1, MIN_CAPACITY)
        matrix = np.zeros((capacity, self.dim), self.matrix.dtype)
        matrix[: self.end] = self.matrix[: self.end]
        alive = np.zeros(capacity, bool)
        alive[: self.end] = self.alive[: self.end]
        self.matrix, self.alive = matrix, alive

    def put(self, slots: np.ndarray, vectors: np.ndarray) -> None:
        if len(slots) == 0:
            return
        self.ensure(int(slots.max()))
        self.matrix[slots] = vectors
        self.alive[slots] = True
        self.end = max(self.end, int(slots.max()) + 1)

    def remove(self, slot: int) -> None:
        if slot < len(self.alive):
            self.alive[slot] = False

    def rows(self, slots: np.ndarray) -> np.ndarray:
        return self.matrix[slots].astype(np.float32, copy=False)

    def scores(self, slots: np.ndarray, query: np.ndarray, chunk: int = 4096) -> np.ndarray:
        """query . vector for the given slots, in chunks so a float16 matrix never converts whole."""
        out = np.empty(len(slots), np.float32)
        q = np.asarray(query, np.float32)
        for start in range(0, len(slots), chunk):
            out[start : start + chunk] = self.rows(slots[start : start + chunk]) @ q
        return out


def _top(scores: np.ndarray, labels: np.ndarray, k: int) -> Hits:
    k = min(k, len(scores))
    if k <= 0:
        return Hits(np.zeros(0, np.int64), np.zeros(0, np.float32))
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    top = top[np.argsort(-scores[top], kind="stable")]
    return Hits(labels[top].astype(np.int64), scores[top])


class ExactIndex:
    """Brute-force inner product over the catalogue's float32 matrix: exact, fast to tens of thousands."""

    kind = "exact"

    def __init__(self, vectors: VectorMatrix):
        self.vectors = vectors

    def __len__(self) -> int:
        return int(self.vectors.alive[: self.vectors.end].sum())

    def add(self, slots: np.ndarray, vectors: np.ndarray) -> None:
        """Nothing to do: the matrix it searches is the catalogue's own."""

    def remove(self, slot: int) -> bool:
        """Nothing to do: dead slots are skipped by the alive mask."""
        return True

    def search(self, query: np.ndarray, k: int) -> Hits:
        end = self.vectors.end
        alive = self.vectors.alive[:end]
        scores = self.vectors.matrix[:end] @ np.asarray(query, np.float32)  # a view: no copy of the matrix
        live = np.flatnonzero(alive)
        return _top(scores[live], live, k)


class HnswIndex:
    """Approximate inner-product search with hnswlib (a graph index: milliseconds at a million videos)."""

    kind = "hnsw"

    def __init__(self, dim: int, m: int = 16, ef_construction: int = 128, ef_search: int = 400,
                 capacity: int = MIN_CAPACITY, seed: int = 0, index=None):
        import hnswlib

        self.dim, self.ef_search = dim, ef_search
        self.lock = ReadWriteLock()
        if index is None:
            index = hnswlib.Index(space="ip", dim=dim)
            index.init_index(max_elements=max(capacity, MIN_CAPACITY), ef_construction=ef_construction, M=m,
                             random_seed=seed, allow_replace_deleted=True)
        self.index = index
        self.index.set_ef(ef_search)  # a search for k > ef explores max(ef, k) (hnswlib), so ef is set once
        self.live = int(index.element_count)  # elements not marked deleted

    @classmethod
    def load(cls, path: Path, dim: int, ef_search: int, headroom: int = MIN_CAPACITY) -> HnswIndex:
        """A saved index; its deleted elements are re-marked by the catalogue's reconciliation."""
        import hnswlib

        index = hnswlib.Index(space="ip", dim=dim)
        index.load_index(str(path), allow_replace_deleted=True)
        index.resize_index(index.get_current_count() + headroom)
        return cls(dim, ef_search=ef_search, index=index)

    def __len__(self) -> int:
        return self.live

    def add(self, slots: np.ndarray, vectors: np.ndarray, threads: int = 1) -> None:
        if len(slots) == 0:
            return
        with self.lock.writing():
            needed = self.index.element_count + len(slots)
            if needed > self.index.max_elements:
                self.index.resize_index(max(needed, int(self.index.max_elements * GROWTH)))
            self.index.add_items(np.asarray(vectors, np.float32), np.asarray(slots, np.int64), num_threads=threads,
                                 replace_deleted=True)
            self.live += len(slots)

    def remove(self, slot: int) -> bool:
        """Forget a slot; False when it was not there (never added, or already deleted)."""
        with self.lock.writing():
            try:
                self.index.mark_deleted(int(slot))
            except RuntimeError:
                return False
            self.live -= 1
            return True

    def search(self, query: np.ndarray, k: int) -> Hits:
        with self.lock.reading():
            k = min(k, len(self))
            if k <= 0:
                return Hits(np.zeros(0, np.int64), np.zeros(0, np.float32))
            labels, distances = self.index.knn_query(np.asarray(query, np.float32)[None, :], k=k, num_threads=1)
        # hnswlib's "ip" distance is 1 - inner product.
        return Hits(labels[0].astype(np.int64), (1.0 - distances[0]).astype(np.float32))

    def save(self, path: Path) -> None:
        with self.lock.writing():
            self.index.save_index(str(path))

    def labels(self) -> np.ndarray:
        return np.asarray(self.index.get_ids_list(), np.int64)
