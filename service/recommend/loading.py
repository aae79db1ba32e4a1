"""Loading the live catalogue from the store, and keeping its HNSW index on disk next to the store.

The saved index (folder `<db>.index/`: hnswlib graph, float16 vectors by slot, meta) is valid for the store's
embedding space, vector generation, dims and HNSW parameters; on load it is reconciled with the store by slot
(slots only grow, so videos stored since the save are those above its end, and deleted ones are the saved
labels the store no longer has). A catalogue small enough for exact search is read from the store instead.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from service.config import Settings
from service.recommend.catalogue import Catalogue, Columns, categorize
from service.recommend.collaborative import CoEngagement
from service.recommend.index import MIN_CAPACITY, ExactIndex, HnswIndex, VectorMatrix
from service.storage import Store
from service.storage.database import from_blob

log = logging.getLogger(__name__)
HEADROOM = 0.05  # spare capacity at load, so the first uploads do not copy the arrays


def index_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".index")


def empty_catalogue(dims: dict[str, int] | None = None) -> Catalogue:
    dims = dims or {"text": 0, "visual": 0, "audio": 0}
    return Catalogue(dims, VectorMatrix(sum(dims.values())), None)


def _meta(store: Store, settings: Settings, dims: dict[str, int]) -> dict:
    o = settings.index
    return {"space_id": store.space_id, "generation": store.vectors_generation, "dims": dims, "m": o.m,
            "ef_construction": o.ef_construction}


def load_catalogue(store: Store, settings: Settings, prototypes: np.ndarray | None = None,
                   build_threads: int = os.cpu_count() or 1) -> Catalogue:
    """The catalogue of every stored video: from the saved index when it is valid, else built from the store."""
    dims = store.dims()
    if dims is None:
        return empty_catalogue()
    started = time.perf_counter()
    count = store.count()
    capacity = int(count * (1 + HEADROOM)) + MIN_CAPACITY
    if count <= settings.index_exact_max:
        vectors = VectorMatrix(sum(dims.values()), np.float32, capacity)
        cat = Catalogue(dims, vectors, ExactIndex(vectors), cols=Columns.empty(capacity))
        _add_from_store(cat, store, 0, build_threads)
    else:
        cat = _load_saved(store, settings, dims, capacity) or _build_hnsw(store, settings, dims, capacity,
                                                                          build_threads)
    load_counters(cat, store)
    cat.co = CoEngagement.from_rows(store.co_engagement_by_slot())
    if prototypes is not None:
        _categorize_missing(cat, store, prototypes)
    log.info("catalogue: %d videos (%s) loaded in %.1f s", len(cat), cat.kind, time.perf_counter() - started)
    return cat


def _add_from_store(cat: Catalogue, store: Store, slot_from: int, threads: int) -> None:
    for rows in store.catalogue_rows(slot_from):
        cat.add_many(np.array([r[0] for r in rows], np.int64), [r[1] for r in rows], [r[2] for r in rows],
                     np.array([r[3] for r in rows], float), [r[4] for r in rows],
                     np.stack([from_blob(r[5]) for r in rows]), index_threads=threads)


def _build_hnsw(store: Store, settings: Settings, dims: dict[str, int], capacity: int, threads: int) -> Catalogue:
    o = settings.index
    dim = sum(dims.values())
    index = HnswIndex(dim, o.m, o.ef_construction, o.ef_search, capacity=capacity)
    cat = Catalogue(dims, VectorMatrix(dim, np.float16, capacity), index, cols=Columns.empty(capacity))
    _add_from_store(cat, store, 0, threads)
    return cat


@contextmanager
def _turns(folder: Path, exclusive: bool) -> Iterator[None]:
    """Loads (shared) and saves (exclusive) of the saved index by the processes of one host (`serve --processes`,
    `import` beside a server) take turns on `<folder>.lock`: a save renames the folders the others read."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield  # closing the file releases the lock


def _load_saved(store: Store, settings: Settings, dims: dict[str, int], capacity: int) -> Catalogue | None:
    folder = index_dir(store.path)
    if not folder.exists():
        return None
    with _turns(folder, exclusive=False):
        return _read_saved(folder, store, settings, dims, capacity)


