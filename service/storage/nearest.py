"""Nearest videos to a vector in the SQLite store: an exact scan (the file has no vector index; serving keeps
its own in-process HNSW index, service.recommend.index). The same answers as the PostgreSQL store's indexed
query (service.storage.postgres.nearest), so the shared storage suite holds both to one behaviour: k rows
whenever k pass the filter, however selective it is."""
from __future__ import annotations

import numpy as np

from service.storage.database import Database
from service.storage.rows import Neighbour

CHUNK = 20_000  # rows scored per read (one chunk of vectors in memory at a time)


class NearestTable(Database):
    def nearest(self, vector: np.ndarray, k: int, created_after: float | None = None,
                exclude: list[str] | tuple[str, ...] = ()) -> list[Neighbour]:
        """The k ranked videos most similar (cosine) to `vector`, most similar first, created strictly after
        `created_after` when given and not in `exclude`; fewer only when fewer pass the filter."""
        query = np.asarray(vector, np.float32).ravel()
        norm = float(np.linalg.norm(query))
        if k <= 0 or norm == 0.0:
            return []
        query = query / norm
        since = float("-inf") if created_after is None else float(created_after)
        excluded = set(exclude)
        best: list[tuple[float, str]] = []
        slot = -1
        while True:
            rows = self._all("SELECT r.slot, v.id, v.fused FROM video_ranking r JOIN videos v ON v.id = r.video_id "
                             "WHERE r.slot > ? AND v.created_at > ? ORDER BY r.slot LIMIT ?", (slot, since, CHUNK))
            if not rows:
                break
            slot = rows[-1][0]
            kept = [(vid, blob) for _, vid, blob in rows if vid not in excluded and len(blob) == 4 * query.size]
            if kept:
                matrix = np.frombuffer(b"".join(b for _, b in kept), "<f4").reshape(len(kept), query.size)
                norms = np.linalg.norm(matrix, axis=1)
                scores = (matrix @ query) / np.where(norms > 0, norms, 1.0)
                best.extend(zip(scores.tolist(), (vid for vid, _ in kept), strict=True))
                best = sorted(best, key=lambda s: (-s[0], s[1]))[:k]
        return [Neighbour(vid, score) for score, vid in best]
