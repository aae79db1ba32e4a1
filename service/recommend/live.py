"""The live catalogue of one serving process: the vectors and counters of every stored video in memory, with the
pools that depend on the whole of it (cold-start pools, the videos a feed hides), kept up to date as videos are
added, deleted or re-scored here or by other processes (service/recommend/follow.py).

Its pools are built in one place (`_fresh_pools`) from the settings groups, at start and on every reload alike:
two construction sites once drifted apart and a server started on an empty store lost its popularity half-life
after the first upload.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from service.config import Settings
from service.recommend.catalogue import Catalogue
from service.recommend.coldstart import ColdPools
from service.recommend.hidden import HiddenRows
from service.recommend.loading import load_catalogue, load_counters, save_catalogue
from service.storage import Store
from service.storage.counters import ENGAGEMENTS
from service.storage.database import from_blob
from service.storage.rows import CatalogueRow


class LiveCatalogue:
    def __init__(self, db: Callable[[], Store], settings: Settings, prototypes: Callable[[], np.ndarray | None]):
        """`db` gives the calling thread's store connection; `prototypes` the category prototypes a load uses to
        categorise videos stored without a category (None: none)."""
        self.db, self.settings, self._prototypes = db, settings, prototypes
        self._catalogue: Catalogue | None = None
        self._load_lock = threading.Lock()
        self._updates = threading.RLock()  # one catalogue update at a time (own writes and other processes')
        self.cold, self.hidden = self._fresh_pools()
        self.loaded_through = 0  # the store's newest change-log row when the catalogue was read

    def _fresh_pools(self) -> tuple[ColdPools, HiddenRows]:
        return ColdPools(self.settings.cold_start), HiddenRows(self.settings.safety_filter_feeds)

    def catalogue(self) -> Catalogue:
        """The current catalogue (read from the store on first use)."""
        if self._catalogue is None:
            with self._load_lock:
                if self._catalogue is None:
                    self._catalogue = self._load()
        return self._catalogue

    def _load(self) -> Catalogue:
        db = self.db()
        self.loaded_through = db.last_change()  # read first: a change during the load is applied again later
        return load_catalogue(db, self.settings, self._prototypes())

    def reload(self) -> None:
        """Read the catalogue afresh and swap it in (its first videos gave it dims, or every vector changed);
        requests under way finish on the old one."""
        with self._updates, self._load_lock:
            catalogue = self._load()
            self.cold, self.hidden = self._fresh_pools()
            self._catalogue = catalogue

    def invalidate(self) -> None:
        """The store's videos changed in ways not reported through `videos_added`/`video_deleted` (or the change
        log was pruned before this process read it): reconcile the live catalogue with the store by slot (adds
        what is new, drops what is gone) and re-read every counter. O(catalogue): for recovery only."""
        with self._updates:
            cat = self.catalogue()
            stored = set(self.db().live_slots())
            for vid, slot in list(cat.row.items()):
                if slot not in stored:
                    cat.remove(vid)
            new = sorted(stored - set(cat.row.values()))
            if new:
                self._add_slots(cat, self.db(), new[0], set(new))
            self.reload_counters()

    def save(self) -> None:
        """Persist the HNSW index next to the store (at shutdown, after an import)."""
        if self._catalogue is not None:
            save_catalogue(self._catalogue, self.db(), self.settings)

    # -- update paths: the server's own writes call these, and so does the reader of other processes' writes --
    def videos_added(self, video_ids: list[str], index_threads: int = 1) -> None:
        """Stored videos become visible to feeds, search and similar (index insert, no rebuild); ids already in
        the catalogue under their stored slot are skipped, so hearing of a video twice (own write, then the
        change log) is harmless."""
        db = self.db()
        with self._updates:
            cat = self.catalogue()  # under the lock: a reload may have just swapped it
            dims = db.dims()
            if dims is not None and len(cat) == 0 and cat.dims != dims:  # the first videos: now dims are known
                self.reload()
                return
            slots = {vid: slot for vid, slot in db.slots_of(video_ids).items() if cat.row.get(vid) != slot}
            for vid in slots:
                cat.remove(vid)  # stored again under a new slot after a delete
            if slots:
                self._add_slots(cat, db, min(slots.values()), set(slots.values()), index_threads)

    def _add_slots(self, cat: Catalogue, db: Store, slot_from: int, wanted: set[int], index_threads: int = 1) -> None:
        for rows in db.catalogue_rows(slot_from):
            rows = [r for r in rows if r.slot in wanted]
            if rows:
                slots = np.array([r.slot for r in rows], np.int64)
                cat.add_many(slots, [r.video_id for r in rows], [r.creator for r in rows],
                             np.array([r.created_at for r in rows]), [r.category for r in rows],
                             np.stack([from_blob(r.fused) for r in rows]), index_threads)
                self.cold.note_added(slots.tolist())
                self.hidden.note_added({r.slot: t for r, t in zip(rows, _tags_of(db, rows), strict=True)})
                self.counters_changed([r.video_id for r in rows])
            if rows and len(wanted) == len(rows):
                return

    def video_deleted(self, video_id: str) -> None:
        """A deleted video leaves feeds, search and similar at once."""
        with self._updates:
            self.catalogue().remove(video_id)
            self.hidden.note_deleted()

    def categories_changed(self, video_ids: list[str]) -> None:
        """Re-read the stored category of these videos into the catalogue (idempotent)."""
        cat = self.catalogue()
        for vid, info in self.db().ranking_info(video_ids).items():
            if cat.row.get(vid) == info.slot:
                cat.set_category(info.slot, info.category)

    def reload_counters(self) -> None:
        """Re-read every video's counters (they were rebuilt; O(catalogue))."""
        load_counters(self.catalogue(), self.db())

    def counters_changed(self, video_ids) -> None:
        """Re-read the counters of these videos into the catalogue (idempotent)."""
        cat = self.catalogue()
        counters = self.db().counters(sorted(set(video_ids)))
        known = [(cat.row[v], c) for v, c in counters.items() if v in cat.row]
        if not known:
            return
        slots = np.array([s for s, _ in known], np.int64)
        engaged = np.array([sum(c[k] for k in ENGAGEMENTS) for _, c in known], np.float32)
        exposures = np.array([max(c["impression"], c["view"] + c["skip"]) for _, c in known], np.float32)
        decayed = (np.array([c["engaged_decayed"] for _, c in known]), np.array([c["decay_ts"] for _, c in known]))
        cat.set_counters(slots, np.maximum(exposures, engaged), engaged, decayed)


def _tags_of(db: Store, rows: list[CatalogueRow]) -> list[dict[str, float]]:
    tags = db.ranking_tags([r.video_id for r in rows])
    return [tags.get(r.video_id, {}) for r in rows]
