"""`reelsense import`: move batch-embedded records (`reelsense embed --out`, the Ray engine's shards: one file or a
folder of shards, local or behind any pyarrow filesystem URI such as `s3://bucket/prefix`) into a store.

- Streaming, no local cache: each file is opened as a random-access stream of its filesystem (ranged reads on
  object stores) and read one row group batch at a time; nothing is copied to local disk.
- One transaction per chunk, through `Store.add_many`: the same code path as an upload, so the store assigns sound
  ids and finds duplicate links (`duplicate_of`) against everything it already holds, and writes the moments,
  frames and shots with the video.
- Resumable: ids already stored are filtered out by the id column before any vector or image is decoded, and a
  file whose ids are all stored is not read further; a killed import run again goes on where it stopped.
- Files are taken oldest first (by their earliest `created_at`) and each chunk in `created_at` order, so the first
  of two copies is the original, as it would have been had both been uploaded.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from service.errors import CommandError
from service.pipeline.parquet import check_version, records_of
from service.pipeline.sources import filesystem, is_uri
from service.storage import Store

READ_ERRORS = (pa.ArrowException, OSError, KeyError, TypeError, ValueError)


@dataclass
class ImportReport:
    files: int = 0
    rows: int = 0
    imported: int = 0
    skipped: int = 0  # already stored
    files_done: int = 0  # files whose every id was stored already (not read past their ids)


@dataclass(frozen=True)
class Source:
    """Where the batch output is: a filesystem and the path inside it (a file or a folder of shards)."""

    fs: pafs.FileSystem
    path: str
    spelled: str

    @classmethod
    def of(cls, location: str | Path, fs: pafs.FileSystem | None = None) -> Source:
        """A local path, a URI (`file://`, `s3://`, `gs://`, `hdfs://`, ...), or a path inside `fs`."""
        if fs is not None:
            return cls(fs, str(location), str(location))
        where = str(location)
        fs, path = filesystem(where)
        return cls(fs, path, where if is_uri(where) else str(Path(where)))

    def files(self) -> list[str]:
        info = self.fs.get_file_info(self.path)
        if info.type == pafs.FileType.File:
            return [self.path]
        if info.type != pafs.FileType.Directory:
            raise CommandError("not_found", f"no Parquet file at {self.spelled}")
        entries = self.fs.get_file_info(pafs.FileSelector(self.path))
        found = sorted(e.path for e in entries if e.type == pafs.FileType.File and e.path.endswith(".parquet")
                       and not PurePosixPath(e.path).name.startswith((".", "_")))
        if not found:
            raise CommandError("not_found", f"no Parquet file at {self.spelled}")
        return found


def import_parquet(store: Store, location: str | Path, chunk: int = 2000,
                   progress: Callable[[int], None] | None = None, fs: pafs.FileSystem | None = None) -> ImportReport:
    """Load every row under `location` (in `fs` when given) into `store`; a chunk is stored whole or (on an
    error) not at all, and rows already stored are skipped, so a rerun resumes."""
    source = Source.of(location, fs)
    files = source.files()
    report = ImportReport(files=len(files))
    try:
        ordered = sorted((_first_created(source.fs, f), f) for f in files)
    except READ_ERRORS as exc:
        raise _unreadable(source, exc) from None
    for _, file in ordered:
        for records, skipped in _chunks(store, source, file, chunk, report):
            added = store.add_many(records) if records else 0
            report.rows += len(records) + skipped
            report.imported += added
            report.skipped += len(records) - added + skipped
            if progress:
                progress(len(records) + skipped)
    return report


def _first_created(fs: pafs.FileSystem, file: str) -> float:
    table = pq.read_table(file, columns=["created_at"], filesystem=fs)
    return float(pc.min(table.column("created_at")).as_py() or 0.0) if table.num_rows else 0.0


def _chunks(store: Store, source: Source, file: str, chunk: int, report: ImportReport) -> Iterator[tuple[list, int]]:
    """(records not yet stored, rows skipped as stored) per batch of at most `chunk` rows of one file."""
    try:
        with source.fs.open_input_file(file) as stream:
            reader = pq.ParquetFile(stream)
            check_version(reader.schema_arrow.metadata, file)
            ids = reader.read(columns=["id"]).column("id").to_pylist()
            stored = [i for i in ids if store.has(i)]
            if len(stored) == len(ids):
                report.files_done += 1
                yield [], len(ids)
                return
            known = pa.array(stored, pa.string())
            for batch in reader.iter_batches(batch_size=chunk):
                fresh = batch.filter(pc.invert(pc.is_in(batch.column("id"), value_set=known)))
                fresh = fresh.take(pc.sort_indices(fresh, [("created_at", "ascending"), ("id", "ascending")]))
                yield records_of(fresh), batch.num_rows - fresh.num_rows
    except CommandError:
        raise
    except READ_ERRORS as exc:
        raise _unreadable(source, exc) from None


def _unreadable(source: Source, exc: BaseException) -> CommandError:
    return CommandError("unreadable", f"{source.spelled} is not reelsense embed output: {exc}")
