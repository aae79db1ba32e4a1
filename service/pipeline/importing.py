"""`reelsense import`: move batch-embedded records (the Parquet that `reelsense embed --out` writes, one file or a
folder of shards) into a store, one transaction per chunk, skipping ids already stored and refusing another
embedding space. It is how a data team moves a batch-embedded catalogue into serving."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from service.errors import CommandError
from service.pipeline.parquet import parquet_files, read_records
from service.storage import Store


@dataclass
class ImportReport:
    files: int = 0
    rows: int = 0
    imported: int = 0
    skipped: int = 0  # already stored


def import_parquet(store: Store, path: Path, chunk: int = 2000,
                   progress: Callable[[int], None] | None = None) -> ImportReport:
    """Load every row of `path` into `store`; a chunk is stored whole or (on an error) not at all."""
    files = parquet_files(path)
    if not path.exists() or not files:
        raise CommandError("not_found", f"no Parquet file at {path}")
    report = ImportReport(files=len(files))
    reader = read_records(path, chunk)
    while True:
        try:
            records = next(reader, None)
        except (pa.ArrowException, OSError, KeyError, TypeError, ValueError) as exc:
            raise CommandError("unreadable", f"{path} is not reelsense embed output: {exc}") from None
        if records is None:
            break
        added = store.add_many(records)
        report.rows += len(records)
        report.imported += added
        report.skipped += len(records) - added
        if progress:
            progress(len(records))
    return report
