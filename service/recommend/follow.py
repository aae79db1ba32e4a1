"""Following other processes' writes: a server applies what others wrote to its store, from the change log.

The server's own uploads, deletes and events update its live catalogue as they are answered. Everything written
by another process on the same file (`reelsense embed --db`, `reelsense import`, `reelsense events`, a second
server) is logged by the store's writers (service.storage.changes); a background thread here checks
`PRAGMA data_version` every `interval_s` (one cheap call when nothing was committed) and, when something was,
reads only the log rows after the last one it applied and feeds them to the same update paths as the server's
own writes. Its own writes come back through the log too and are applied again, harmlessly (every update is
idempotent). The cost of a poll grows with the number of changes, never with the number of videos.
"""
from __future__ import annotations

import itertools
import logging
import threading

from service.recommend.recommender import Recommender
from service.storage import Store
from service.storage.changes import ALL, CATEGORY, COUNTERS, VECTORS, VIDEO_ADDED, VIDEO_DELETED

log = logging.getLogger(__name__)
ADD_CHUNK = 500  # videos added to the index at a time, so a long import becomes visible as it goes


class ChangeFollower:
    def __init__(self, recommender: Recommender, store: Store, interval_s: float = 0.25, batch: int = 10_000,
                 index_threads: int = 1):
        """`store` is a connection of the follower's own (closed by `stop`)."""
        self.recommender = recommender
        self.store = store
        self.interval_s = interval_s
        self.batch = batch
        self.index_threads = index_threads
        recommender.catalogue()
        self.cursor = recommender.live.loaded_through  # the last change already reflected in the catalogue
        self.applied = 0  # changes applied since start (for tests and metrics)
        self.reconciled = 0  # times the log had been pruned past the cursor
        self._version: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> int:
        """Apply the changes logged since the last poll; how many there were."""
        version = self.store.data_version()
        if version == self._version:
            return 0
        done = 0
        while True:
            rows, skipped_to = self.store.changes_after(self.cursor, self.batch)
            if skipped_to is not None:  # rows we never read were pruned: reconcile with the store as a whole
                log.warning("change log pruned past row %d: reconciling the catalogue with the store", self.cursor)
                self.recommender.live.invalidate()
                self.reconciled += 1
                self.cursor = skipped_to
            self._apply(rows)
            if rows:
                self.cursor = rows[-1][0]
            done += len(rows)
            self.applied += len(rows)
            if len(rows) < self.batch:
                self._version = version  # read before the log: a commit since then bumps it again
                return done

    def _apply(self, rows: list[tuple[int, str, str]]) -> None:
        """Runs of one kind at a time, in log order (a video deleted then stored again ends up stored)."""
        rec = self.recommender.live
        for kind, run in itertools.groupby(rows, key=lambda row: row[1]):
            keys = list(dict.fromkeys(row[2] for row in run))
            if kind == VIDEO_ADDED:
                for start in range(0, len(keys), ADD_CHUNK):
                    rec.videos_added(keys[start : start + ADD_CHUNK], self.index_threads)
            elif kind == VIDEO_DELETED:
                stored = self.store.slots_of(keys)  # stored again since: a later row re-adds it under its new slot
                for vid in keys:
                    if vid not in stored:
                        rec.video_deleted(vid)
            elif kind == COUNTERS:
                rec.reload_counters() if ALL in keys else rec.counters_changed(keys)
            elif kind == CATEGORY:
                rec.categories_changed(keys)
            elif kind == VECTORS:
                rec.reload()
            else:  # written by a newer version: nothing this one keeps in memory depends on it
                log.debug("unknown change kind %r ignored", kind)

    # -- the background thread -------------------------------------------------------------------
    def start(self) -> ChangeFollower:
        self._thread = threading.Thread(target=self._run, name="change-follower", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.poll()
            except Exception:  # a locked or briefly unreadable store: try again at the next tick
                log.exception("applying the store's change log failed; retrying")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.store.close()
