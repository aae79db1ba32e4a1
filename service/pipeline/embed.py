"""`reelsense embed`'s runner, one for both engines: list the media under a source, embed them, report.

An engine is built by the factory (`Components.embed_engine`) with what it needs; the CLI only lists, runs and
prints. Both engines fill the same `batch.EmbedReport`, call `on_failure` with the same `FileFailure` as each
file fails, and describe their run in one line:

- `LocalEngine`: the CPU stage in this machine's worker processes, the models in this process, records into
  the store (and a Parquet file with `--out`).
- `ray_engine.RayEngine`: the same stages as Ray Data actors, Parquet shards into `--out`.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from service.errors import CommandError
from service.pipeline.batch import EmbedReport, OnFailure, Progress, embed_folder
from service.pipeline.files import find_videos
from service.pipeline.parquet import write_parquet

if TYPE_CHECKING:
    from service.pipeline.analyzer import Analyzer
    from service.pipeline.pool import MediaPool
    from service.records import VideoRecord
    from service.storage import Store


def export_records(store: Store, ids: list[str]) -> list[VideoRecord]:
    """Stored records whole, for the batch schema: besides what `Store.records` gives, the media prints, the
    thumbnails' JPEG bytes and the moments with their vectors (the store reads these apart, on demand)."""
    records = store.records(ids)
    moments = store.moments_of([r.id for r in records])
    for r in records:
        r.sound_print, r.frame_print = store.prints_of(r.id)
        jpegs = store.frame_jpegs(r.id)
        for f in r.frames:
            f.jpeg = jpegs.get(f.index)
        r.moments = moments[r.id]
        r.sound = r.duplicate_of = None  # the importing store finds these against what it holds
    return records


class EmbedEngine(ABC):
    """One way of running `reelsense embed`."""

    def files(self, source: str) -> list:
        """The media under `source`, in the order they are embedded; CommandError when there are none."""
        found = self.list_media(source)
        if not found:
            raise CommandError("no_videos", f"no video files under {self.spelled(source)}")
        return found

    def spelled(self, source: str) -> str:
        return source

    @abstractmethod
    def list_media(self, source: str) -> list:
        """The media under `source`; CommandError `not_found` when it does not exist."""

    @abstractmethod
    def run(self, files: list, progress: Progress | None = None, on_failure: OnFailure | None = None
            ) -> EmbedReport:
        """Embed `files`: `progress` is told of each file done, `on_failure` of each failure as it happens."""

    @abstractmethod
    def describe(self, report: EmbedReport) -> str:
        """One line on what the run did and where its output is."""


class LocalEngine(EmbedEngine):
    """Worker processes for the CPU stage, started before the models load here (`media_pool`, then `analyzer`:
    the analyzer built after a pool leaves librosa to its workers), records into the store, and with `out` a
    Parquet file of every record of the run's files (embedded now or before)."""

    def __init__(self, analyzer: Callable[[], Analyzer], open_store: Callable[[], AbstractContextManager[Store]],
                 media_pool: Callable[[], MediaPool | None], store_path: Path, out: str | None = None):
        self.analyzer, self.open_store, self.media_pool = analyzer, open_store, media_pool
        self.store_path, self.out = store_path, out

    def spelled(self, source: str) -> str:
        return str(Path(source))

    def list_media(self, source: str) -> list[Path]:
        root = Path(source)
        if not root.exists():
            raise CommandError("not_found", f"{root} does not exist")
        return find_videos(root)

    def run(self, files: list[Path], progress: Progress | None = None, on_failure: OnFailure | None = None
            ) -> EmbedReport:
        pool = self.media_pool()  # the workers start while the models load
        try:
            with self.open_store() as store:
                report = embed_folder(self.analyzer(), store, files, progress=progress, on_failure=on_failure,
                                      pool=pool)
                report.records = export_records(store, report.stored_ids(store)) if self.out else \
                    store.records(report.stored_ids(store))
        finally:
            if pool is not None:
                pool.close()
        if self.out:
            write_parquet(report.records, Path(self.out))
        return report

    def describe(self, report: EmbedReport) -> str:
        wrote = f"; wrote {len(report.records)} rows to {self.out}" if self.out else ""
        return (f"{len(report.files)} files: {report.embedded} embedded, {report.skipped} already stored, "
                f"{len(report.failures)} failed{wrote}; store {self.store_path}")
