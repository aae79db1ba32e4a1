"""The Ray engine's output folder (local or a pyarrow filesystem URI): Parquet shards in the schema of
`reelsense embed --out` (parquet.py), which `reelsense import` reads, and `_errors.jsonl`, one line per file
that could not be embedded in the last run.

A shard is named after the ids it holds, so a task Ray retries rewrites the same shard rather than adding a
second copy, and it appears under its name only once complete (written under a temporary name, then moved).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import PurePosixPath

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from service.pipeline.parquet import records_table
from service.pipeline.sources import filesystem
from service.records import VideoRecord

ERRORS_FILE = "_errors.jsonl"  # "_": pyarrow and pandas reading the folder skip it


def _join(base: str, name: str) -> str:
    return str(PurePosixPath(base) / name)


def shard_files(out: str) -> list[str]:
    """Paths (inside the output's filesystem) of the complete shards, in name order; none for a new folder."""
    fs, base = filesystem(out)
    if fs.get_file_info(base).type != pafs.FileType.Directory:
        return []
    entries = fs.get_file_info(pafs.FileSelector(base))
    return sorted(e.path for e in entries if e.type == pafs.FileType.File and e.path.endswith(".parquet"))


def shard_ids(out: str) -> tuple[set[str], set[str]]:
    """The ids already written to the output folder and their embedding spaces (reads only those columns)."""
    fs, _ = filesystem(out)
    ids: set[str] = set()
    spaces: set[str] = set()
    for path in shard_files(out):
        table = pq.read_table(path, columns=["id", "space_id"], filesystem=fs)
        ids.update(table.column("id").to_pylist())
        spaces.update(table.column("space_id").unique().to_pylist())
    return ids, spaces


def write_shard(records: list[VideoRecord], out: str) -> str:
    """Write one shard of `records` into the output folder; returns its name."""
    fs, base = filesystem(out)
    fs.create_dir(base, recursive=True)
    name = "part-" + hashlib.sha256("\n".join(sorted(r.id for r in records)).encode()).hexdigest()[:20] + ".parquet"
    tmp = _join(base, f".{name}.tmp")
    pq.write_table(records_table(records), tmp, filesystem=fs)
    fs.move(tmp, _join(base, name))
    return name


def write_errors(failures: Iterable[dict], out: str) -> str:
    """Replace the errors file with this run's failures (path, id, code, message), one JSON object a line."""
    fs, base = filesystem(out)
    fs.create_dir(base, recursive=True)
    path = _join(base, ERRORS_FILE)
    with fs.open_output_stream(path) as stream:
        stream.write("".join(json.dumps(f) + "\n" for f in failures).encode())
    return path
