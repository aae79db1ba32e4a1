"""The collaborative signal: item-item co-engagement, fitted off the request path by `reelsense fit`.

C[i, j] = idf(i) * sum over users u who engaged with both i and j of  e(u, i) * e(u, j) / sqrt(1 + n_u)

where e(u, v) is u's positive signal on v (capped at 1), n_u the number of videos u engaged with (a heavy user
says less about each pair) and idf(i) = 1 / log(2 + engagers of i) (a video everyone engaged with says little
about a user's taste). Scoring a candidate j for a user with history H is then sum_{i in H} e(i) C[i, j]: the
same sum as weighting every other user by how much of H they share and adding up what they engaged with
(user-kNN), but as a table lookup per history item. Each video keeps only its `top` strongest neighbours, so a
request costs O(|H| * top) whatever the number of events.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

NEIGHBOURS = 200  # neighbours kept per video
HISTORY_MAX = 100  # a request reads at most this many of the user's strongest engagements


@dataclass
class CoEngagement:
    """Per slot: neighbour slots and weights (what `reelsense fit` stored), loaded with the catalogue."""

    neighbours: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.neighbours)

    @classmethod
    def from_rows(cls, rows: list[tuple[int, int, float]]) -> CoEngagement:
        """From (slot, neighbour slot, weight) rows ordered by slot."""
        out = cls()
        if not rows:
            return out
        data = np.array(rows, np.float64)
        slots = data[:, 0].astype(np.int64)
        bounds = np.flatnonzero(np.diff(slots)) + 1
        for part in np.split(np.arange(len(slots)), bounds):
            out.neighbours[int(slots[part[0]])] = (data[part, 1].astype(np.int64), data[part, 2].astype(np.float32))
        return out

    @classmethod
    def from_video_rows(cls, rows: list[tuple[str, str, float]], row_of: dict[str, int]) -> CoEngagement:
        """From (video id, neighbour id, weight) rows as `fit_co_engagement` returns them, for the videos a
        catalogue holds (`row_of`: video id -> slot); pairs with a video it lacks are left out."""
        slots = [(row_of[a], row_of[b], w) for a, b, w in rows if a in row_of and b in row_of]
        slots.sort(key=lambda r: r[0])
        return cls.from_rows(slots)

    def expand(self, seeds: np.ndarray, weights: np.ndarray) -> dict[int, float]:
        """sum_i weights_i * C[seed_i, j] for every neighbour j of the seeds."""
        parts = [(self.neighbours[int(s)], float(w)) for s, w in zip(seeds, weights, strict=True)
                 if int(s) in self.neighbours and w > 0]
        if not parts:
            return {}
        slots = np.concatenate([n[0] for n, _ in parts])
        values = np.concatenate([n[1] * w for n, w in parts])
        unique, inverse = np.unique(slots, return_inverse=True)
        return dict(zip(unique.tolist(), np.bincount(inverse, values).tolist(), strict=True))

    def scores(self, expanded: dict[int, float], rows: np.ndarray) -> np.ndarray:
        return np.array([expanded.get(int(r), 0.0) for r in rows], np.float64)


def fit_co_engagement(engagements: list[tuple[str, str, float]], top: int = NEIGHBOURS,
                      chunk: int = 2048) -> list[tuple[str, str, float]]:
    """(video, neighbour, weight) rows from (user, video, positive signal) engagements (sparse products, done in
    chunks of videos so memory stays bounded)."""
    if not engagements:
        return []
    users = {u: i for i, u in enumerate(sorted({u for u, _, _ in engagements}))}
    videos = sorted({v for _, v, _ in engagements})
    index = {v: i for i, v in enumerate(videos)}
    e = sp.csr_matrix(([min(1.0, w) for _, _, w in engagements],
                       ([users[u] for u, _, _ in engagements], [index[v] for _, v, _ in engagements])),
                      shape=(len(users), len(videos)), dtype=np.float64)
    e.sum_duplicates()
    per_user = np.asarray((e > 0).sum(axis=1)).ravel()
    engagers = np.asarray((e > 0).sum(axis=0)).ravel()
    scaled = sp.diags(1.0 / np.sqrt(1.0 + per_user)) @ e
    idf = 1.0 / np.log(2.0 + engagers)
    et = e.T.tocsr()
    rows: list[tuple[str, str, float]] = []
    for start in range(0, len(videos), chunk):
        block = (sp.diags(idf[start : start + chunk]) @ et[start : start + chunk] @ scaled).tocsr()
        for r in range(block.shape[0]):
            i = start + r
            lo, hi = block.indptr[r], block.indptr[r + 1]
            cols, vals = block.indices[lo:hi], block.data[lo:hi]
            keep = (cols != i) & (vals > 0)
            cols, vals = cols[keep], vals[keep]
            if len(vals) > top:
                best = np.argpartition(-vals, top - 1)[:top]
                cols, vals = cols[best], vals[best]
            rows.extend((videos[i], videos[int(c)], float(v)) for c, v in zip(cols, vals, strict=True))
    return rows
