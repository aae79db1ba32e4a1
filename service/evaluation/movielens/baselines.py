"""Baseline rankings the recommender is compared with: random, popularity (all-time like counts of the training
users), plain content (cosine to the mean text vector of the revealed likes, else views; for stated interests,
to the interest text's vector) and LightFM (WARP, with item and user features; an optional extra).
"""
from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp

from service.evaluation.movielens.data import LIKE_FROM, VIEW_FROM, MovieLens

STOP_WORDS = {"the", "and", "of", "a", "an", "in", "to", "for", "on", "with", "la", "le", "de", "les", "el", "des",
              "part", "ii", "iii", "from", "at", "my", "is", "it", "be", "no", "s", "i", "me", "you", "all", "aka",
              "vs"}
LIGHTFM = {"no_components": 64, "loss": "warp", "learning_rate": 0.05, "item_alpha": 1e-6, "user_alpha": 1e-6,
           "max_sampled": 30}
LIGHTFM_EPOCHS = 20
HISTORY_FEATURES = 5  # a user's first engaged movies are user features: a trained user also looks "cold"


def lightfm_missing() -> str | None:
    """None when lightfm can be imported, else why not (the message the evaluation prints)."""
    try:
        import lightfm  # noqa: F401
    except ImportError as exc:
        return (f"LightFM column skipped: lightfm is not installed ({exc}); install the extra as the README's "
                "'Evaluation on MovieLens' section says")
    return None


def popularity(data: MovieLens, train: np.ndarray) -> np.ndarray:
    """Like counts per movie over the training ratings."""
    likes = train[data.ratings[train] >= LIKE_FROM]
    return np.bincount(data.items[likes], minlength=len(data.movie_ids)).astype(float)


def plain_content(data: MovieLens, vectors: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Cosine of every movie to the mean vector of the shown likes (else views); zeros with neither."""
    for threshold in (LIKE_FROM, VIEW_FROM):
        picked = shown[data.ratings[shown] >= threshold]
        if len(picked):
            return vectors @ vectors[data.items[picked]].mean(axis=0)
    return np.zeros(len(vectors))


def _title_words(title: str) -> list[str]:
    words = [w for w in re.findall(r"[a-z0-9]+", title.lower()) if w not in STOP_WORDS and len(w) > 1]
    year = re.search(r"\((\d{4})\)\s*$", title)
    return words + ([f"decade_{year.group(1)[:3]}0"] if year else [])


def _rows_summing_to_one(rows: list[dict[int, float]], width: int) -> sp.csr_matrix:
    r, c, v = [], [], []
    for i, feats in enumerate(rows):
        total = sum(feats.values()) or 1.0
        for j, x in feats.items():
            r.append(i)
            c.append(j)
            v.append(x / total)
    return sp.csr_matrix((v, (r, c)), shape=(len(rows), width), dtype=np.float32)


class LightFMBaseline:
    """LightFM WARP on the training likes, with item features (identity for trained movies, genres, title words
    seen twice or more, decade) and user features (identity, genre affinity, a constant, first engaged movies)."""

    def __init__(self, data: MovieLens, train: np.ndarray, user_history: dict[str, np.ndarray], seed: int):
        from lightfm import LightFM

        self.data = data
        self.genres = sorted({g for gs in data.genres for g in gs})
        self.users = sorted({str(u) for u in data.users[train]})
        self.user_index = {u: i for i, u in enumerate(self.users)}
        known = np.zeros(len(data.movie_ids), bool)
        known[data.items[train]] = True
        self.item_features = self._item_features(known)
        train_set = set(train.tolist())
        histories = [np.array([r for r in user_history[u] if r in train_set], np.int64) for u in self.users]
        self.user_features = self._user_rows(histories, identity=True)
        likes = train[data.ratings[train] >= LIKE_FROM]
        interactions = sp.coo_matrix((np.ones(len(likes), np.float32),
                                      ([self.user_index[str(u)] for u in data.users[likes]], data.items[likes])),
                                     shape=(len(self.users), len(data.movie_ids)))
        self.model = LightFM(random_state=seed, **LIGHTFM)
        self.model.fit(interactions.tocsr(), user_features=self.user_features, item_features=self.item_features,
                       epochs=LIGHTFM_EPOCHS, num_threads=1)

    def _item_features(self, known: np.ndarray) -> sp.csr_matrix:
        tokens = [[f"g:{g}" for g in gs] + [f"w:{w}" for w in _title_words(t)]
                  for gs, t in zip(self.data.genres, self.data.titles, strict=True)]
        df: dict[str, int] = {}
        for toks in tokens:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        vocab = {t: j for j, t in enumerate(sorted(t for t, n in df.items() if n >= 2))}
        ident = {int(i): j for j, i in enumerate(np.flatnonzero(known))}
        rows = []
        for i, toks in enumerate(tokens):
            kept = [t for t in toks if t in vocab]
            feats = {len(ident) + vocab[t]: 1.0 / max(1, len(kept)) for t in kept}
            if i in ident:
                feats[ident[i]] = 1.0
            rows.append(feats)
        return _rows_summing_to_one(rows, len(ident) + len(vocab))

    def _user_row(self, shown: np.ndarray, genres: list[str] = ()) -> dict[int, float]:
        d, n_users, n_genres = self.data, len(self.users), len(self.genres)
        weights = np.where(d.ratings[shown] >= LIKE_FROM, 1.0, np.where(d.ratings[shown] >= VIEW_FROM, 0.5, 0.0))
        affinity = np.zeros(n_genres)
        for r, w in zip(shown, weights, strict=True):
            for g in d.genres[d.items[r]]:
                affinity[self.genres.index(g)] += w
        for g in genres:
            affinity[self.genres.index(g)] = 1.0
        feats = {n_users + j: float(affinity[j] / affinity.sum()) for j in np.flatnonzero(affinity)}
        feats[n_users + n_genres] = 1.0
        engaged = [(int(d.items[r]), w) for r, w in zip(shown[:HISTORY_FEATURES], weights, strict=False) if w > 0]
        total = sum(w for _, w in engaged)
        for item, w in engaged:
            key = n_users + n_genres + 1 + item
            feats[key] = feats.get(key, 0.0) + w / total
        return feats

    def _width(self) -> int:
        return len(self.users) + len(self.genres) + 1 + len(self.data.movie_ids)

    def _user_rows(self, histories: list[np.ndarray], identity: bool) -> sp.csr_matrix:
        rows = []
        for u, shown in enumerate(histories):
            feats = self._user_row(shown[:HISTORY_FEATURES])
            if identity:
                feats[u] = 1.0
            rows.append(feats)
        return _rows_summing_to_one(rows, self._width())

    def scores(self, user: str, shown: np.ndarray, genres: list[str] = ()) -> np.ndarray:
        """Scores of every movie: a trained user by their own row, a new one from what they revealed."""
        if user in self.user_index:
            features = self.user_features[self.user_index[user]]
        else:
            features = _rows_summing_to_one([self._user_row(shown, genres)], self._width())
        items = np.arange(len(self.data.movie_ids), dtype=np.int32)
        return self.model.predict(0, items, user_features=features, item_features=self.item_features,
                                  num_threads=1)