def _read_saved(folder: Path, store: Store, settings: Settings, dims: dict[str, int],
                capacity: int) -> Catalogue | None:
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    if {k: meta.get(k) for k in _meta(store, settings, dims)} != _meta(store, settings, dims):
        log.info("saved index in %s is for other vectors or parameters: rebuilding", folder)
        return None
    dim = sum(dims.values())
    saved = np.load(folder / "vectors.npy", mmap_mode="r")
    end = int(meta["end"])
    vectors = VectorMatrix(dim, np.float16, max(capacity, end + MIN_CAPACITY))
    for start in range(0, end, 100_000):
        vectors.matrix[start : min(end, start + 100_000)] = saved[start : min(end, start + 100_000)]
    del saved
    index = HnswIndex.load(folder / "hnsw.bin", dim, settings.index.ef_search, headroom=capacity // 20 + MIN_CAPACITY)
    cat = Catalogue(dims, vectors, index, cols=Columns.empty(len(vectors.alive)))
    _reconcile(cat, store, end, index.labels())
    return cat


def _reconcile(cat: Catalogue, store: Store, end: int, labels: np.ndarray) -> None:
    """Bring a catalogue loaded from a save up to the store: rows below `end` come without vectors (they are
    in the saved matrix and index), rows above are new, saved labels the store lost are deleted."""
    index, vectors = cat.index, cat.vectors
    alive = []
    for rows in store.catalogue_rows(0, with_vectors=False):
        old = [r for r in rows if r[0] < end]
        slots = np.array([r[0] for r in old], np.int64)
        if len(slots):
            cat.ids.extend([None] * (int(slots.max()) + 1 - len(cat.ids)))
            for slot, vid in zip(slots.tolist(), [r[1] for r in old], strict=True):
                cat.ids[slot] = vid
                cat.row[vid] = slot
            cols = cat.cols = cat.cols.grown(max(len(cat.cols.created_at), int(slots.max()) + 1))
            cols.created_at[slots] = [r[3] for r in old]
            cols.category[slots] = [max(cat.category_code(r[4]), 0) for r in old]
            cols.creator[slots] = [cat._creator(r[2]) for r in old]
            vectors.alive[slots] = True
            cat._add_units(vectors.rows(slots), 1.0)
            cat._insert_times(cols.created_at[slots], slots)
            alive.append(slots)
    vectors.end = max(vectors.end, end)
    known = np.concatenate(alive) if alive else np.zeros(0, np.int64)
    for slot in np.setdiff1d(labels, known).tolist():
        index.remove(slot)
    index.live = len(known)
    _add_from_store(cat, store, end, 1)


def save_catalogue(cat: Catalogue, store: Store, settings: Settings) -> Path | None:
    """Write the HNSW index, its float16 vectors and meta next to the store (atomically: a new folder is
    renamed over the old one). Exact-search catalogues are not saved: they load from the store fast."""
    if not isinstance(cat.index, HnswIndex):
        return None
    folder = index_dir(store.path)
    with _turns(folder, exclusive=True):
        _write_saved(cat, store, settings, folder)
    return folder


def _write_saved(cat: Catalogue, store: Store, settings: Settings, folder: Path) -> None:
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with cat.write_lock:
        end = cat.vectors.end
        np.save(tmp / "vectors.npy", cat.vectors.matrix[:end])
        cat.index.save(tmp / "hnsw.bin")
        (tmp / "meta.json").write_text(json.dumps({**_meta(store, settings, cat.dims), "end": end,
                                                   "videos": len(cat)}))
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def load_counters(cat: Catalogue, store: Store) -> None:
    """Every video's counters from the store into the catalogue."""
    rows = store.counters_by_slot()
    if not rows:
        return
    data = np.array(rows, np.float64)
    slots = data[:, 0].astype(np.int64)
    exposures = np.maximum.reduce([data[:, 1], data[:, 2] + data[:, 3], data[:, 4]])
    cat.set_counters(slots, exposures.astype(np.float32), data[:, 4].astype(np.float32), (data[:, 5], data[:, 6]))


def _categorize_missing(cat: Catalogue, store: Store, prototypes: np.ndarray) -> None:
    """Videos no classifier tag put in a category get the nearest taxonomy category of their text, stored."""
    slots = np.array([s for s in cat.row.values() if cat.cols.category[s] == 0], np.int64)
    text_dim = cat.dims["text"]
    if len(slots) == 0 or not text_dim:
        return
    offset = 0
    for start in range(0, len(slots), 4096):
        part = slots[start : start + 4096]
        for slot, category in zip(part.tolist(), categorize(cat.rows(part)[:, offset:text_dim], prototypes),
                                  strict=True):
            if category:
                cat.set_category(slot, category)
                store.set_category(cat.ids[slot], category)
