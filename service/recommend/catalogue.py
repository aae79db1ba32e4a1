"""The catalogue: everything ranking needs about the stored videos, in memory (fused matrix, per-modality unit
blocks, tags, categories, creators, creation times, the vector index), built from the store.

`CatalogueCache` keeps one built catalogue: a small one (exact search) is rebuilt on the next request after a
change; a large one (an HNSW build takes seconds to minutes) keeps serving while a background thread builds the
next.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from extractors.taxonomy import load_taxonomy
from service.config import IndexOptions
from service.fusion import MODALITIES, unit_blocks
from service.recommend.index import build_index
from service.recommend.profiles import tag_label

CATEGORY_SOURCES = ("category", "clip")  # tag sources that classify a video into the taxonomy
CATEGORY_MIN_COSINE = 0.25  # below this a text is not about any taxonomy category
HASHTAG_TAG_WEIGHT = 0.5  # hashtags are the uploader's claim: they count half as tags for ranking


@dataclass
class Catalogue:
    ids: list[str]
    row: dict[str, int]
    matrix: np.ndarray  # fused vectors, one row per video
    dims: dict[str, int]
    blocks: dict[str, np.ndarray]  # per-modality unit vectors [n, dim_m]
    tags: list[dict[str, float]]  # normalised tag label -> score
    category: list[str]
    creators: list[str]
    created_at: np.ndarray
    baseline: dict[str, float]  # length of the catalogue's mean unit vector per modality
    index: Any

    def video_blocks(self, vid: str) -> dict[str, np.ndarray]:
        i = self.row[vid]
        return {m: self.blocks[m][i] for m in MODALITIES if self.dims[m] and np.any(self.blocks[m][i])}

    @classmethod
    def empty(cls) -> Catalogue:
        return cls([], {}, np.zeros((0, 0), np.float32), {m: 0 for m in MODALITIES}, {}, [], [], [], np.zeros(0),
                   {}, None)


def build_catalogue(rows: list[dict], dims: dict[str, int], options: IndexOptions,
                    category_prototypes: np.ndarray | None) -> Catalogue:
    """A catalogue from the store's light rows (`Store.catalogue()`) and the store's modality dims."""
    if not rows:
        return Catalogue.empty()
    ids = [r["id"] for r in rows]
    matrix = np.stack([r["fused"] for r in rows]).astype(np.float32)
    blocks = unit_blocks(matrix, dims)
    text_categories = categorize_rows(blocks["text"], category_prototypes) if dims["text"] else [None] * len(ids)
    tags, categories = [], []
    for r, text_category in zip(rows, text_categories, strict=True):
        video_tags, category = _tags_and_category(r["tags"], text_category)
        tags.append(video_tags)
        categories.append(category)
    index = build_index(matrix, options.exact_max, options.m, options.ef_construction, options.ef_search)
    return Catalogue(ids, {v: i for i, v in enumerate(ids)}, matrix, dims, blocks, tags, categories,
                     [r["creator"] for r in rows], np.array([r["created_at"] for r in rows], float),
                     _baseline(blocks, dims), index)


def _baseline(blocks: dict[str, np.ndarray], dims: dict[str, int]) -> dict[str, float]:
    """Per modality, the length of the mean of the present unit vectors (how alike the catalogue is)."""
    out = {}
    for m in MODALITIES:
        present = blocks[m][np.any(blocks[m] != 0, axis=1)] if dims[m] else np.zeros((0, 0))
        out[m] = float(np.linalg.norm(present.mean(axis=0))) if len(present) else 0.0
    return out


def _tags_and_category(raw_tags: list[dict], text_category: str | None) -> tuple[dict[str, float], str]:
    tags: dict[str, float] = {}
    classified: dict[str, float] = {}
    for tag in raw_tags:
        label = tag_label(tag["label"])
        weight = float(tag["score"]) * (HASHTAG_TAG_WEIGHT if tag.get("source") == "hashtag" else 1.0)
        tags[label] = max(tags.get(label, 0.0), weight)
        if tag.get("source") in CATEGORY_SOURCES:
            classified[label] = max(classified.get(label, 0.0), weight)
    category = pick_category(classified, text_category)
    if category:
        tags[category] = max(tags.get(category, 0.0), 1.0)
    return tags, category


def pick_category(tags: dict[str, float], text_category: str | None) -> str:
    """The video's strongest taxonomy tag from a classifier (text or CLIP zero-shot), else the text's best
    category. Other tags whose label happens to be a category id (audio's "music") do not count."""
    ids = {c.id for c in load_taxonomy()}
    own = [(score, label) for label, score in tags.items() if label in ids]
    if own:
        return max(own)[1]
    return text_category or ""


def categorize_rows(text_blocks: np.ndarray, prototypes: np.ndarray | None) -> list[str | None]:
    """The nearest taxonomy category of each text vector (None when none is close enough)."""
    if prototypes is None or prototypes.shape[1] != text_blocks.shape[1]:
        return [None] * len(text_blocks)
    sims = text_blocks @ prototypes.T
    taxonomy = load_taxonomy()
    return [taxonomy[int(j)].id if np.any(row) and row[j] >= CATEGORY_MIN_COSINE else None
            for row, j in zip(sims, sims.argmax(axis=1), strict=True)]


class CatalogueCache:
    """One built catalogue, rebuilt after changes; `build` is called without holding the lock."""

    def __init__(self, build: Callable[[], Catalogue], exact_max: int):
        self._build = build
        self._exact_max = exact_max
        self._lock = threading.RLock()
        self._catalogue: Catalogue | None = None
        self._generation = 0  # bumped by every invalidate(); a background build checks it when done
        self._rebuilder: threading.Thread | None = None

    def get(self) -> Catalogue:
        with self._lock:
            if self._catalogue is None:
                self._catalogue = self._build()
            return self._catalogue

    def invalidate(self) -> None:
        """The store's videos changed: drop a small catalogue, rebuild a large one in the background."""
        with self._lock:
            self._generation += 1
            current = self._catalogue
            if current is None or len(current.ids) <= self._exact_max:
                self._catalogue = None
            elif self._rebuilder is None:
                self._rebuilder = threading.Thread(target=self._rebuild, name="catalogue-rebuild", daemon=True)
                self._rebuilder.start()

    def _rebuild(self) -> None:
        """Build catalogues until one is current (invalidations may arrive during a build), then swap it in."""
        while True:
            with self._lock:
                generation = self._generation
            fresh = self._build()
            with self._lock:
                self._catalogue = fresh
                if generation == self._generation:
                    self._rebuilder = None
                    return

    def wait_for_rebuild(self, timeout: float | None = None) -> None:
        """Block until a background rebuild (if any) has finished; for tests and orderly shutdown."""
        thread = self._rebuilder
        if thread is not None:
            thread.join(timeout)
