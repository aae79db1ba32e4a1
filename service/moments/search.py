"""Ranking a video's moments against a query, and the best moment of each video a search returned.

A search never scans every stored moment: the video index answers first (as before), then only the moments of
the videos it returned are read (one SQLite query) and ranked in memory (a few dozen per video).

Scores are in [0, 1] and comparable across kinds:
- text, speech and music moments: the larger of the word overlap (share of the query's words found in the
  moment's words) and the cosine of the text embeddings;
- frame moments: the CLIP image-text cosine mapped linearly from CLIP_FLOOR (unrelated image and text) to
  CLIP_FULL (a clear match) onto [0, 1], since raw CLIP cosines sit in a narrow band around 0.2-0.3.
A vector is only compared with a query vector of its own embedding space (model); moments of another space are
scored by their words alone.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from service.errors import QueryError
from service.records import Moment

CLIP_FLOOR, CLIP_FULL = 0.15, 0.35
QUERY_CACHE = 64
_WORD = re.compile(r"\w+")


class MomentSource(Protocol):
    def moments_of(self, video_ids: list[str]) -> dict[str, list[Moment]]: ...


def words(text: str) -> set[str]:
    """Lower-case words of two or more characters."""
    return {w for w in _WORD.findall(text.casefold()) if len(w) > 1}


def thumbnail_url(video_id: str, frame_index: int) -> str:
    """Where the moment's frame is served (JPEG thumbnails of the sampled frames)."""
    return f"/videos/{video_id}/frames/{frame_index}.jpg"


@dataclass
class Query:
    """A query's words and its vectors per embedding space (model name -> unit vector)."""

    text: str
    words: set[str]
    vectors: dict[str, np.ndarray]


class MomentSearch:
    """Ranks moments with the text encoder (and CLIP's text tower when its weights are loaded)."""

    def __init__(self, store: MomentSource, text=None, visual=None, min_score: float = 0.25):
        self.store = store
        self.text = text
        self.visual = visual
        self.min_score = min_score
        self._queries: OrderedDict[str, Query] = OrderedDict()
        self._lock = threading.Lock()

    def query(self, text: str) -> Query:
        """The query's words and vectors (the last QUERY_CACHE queries are kept: a search and its moments
        embed the same words)."""
        if not text or not text.strip():
            raise QueryError("empty_query", "the search query is empty")
        with self._lock:
            cached = self._queries.get(text)
        if cached is not None:
            return cached
        vectors: dict[str, np.ndarray] = {}
        if self.text is not None:
            vectors[self.text.model] = self.text.embed([text])[0]
        if self.visual is not None:
            clip = self.visual.embed_text([text])
            if clip is not None:
                vectors[self.visual.model] = clip[0]
        query = Query(text, words(text), vectors)
        with self._lock:
            self._queries[text] = query
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return query

    def scores(self, moments: list[Moment], query: Query) -> np.ndarray:
        """One score in [0, 1] per moment (see the module docstring)."""
        out = np.zeros(len(moments))
        for i, m in enumerate(moments):
            q = query.vectors.get(m.model) if m.vector is not None else None
            cosine = float(m.vector @ q) if q is not None and q.size == m.vector.size else None
            if m.kind == "frame":
                out[i] = 0.0 if cosine is None else np.clip((cosine - CLIP_FLOOR) / (CLIP_FULL - CLIP_FLOOR), 0, 1)
                continue
            overlap = len(query.words & words(m.text)) / len(query.words) if query.words else 0.0
            out[i] = max(overlap, 0.0 if cosine is None else max(cosine, 0.0))
        return out

    def ranked(self, video_id: str, moments: list[Moment], query: Query, k: int) -> list[dict[str, Any]]:
        """The k best moments of one video (at least `min_score`), best first, as JSON-ready dicts."""
        scores = self.scores(moments, query)
        order = [i for i in np.argsort(-scores, kind="stable") if scores[i] >= self.min_score][:k]
        return [{**moments[i].to_dict(), "score": round(float(scores[i]), 4),
                 "thumbnail_url": thumbnail_url(video_id, moments[i].frame_index)} for i in order]

    def rank(self, video_id: str, text: str, k: int = 10) -> list[dict[str, Any]]:
        """One video's moments ranked against `text` (`GET /videos/{id}/moments?q=`)."""
        query = self.query(text)
        return self.ranked(video_id, self.store.moments_of([video_id])[video_id], query, k)

    def attach(self, text: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add each search item's best moment (`"moment"`: None when no moment reaches `min_score`)."""
        if not items:
            return items
        query = self.query(text)
        stored = self.store.moments_of([item["video_id"] for item in items])
        for item in items:
            best = self.ranked(item["video_id"], stored.get(item["video_id"], []), query, 1)
            item["moment"] = best[0] if best else None
        return items
