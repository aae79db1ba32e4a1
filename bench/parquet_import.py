"""Batch output size per video before and after schema 2, and `reelsense import` speed on many distinct videos.

    python bench/parquet_import.py --parquet OUT.parquet --rows 5000

OUT.parquet is real `reelsense embed --out` output (e.g. of sample_media/). Size: its bytes per row, the same rows
written with only schema 1's columns, and the compressed bytes of each new column. Import: the file's rows
repeated to --rows, each copy made a distinct video (a fresh id, random sound and frame hashes of the same
lengths, so the store's print matching works as on real distinct uploads, finding no match), in shards of 5,000,
imported into an empty store through `import_parquet` (the CLI's path, chunks of --chunk rows).
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.pipeline.importing import import_parquet
from service.pipeline.parquet import SCHEMA
from service.storage import Store

NEW = ("schema_version", "sound_version", "sound_seconds", "sound_hashes", "sound_times", "frame_version",
       "frame_hashes", "frame_times", "shot_starts", "moments", "frames")


def sizes(path: Path, scratch: Path) -> None:
    table = pq.read_table(path)
    n = table.num_rows
    v1 = scratch / "v1.parquet"
    pq.write_table(table.drop_columns(list(NEW)), v1)
    meta = pq.ParquetFile(path).metadata
    by_column: dict[str, int] = {}
    for g in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            col = meta.row_group(g).column(c)
            top = col.path_in_schema.split(".")[0]
            by_column[top] = by_column.get(top, 0) + col.total_compressed_size
    print(f"{n} rows: schema 1 {v1.stat().st_size / n:,.0f} bytes/video, schema 2 {path.stat().st_size / n:,.0f} "
          "bytes/video (Parquet, default snappy)")
    for name in NEW:
        print(f"  {name:<15} {by_column.get(name, 0) / n:>10,.0f} bytes/video")


def _distinct(table: pa.Table, rows: int, start: int, rng: np.random.Generator) -> pa.Table:
    """`rows` rows cycled from `table`, each a distinct video."""
    picked = table.take(np.arange(start, start + rows) % table.num_rows)
    ids = [hashlib.sha256(f"bench-{i}".encode()).hexdigest() for i in range(start, start + rows)]

    def random_bytes(column: str) -> pa.Array:
        return pa.array([None if b is None else rng.integers(0, 255, len(b), np.uint8).tobytes()
                         for b in picked.column(column).to_pylist()], pa.binary())

    picked = picked.set_column(picked.schema.get_field_index("id"), "id", pa.array(ids))
    for column in ("sound_hashes", "frame_hashes"):
        picked = picked.set_column(picked.schema.get_field_index(column), column, random_bytes(column))
    return picked.cast(SCHEMA)


def import_speed(path: Path, rows: int, chunk: int, scratch: Path) -> None:
    table = pq.read_table(path)
    shards = scratch / "shards"
    shards.mkdir()
    rng = np.random.default_rng(0)
    for start in range(0, rows, 5000):
        pq.write_table(_distinct(table, min(5000, rows - start), start, rng), shards / f"part-{start:08d}.parquet")
    with Store(scratch / "bench.db") as store:
        started = time.perf_counter()
        report = import_parquet(store, str(shards), chunk=chunk)
        took = time.perf_counter() - started
        again = time.perf_counter()
        import_parquet(store, str(shards), chunk=chunk)
        resumed = time.perf_counter() - again
    print(f"import of {report.imported} distinct videos into an empty store: {took:.1f} s, "
          f"{report.imported / took:,.0f} rows/s (chunks of {chunk}); a rerun (all stored) {resumed:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parquet", required=True, type=Path)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--chunk", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sizes(args.parquet, Path(tmp))
        import_speed(args.parquet, args.rows, args.chunk, Path(tmp))


if __name__ == "__main__":
    main()
