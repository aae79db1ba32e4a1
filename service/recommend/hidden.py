"""What a feed leaves out besides the user's seen and rejected videos: videos flagged sensitive (unless the
user opted in) and every copy of one content but its representative.

Both sets are kept per process beside the live catalogue and updated with it (the flagged slots on add, the
copy map re-read after an add or delete), so a request reads them without scanning the store.
"""
from __future__ import annotations

import threading

import numpy as np

from service.recommend.catalogue import Catalogue
from service.recommend.sounds import hidden_copies

SENSITIVE_TAG = "sensitive"  # the safety check's tag (extractors.visual.safety)


class HiddenRows:
    def __init__(self, filter_sensitive: bool):
        self.filter_sensitive = filter_sensitive
        self._lock = threading.Lock()
        self._sensitive: np.ndarray | None = None  # slots flagged sensitive
        self._copies: dict[str, str] | None = None  # copy id -> original id

    def slots(self, db, user_id: str, cat: Catalogue, excluded_slots: np.ndarray) -> np.ndarray:
        """Slots this user's feed must not show (sorted, unique)."""
        parts = [np.zeros(0, np.int64)]
        if self.filter_sensitive and not db.shows_sensitive(user_id):
            parts.append(self._flagged(db))
        copies = self._copy_map(db)
        if copies:
            seen = {cat.ids[s] for s in np.asarray(excluded_slots).tolist()}
            parts.append(np.flatnonzero(hidden_copies(cat.ids, cat.row, copies, cat.cols.engaged, seen)))
        return np.unique(np.concatenate(parts))

    def _flagged(self, db) -> np.ndarray:
        if self._sensitive is None:
            with self._lock:
                if self._sensitive is None:
                    self._sensitive = np.array(db.slots_tagged(SENSITIVE_TAG), np.int64)
        return self._sensitive

    def _copy_map(self, db) -> dict[str, str]:
        copies = self._copies
        if copies is None:
            copies = self._copies = db.duplicate_map()
        return copies

    def note_added(self, tags_by_slot: dict[int, dict[str, float]]) -> None:
        """New videos: flagged ones join the sensitive slots; the copy map is re-read on the next feed."""
        with self._lock:
            flagged = [s for s, tags in tags_by_slot.items() if SENSITIVE_TAG in tags]
            if self._sensitive is not None and flagged:
                self._sensitive = np.union1d(self._sensitive, np.array(flagged, np.int64))
            self._copies = None

    def note_deleted(self) -> None:
        self._copies = None  # a deleted original or copy changes its group
