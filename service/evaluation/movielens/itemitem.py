"""Item-item baselines the recommender is compared with on MovieLens: EASE^R (Steck 2019, a closed-form linear
item-item model) and ItemKNN (cosine of the items' like sets, shrunk, each item's strongest neighbours).

Both learn from the training users' likes only and score a request from the likes it has revealed (a new user
is not a training user, so neither model has a row for them: they fold in the history like an item-item table).
EASE^R's regularisation lambda is chosen on training users only: a tenth of them are held out, each revealing
their first like and asked for the rest, and the lambda with the best NDCG@10 there is refitted on all of them.
EASE^R inverts an items x items Gram matrix: fine up to ~20k items (3.2 GB in float64); above it only ItemKNN
(sparse) runs.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from service.evaluation.movielens.data import LIKE_FROM, MovieLens
from service.evaluation.movielens.protocol import K, metrics

EASE_LAMBDAS = (10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0)
EASE_MAX_ITEMS = 20_000
KNN_NEIGHBOURS = 200
KNN_SHRINK = 10.0


def _likes_matrix(data: MovieLens, rows: np.ndarray, users: dict[str, int]) -> sp.csr_matrix:
    liked = rows[data.ratings[rows] >= LIKE_FROM]
    m = sp.csr_matrix((np.ones(len(liked)), ([users[u] for u in data.users[liked]], data.items[liked])),
                      shape=(len(users), len(data.movie_ids)))
    m.data[:] = 1.0  # a movie liked twice is one like
    return m


def _user_index(data: MovieLens, rows: np.ndarray) -> dict[str, int]:
    return {u: i for i, u in enumerate(sorted(set(data.users[rows].tolist())))}


def _history(data: MovieLens, shown: np.ndarray) -> np.ndarray:
    return np.unique(data.items[shown[data.ratings[shown] >= LIKE_FROM]])


def ease_weights(x: sp.csr_matrix, lam: float) -> np.ndarray:
    gram = (x.T @ x).toarray()
    gram[np.diag_indices_from(gram)] += lam
    p = np.linalg.inv(gram)
    b = -p / np.diag(p)
    b[np.diag_indices_from(b)] = 0.0
    return b


class EaseBaseline:
    """EASE^R with lambda picked on training users; `scores(shown)` over every movie."""

    def __init__(self, data: MovieLens, train: np.ndarray, seed: int):
        self.data = data
        users = _user_index(data, train)
        x = _likes_matrix(data, train, users)
        rng = np.random.default_rng(seed)
        names = np.array(sorted(users, key=users.get))
        val = set(rng.choice(names, size=max(1, len(names) // 10), replace=False).tolist())
        fit_rows = train[~np.isin(data.users[train], list(val))]
        x_fit = _likes_matrix(data, fit_rows, _user_index(data, fit_rows))
        val_rows = train[np.isin(data.users[train], list(val))]
        self.lambdas = {lam: self._validate(ease_weights(x_fit, lam), val_rows) for lam in EASE_LAMBDAS}
        self.lam = max(self.lambdas, key=lambda lam: (self.lambdas[lam], -lam))
        self.b = ease_weights(x, self.lam)

    def _validate(self, b: np.ndarray, rows: np.ndarray) -> float:
        """Mean NDCG@10 of the held-out training users revealing their first like."""
        data, out = self.data, []
        order = rows[np.lexsort((data.items[rows], data.times[rows], data.users[rows]))]
        liked = order[data.ratings[order] >= LIKE_FROM]
        by_user: dict[str, list[int]] = {}
        for r in liked:
            by_user.setdefault(str(data.users[r]), []).append(int(data.items[r]))
        for items in by_user.values():
            if len(items) < 2:
                continue
            scores = b[items[0]].copy()
            scores[items[0]] = -np.inf
            out.append(metrics(np.argsort(-scores, kind="stable")[:K].tolist(), set(items[1:]))[1])
        return float(np.mean(out)) if out else 0.0

    def scores(self, shown: np.ndarray) -> np.ndarray:
        hist = _history(self.data, shown)
        return self.b[hist].sum(axis=0) if len(hist) else np.zeros(len(self.data.movie_ids))


class ItemKnnBaseline:
    """Cosine item-item similarity of the like sets, shrunk by co-likes / (co-likes + shrink), top neighbours."""

    def __init__(self, data: MovieLens, train: np.ndarray, neighbours: int = KNN_NEIGHBOURS,
                 shrink: float = KNN_SHRINK):
        self.data = data
        x = _likes_matrix(data, train, _user_index(data, train)).tocsc()
        co = (x.T @ x).tocsr()
        co.setdiag(0.0)
        co.eliminate_zeros()
        norms = np.sqrt(np.asarray(x.sum(axis=0)).ravel())
        sim = co.tocoo()
        values = sim.data / (norms[sim.row] * norms[sim.col]) * sim.data / (sim.data + shrink)
        sim = sp.csr_matrix((values, (sim.row, sim.col)), shape=co.shape)
        self.sim = _top_per_row(sim, neighbours)

    def scores(self, shown: np.ndarray) -> np.ndarray:
        hist = _history(self.data, shown)
        if not len(hist):
            return np.zeros(len(self.data.movie_ids))
        return np.asarray(self.sim[hist].sum(axis=0)).ravel()


def _top_per_row(m: sp.csr_matrix, top: int) -> sp.csr_matrix:
    rows, cols, vals = [], [], []
    for i in range(m.shape[0]):
        lo, hi = m.indptr[i], m.indptr[i + 1]
        c, v = m.indices[lo:hi], m.data[lo:hi]
        if len(v) > top:
            keep = np.argpartition(-v, top - 1)[:top]
            c, v = c[keep], v[keep]
        rows.extend([i] * len(c))
        cols.extend(c.tolist())
        vals.extend(v.tolist())
    return sp.csr_matrix((vals, (rows, cols)), shape=m.shape)
