"""Batch jobs over many files: embed a folder into a store (resumable by content hash), and re-embed a
whole store into a new embedding space. They report; the CLI prints. `EmbedReport` is the report of both
engines of `reelsense embed` (this local one, and ray_engine.py)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from extractors.base import VideoMeta
from extractors.errors import MediaError
from service.pipeline.analyzer import Analyzer
from service.pipeline.failures import FileFailure, file_error
from service.pipeline.files import file_sha256, find_videos
from service.pipeline.kept import KeptMedia
from service.pipeline.pool import MediaPool
from service.records import VideoRecord
from service.storage import Store

log = logging.getLogger(__name__)
Progress = Callable[[int], None]  # called with the number of files just finished
OnFailure = Callable[[FileFailure], None]  # called with each failure as it happens


@dataclass
class EmbedReport:
    """What an embedding run did, whichever engine ran it: counts, one FileFailure per file that failed (and
    per warning: embedded, but e.g. without an invalid sidecar's words), seconds per stage summed over files
    (stages overlap), the records stored (local engine) or the shards written (Ray engine)."""

    files: list
    ids: dict = field(default_factory=dict)  # file -> content hash, where one was computed
    embedded: int = 0
    skipped: int = 0
    failures: list[FileFailure] = field(default_factory=list)
    warnings: list[FileFailure] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    records: list[VideoRecord] = field(default_factory=list)
    shards: set[str] = field(default_factory=set)
    on_failure: OnFailure | None = field(default=None, repr=False, compare=False)

    def stored_ids(self, store: Store) -> list[str]:
        """The ids of this run's files that the store holds, in file order."""
        return [self.ids[p] for p in self.files if p in self.ids and store.has(self.ids[p])]

    def fail(self, failure: FileFailure) -> None:
        self.failures.append(failure)
        if self.on_failure:
            self.on_failure(failure)

    def add_seconds(self, seconds: dict[str, float]) -> None:
        for stage, value in seconds.items():
            self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + value


def sidecar_warnings(path: Path | str, record: VideoRecord) -> list[FileFailure]:
    """The record's warnings about an ignored sidecar, as report rows (both engines list them the same way)."""
    prefix = "[sidecar_invalid] "
    return [FileFailure(path, "sidecar_invalid", w.removeprefix(prefix), record.id)
            for w in record.warnings if w.startswith(prefix)]


def embed_folder(analyzer: Analyzer, store: Store, files: list[Path], progress: Progress | None = None,
                 on_failure: OnFailure | None = None, pool: MediaPool | None = None) -> EmbedReport:
    """Embed every file not yet stored (by content hash); a bad file is reported and the rest go on.
    `pool`: CPU-stage workers the caller started (see `Analyzer.analyze_many`). A file that cannot even be read
    to hash it is a failure row (`unreadable`) like any other."""
    store.check_space(analyzer.space_id)
    report = EmbedReport(files, on_failure=on_failure)
    for path in files:
        try:
            if not path.is_file():
                raise MediaError("unreadable", f"{path.name} is not a regular file (a folder, pipe or device)")
            report.ids[path] = file_sha256(path)
        except Exception as exc:
            report.fail(FileFailure.of(path, file_error(path, exc)))
    todo = [p for p in files if p in report.ids and not store.has(report.ids[p])]
    report.skipped = len(report.ids) - len(todo)
    if progress:
        progress(report.skipped + len(report.failures))
    for path, record, error, seconds in analyzer.analyze_many(todo, ids=report.ids, pool=pool):
        report.add_seconds(seconds)
        if error is not None:
            report.fail(FileFailure.of(path, error, report.ids.get(path)))
        else:
            store.add(record)
            report.embedded += 1
            report.warnings.extend(sidecar_warnings(path, record))
        if progress:
            progress(1)
    return report


@dataclass
class ReindexReport:
    records: list[VideoRecord] = field(default_factory=list)
    lost: list[tuple[str, str]] = field(default_factory=list)  # (video id, why it cannot be re-embedded)


def media_file(record: VideoRecord, kept: KeptMedia | None) -> tuple[Path | None, str]:
    """The local file with this video's content (its stored path, a `file://` URI's path, or the kept upload), or
    None and why there is none."""
    where = record.path.removeprefix("file://")
    if where and "://" not in where:
        path = Path(where)
        if path.is_file() and file_sha256(path) == record.id:
            return path, ""
        why = f"{where} changed since it was embedded" if path.is_file() else f"{where} is gone"
    elif where:
        why = f"{where} is not a local file (reindex reads local files; embed it again with `reelsense embed`)"
    else:
        why = "uploaded through the API without REELSENSE_KEEP_MEDIA=true: its file was not kept"
    found = kept.find(record.id) if kept else None
    if found is not None and file_sha256(found) == record.id:
        return found, ""
    return None, why if kept is None else f"{why}, and {kept.root} holds no copy of it"


def reembed_store(analyzer: Analyzer, store: Store, progress: Progress | None = None,
                  kept: KeptMedia | None = None) -> ReindexReport:
    """Re-embed the stored videos not yet in the analyzer's space (every one after a model change; those flagged
    by an earlier re-index otherwise) from their files, or from the kept uploads (nothing is written here)."""
    report = ReindexReport()
    todo = store.ids() if store.space_id != analyzer.space_id else store.flagged_ids()
    for old in store.records(todo):
        path, why = media_file(old, kept)
        if path is None:
            report.lost.append((old.id, why))
        else:
            try:
                meta = VideoMeta(old.title, old.description, old.hashtags, old.creator)
                report.records.append(replace(analyzer.analyze(path, meta), path=old.path, created_at=old.created_at))
            except MediaError as exc:
                report.lost.append((old.id, f"{path}: [{exc.code}] {exc.message}"))
        if progress:
            progress(1)
    return report


def apply_reindex(store: Store, report: ReindexReport, drop_missing: bool = False) -> None:
    """Swap in the new vectors (one transaction); the videos that could not be re-embedded are deleted with
    `drop_missing`, else left in their old space, flagged (out of the ranking until re-embedded)."""
    if drop_missing:
        for video_id, _ in report.lost:
            store.delete(video_id)
    if report.records:
        store.replace_vectors(report.records, flagged=[] if drop_missing else [v for v, _ in report.lost])


__all__ = ["EmbedReport", "ReindexReport", "apply_reindex", "embed_folder", "find_videos",
           "media_file", "reembed_store", "sidecar_warnings"]
