"""`reelsense serve --index DIR`: while the server runs, every video under a folder not yet stored is analysed
by the server's workers (workers.WorkerPool), stored, and added to the live catalogue, one at a time; a bad file
is logged and skipped."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from extractors.errors import MediaError
from service.errors import WorkerError
from service.pipeline.files import file_sha256, find_videos
from service.pipeline.sidecar import read_sidecar

if TYPE_CHECKING:
    from service.pipeline.workers import WorkerPool
    from service.storage import Store

log = logging.getLogger(__name__)


class Catalogue(Protocol):
    """What is told of each stored video (the server's recommender)."""

    def video_added(self, video_id: str) -> None: ...


def index_folder_in_background(folder: Path, open_store: Callable[[], Store], pool: WorkerPool,
                               catalogue: Catalogue) -> threading.Thread:
    """Start `index_folder` in a thread of its own."""
    thread = threading.Thread(target=index_folder, args=(folder, open_store, pool, catalogue), name="index",
                              daemon=True)
    thread.start()
    return thread


def index_folder(folder: Path, open_store: Callable[[], Store], pool: WorkerPool, catalogue: Catalogue) -> None:
    """Analyse, store and announce every video under `folder` that the store (a connection of this thread's
    own, from `open_store`) does not hold yet."""
    store = open_store()
    try:
        for path in find_videos(Path(folder)):
            video_id = file_sha256(path)
            if store.has(video_id):
                continue
            m = read_sidecar(path).meta
            try:
                record = pool.run(path, {"title": m.title, "description": m.description, "hashtags": m.hashtags,
                                         "creator": m.creator}, video_id)
            except (WorkerError, MediaError) as exc:
                log.warning("index: %s failed: %s", path.name, exc)
                continue
            store.add(record)
            catalogue.video_added(record.id)
            log.info("index: stored %s", path.name)
    finally:
        store.close()
