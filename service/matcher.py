"""Content-based recommender over the store's fused vectors (exact cosine search).

A user's vector is the event-weighted mean of the fused vectors of videos they engaged with, plus
their stated interests encoded into the text block. Scores split into per-modality contributions
because fused vectors are concatenations of sqrt(weight)-scaled modality blocks (see fusion.py).
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from service.config import Settings
from service.fusion import MODALITIES
from service.profiles import EVENT_WEIGHTS, Event, EventLog, validate
from service.store import Store

NEGATIVE = {"not_interested"}
SEEN = {"view", "like", "share", "comment"}


class Recommender:
    def __init__(self, store: Store, settings: Settings, text=None, visual=None):
        self.store = store
        self.settings = settings
        self.text = text
        self.visual = visual
        self.log = EventLog(store.conn)
        self._index: tuple[list[str], np.ndarray, dict[str, int]] | None = None

    # -- index -----------------------------------------------------------------------------------
    def invalidate(self) -> None:
        self._index = None

    def _matrix(self) -> tuple[list[str], np.ndarray, dict[str, int]]:
        if self._index is None:
            ids, matrix = self.store.fused_matrix()
            dims = self.store.get(ids[0]).fused.dims if ids else {m: 0 for m in MODALITIES}
            self._index = (ids, matrix, dims)
        return self._index

    def _blocks(self, dims: dict[str, int]) -> dict[str, slice]:
        out, start = {}, 0
        for m in MODALITIES:
            out[m] = slice(start, start + dims[m])
            start += dims[m]
        return out

    # -- events and interests --------------------------------------------------------------------
    def record_events(self, events: list[Event]) -> int:
        validate(events, self.store.has)
        return self.log.add(events)

    def set_interests(self, user_id: str, text: str = "", tags: list[str] = ()) -> dict:
        self.log.set_interests(user_id, text, list(tags))
        return self.profile(user_id)

    def refresh(self, user_id: str) -> None:
        self.log.clear(user_id)

    def _user_vector(self, user_id: str) -> tuple[np.ndarray | None, dict[str, float]]:
        ids, matrix, dims = self._matrix()
        if not ids:
            return None, {}
        row = {vid: i for i, vid in enumerate(ids)}
        weights: Counter = Counter()
        for e in self.log.for_user(user_id):
            w = EVENT_WEIGHTS[e.type]
            if e.type == "view" and e.completion is not None:
                w *= 0.5 + e.completion
            weights[e.video_id] += w
        vector = np.zeros(matrix.shape[1], np.float32)
        for vid, w in weights.items():
            if vid in row:
                vector += w * matrix[row[vid]]
        text, tags = self.log.interests(user_id)
        stated = " ".join([text, *tags]).strip()
        if stated and self.text is not None and dims.get("text") == self.text.dim:
            vector[self._blocks(dims)["text"]] += self.text.embed([stated])[0]
        norm = float(np.linalg.norm(vector))
        return (vector / norm if norm > 0 else None), dict(weights)

    def profile(self, user_id: str) -> dict:
        events = self.log.for_user(user_id)
        text, tags = self.log.interests(user_id)
        vector, weights = self._user_vector(user_id)
        tag_scores: Counter = Counter()
        for vid, w in weights.items():
            record = self.store.get(vid)
            if record is not None and w > 0:
                for t in record.tags[:8]:
                    tag_scores[t.label] += w * t.score
        return {
            "user_id": user_id,
            "event_count": len(events),
            "events_by_type": dict(Counter(e.type for e in events)),
            "interests": {"text": text, "tags": tags},
            "interest_tags": [{"label": k, "score": round(v, 4)} for k, v in tag_scores.most_common(10)],
            "cold_start": vector is None,
        }

    # -- ranking ---------------------------------------------------------------------------------
    def _items(self, scored: list[tuple[str, float, dict]]) -> list[dict]:
        return [{"video_id": v, "score": round(s, 6), "rank": i + 1, "explanation": x} for i, (v, s, x) in enumerate(scored)]

    def _contributions(self, user: np.ndarray, row: np.ndarray, dims: dict[str, int]) -> dict[str, float]:
        return {m: round(float(user[s] @ row[s]), 6) for m, s in self._blocks(dims).items()}

    def recommend(self, user_id: str, k: int = 10, diversity: float | None = None) -> list[dict]:
        ids, matrix, dims = self._matrix()
        events = self.log.for_user(user_id)
        excluded = {e.video_id for e in events if e.type in NEGATIVE or e.type in SEEN}
        candidates = [i for i, vid in enumerate(ids) if vid not in excluded]
        user, _ = self._user_vector(user_id)
        if user is None:  # cold start: newest first, nothing to personalise on yet
            newest = sorted(candidates, key=lambda i: -self.store.get(ids[i]).created_at)[:k]
            return self._items([(ids[i], 0.0, {"reason": "cold_start"}) for i in newest])
        scores = matrix @ user
        lam = 1.0 - float(np.clip(diversity if diversity is not None else 0.0, 0.0, 1.0))
        chosen: list[int] = []
        pool = list(candidates)
        while pool and len(chosen) < k:  # maximal marginal relevance
            def mmr(i: int) -> float:
                redundancy = max((float(matrix[i] @ matrix[j]) for j in chosen), default=0.0)
                return lam * float(scores[i]) - (1 - lam) * redundancy
            best = max(pool, key=mmr)
            chosen.append(best)
            pool.remove(best)
        return self._items(
            [(ids[i], float(scores[i]), {"reason": "similar_to_profile",
                                         "contributions": self._contributions(user, matrix[i], dims)}) for i in chosen]
        )

    def similar(self, video_id: str, k: int = 10) -> list[dict]:
        ids, matrix, dims = self._matrix()
        if video_id not in ids:
            raise KeyError(video_id)
        query = matrix[ids.index(video_id)]
        scores = matrix @ query
        order = [i for i in np.argsort(-scores, kind="stable") if ids[i] != video_id][:k]
        return self._items(
            [(ids[i], float(scores[i]), {"contributions": self._contributions(query, matrix[i], dims)}) for i in order]
        )

    def search(self, query: str, k: int = 10) -> list[dict]:
        ids, matrix, dims = self._matrix()
        if not ids or self.text is None or not query.strip():
            return []
        block = matrix[:, self._blocks(dims)["text"]]
        norms = np.linalg.norm(block, axis=1)
        q = self.text.embed([query])[0]
        scores = np.where(norms > 0, block @ q / np.maximum(norms, 1e-12), 0.0)
        order = np.argsort(-scores, kind="stable")[:k]
        return self._items([(ids[i], float(scores[i]), {"matched": "text"}) for i in order])

