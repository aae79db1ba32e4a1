"""The live catalogue: what ranking needs about every stored video, in memory, updated in place.

Everything is addressed by the video's slot (its stable row in `video_ranking`, also the vector index label):
the fused vectors (float32 for an exact-search catalogue, whose index is this same matrix; float16 beside an
HNSW index, which keeps its own float32 copy), creation times, category and creator codes, and the event
counters that staged exposure and the cold-start prior read. A video added or deleted changes one slot and the
index; counters are re-read for the videos an event batch touched. Readers never wait for writers: arrays are
replaced (not resized) when they grow, so a request keeps a consistent view.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from extractors.taxonomy import load_taxonomy
from service.fusion import MODALITIES, block_slices, blocks
from service.recommend.collaborative import CoEngagement
from service.recommend.index import MIN_CAPACITY, ExactIndex, HnswIndex, VectorMatrix

CATEGORY_MIN_COSINE = 0.25  # below this a text is not about any taxonomy category


@dataclass
class Columns:
    """Per-slot arrays other than the vectors."""

    created_at: np.ndarray
    category: np.ndarray  # int16 code into Catalogue.categories
    creator: np.ndarray  # int32 code into Catalogue.creators
    exposures: np.ndarray  # max(impressions, views + skips, engagements)
    engaged: np.ndarray  # likes, shares, comments, follows and complete views
    engaged_decayed: np.ndarray  # time-decayed engagements as of decay_ts (the popularity prior's reach)
    decay_ts: np.ndarray

    @classmethod
    def empty(cls, capacity: int) -> Columns:
        return cls(np.zeros(capacity), np.zeros(capacity, np.int16), np.zeros(capacity, np.int32),
                   np.zeros(capacity, np.float32), np.zeros(capacity, np.float32), np.zeros(capacity),
                   np.zeros(capacity))

    def grown(self, capacity: int) -> Columns:
        out = Columns.empty(capacity)
        for name in ("created_at", "category", "creator", "exposures", "engaged", "engaged_decayed", "decay_ts"):
            old = getattr(self, name)
            getattr(out, name)[: len(old)] = old
        return out


@dataclass
class Catalogue:
    dims: dict[str, int]
    vectors: VectorMatrix
    index: ExactIndex | HnswIndex | None
    ids: list[str | None] = field(default_factory=list)  # by slot; None for a deleted slot
    row: dict[str, int] = field(default_factory=dict)  # video id -> slot
    cols: Columns = field(default_factory=lambda: Columns.empty(MIN_CAPACITY))
    categories: list[str] = field(default_factory=lambda: ["", *(c.id for c in load_taxonomy())])
    creators: list[str] = field(default_factory=lambda: [""])
    unit_sum: np.ndarray | None = None  # per modality, sum of present unit vectors (for the baseline)
    present: np.ndarray = field(default_factory=lambda: np.zeros(len(MODALITIES)))
    by_time: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0, np.int64))  # created_at sorted, slots
    co: CoEngagement = field(default_factory=CoEngagement)  # fitted item-item co-engagement
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        self._category_code = {c: i for i, c in enumerate(self.categories)}
        self._creator_code = {c: i for i, c in enumerate(self.creators)}
        if self.unit_sum is None:
            self.unit_sum = np.zeros(sum(self.dims.values()))

    # -- reading ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.row)

    @property
    def kind(self) -> str:
        return self.index.kind if self.index is not None else "empty"

    @property
    def baseline(self) -> dict[str, float]:
        """Per modality, the length of the mean of the present unit vectors (how alike the catalogue is)."""
        sums = blocks(self.unit_sum, self.dims)
        return {m: float(np.linalg.norm(sums[m]) / self.present[j]) if self.present[j] else 0.0
                for j, m in enumerate(MODALITIES)}

    def rows(self, slots: np.ndarray) -> np.ndarray:
        return self.vectors.rows(slots)

    def category(self, slot: int) -> str:
        return self.categories[int(self.cols.category[slot])]

    def creator(self, slot: int) -> str:
        return self.creators[int(self.cols.creator[slot])]

    def category_code(self, name: str) -> int:
        return self._category_code.get(name, -1)

    def created_after(self, t: float) -> np.ndarray:
        """Slots of the videos created after `t`, newest last (a suffix of the time order: no scan)."""
        times, slots = self.by_time
        return slots[np.searchsorted(times, t, side="right"):]

    # -- writing ---------------------------------------------------------------------------------
    def add_many(self, slots: np.ndarray, ids: list[str], creators: list[str], created_at: np.ndarray,
                 categories: list[str], fused: np.ndarray, index_threads: int = 1) -> None:
        """Add videos (new slots) to the arrays, the index and the time order."""
        if len(slots) == 0:
            return
        with self.write_lock:
            top = int(slots.max())
            if top >= len(self.cols.created_at):
                self.cols = self.cols.grown(max(int(len(self.cols.created_at) * 1.25), top + 1))
            if top >= len(self.ids):
                self.ids.extend([None] * (top + 1 - len(self.ids)))
            cols = self.cols
            cols.created_at[slots] = created_at
            cols.category[slots] = [self._category_code.get(c, 0) for c in categories]
            cols.creator[slots] = [self._creator(c) for c in creators]
            cols.exposures[slots] = 0.0
            cols.engaged[slots] = 0.0
            cols.engaged_decayed[slots] = 0.0
            cols.decay_ts[slots] = 0.0
            self.vectors.put(slots, fused)
            for slot, vid in zip(slots.tolist(), ids, strict=True):
                self.ids[slot] = vid
            if self.index is not None:  # searchable from here on: everything a hit needs is in place
                self.index.add(slots, fused, **({"threads": index_threads} if self.index.kind == "hnsw" else {}))
            self.row.update(zip(ids, slots.tolist(), strict=True))
            self._add_units(fused, 1.0)
            self._insert_times(created_at, slots)

    def remove(self, video_id: str) -> int | None:
        """Forget a video; its slot (None when it was not here)."""
        with self.write_lock:
            slot = self.row.pop(video_id, None)
            if slot is None:
                return None
            self.ids[slot] = None
            self._add_units(self.vectors.rows(np.array([slot]))[None, 0], -1.0)
            self.vectors.remove(slot)
            if self.index is not None:
                self.index.remove(slot)
            times, slots = self.by_time
            keep = slots != slot
            self.by_time = (times[keep], slots[keep])
            return slot

    def set_counters(self, slots: np.ndarray, exposures: np.ndarray, engaged: np.ndarray,
                     decayed: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Totals, and (decayed engagements, their reference time) when given."""
        cols = self.cols
        inside = slots < len(cols.exposures)
        cols.exposures[slots[inside]] = exposures[inside]
        cols.engaged[slots[inside]] = engaged[inside]
        if decayed is not None:
            cols.engaged_decayed[slots[inside]] = decayed[0][inside]
            cols.decay_ts[slots[inside]] = decayed[1][inside]

    def set_category(self, slot: int, category: str) -> None:
        self.cols.category[slot] = self._category_code.get(category, 0)

    def _creator(self, name: str) -> int:
        code = self._creator_code.get(name)
        if code is None:
            code = self._creator_code[name] = len(self.creators)
            self.creators.append(name)
        return code

    def _add_units(self, fused: np.ndarray, sign: float) -> None:
        for j, where in enumerate(block_slices(self.dims).values()):
            block = np.asarray(fused[:, where], np.float64)
            norms = np.linalg.norm(block, axis=1)
            present = norms > 1e-9
            if present.any():
                self.unit_sum[where] += sign * (block[present] / norms[present, None]).sum(0)
                self.present[j] += sign * present.sum()

    def _insert_times(self, created_at: np.ndarray, slots: np.ndarray) -> None:
        times, old = self.by_time
        order = np.argsort(created_at, kind="stable")
        new_times, new_slots = np.asarray(created_at, float)[order], np.asarray(slots, np.int64)[order]
        if len(times) == 0 or new_times[0] >= times[-1]:  # the usual case: uploads arrive in time order
            self.by_time = (np.concatenate([times, new_times]), np.concatenate([old, new_slots]))
            return
        at = np.searchsorted(times, new_times, side="right")
        self.by_time = (np.insert(times, at, new_times), np.insert(old, at, new_slots))


def categorize(text_blocks: np.ndarray, prototypes: np.ndarray | None) -> list[str | None]:
    """The nearest taxonomy category of each text vector (None when none is close enough)."""
    if prototypes is None or prototypes.shape[1] != text_blocks.shape[1]:
        return [None] * len(text_blocks)
    norms = np.linalg.norm(text_blocks, axis=1, keepdims=True)
    sims = (text_blocks / np.maximum(norms, 1e-12)) @ prototypes.T
    taxonomy = load_taxonomy()
    return [taxonomy[int(j)].id if np.any(row) and row[j] >= CATEGORY_MIN_COSINE else None
            for row, j in zip(sims, sims.argmax(axis=1), strict=True)]
