"""Parquet export of video records (`reelsense embed --out`) and the reverse (`reelsense import`): one row per
video with everything a record needs to be served, vectors as float32 lists.

A row read back (`record_from_row`) equals the record the store held: text fields, created_at, info, warnings,
and per modality the vector, confidence, model, tags and stats. `tags` (all modalities, strongest first) is
kept for readers that want one list.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from extractors.base import ModalityFeatures, Tag
from service.fusion import MODALITIES, FusedVector
from service.records import VideoRecord

_TAG = pa.struct([("label", pa.string()), ("score", pa.float64()), ("source", pa.string())])
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("path", pa.string()),
        ("title", pa.string()),
        ("duration_s", pa.float32()),
        ("tags", pa.list_(_TAG)),
        ("weights", pa.struct([(m, pa.float64()) for m in MODALITIES])),
        ("confidence", pa.struct([(m, pa.float64()) for m in MODALITIES])),
        ("fused_vector", pa.list_(pa.float32())),
        *[(f"{m}_vector", pa.list_(pa.float32())) for m in MODALITIES],
        ("space_id", pa.string()),
        # what serving needs besides the vectors
        ("description", pa.string()),
        ("hashtags", pa.list_(pa.string())),
        ("creator", pa.string()),
        ("created_at", pa.float64()),
        ("info", pa.string()),  # JSON
        ("warnings", pa.list_(pa.string())),
        *[(f"{m}_model", pa.string()) for m in MODALITIES],
        *[(f"{m}_tags", pa.list_(_TAG)) for m in MODALITIES],
        *[(f"{m}_stats", pa.string()) for m in MODALITIES],  # JSON
    ]
)


def record_row(r: VideoRecord) -> dict[str, Any]:
    """One Parquet row of a record."""
    present = {m: r.features.get(m) for m in MODALITIES}
    return {
        "id": r.id, "path": r.path, "title": r.title, "duration_s": r.duration_s,
        "tags": [t.to_dict() for t in r.tags],
        "weights": {m: float(r.fused.weights.get(m, 0.0)) for m in MODALITIES},
        "confidence": {m: float(f.confidence) if f else 0.0 for m, f in present.items()},
        "fused_vector": r.fused.vector.tolist(),
        **{f"{m}_vector": (f.vector.tolist() if f else []) for m, f in present.items()},
        "space_id": r.space_id, "description": r.description, "hashtags": list(r.hashtags), "creator": r.creator,
        "created_at": float(r.created_at), "info": json.dumps(r.info, default=float), "warnings": list(r.warnings),
        **{f"{m}_model": (f.model if f else "") for m, f in present.items()},
        **{f"{m}_tags": ([t.to_dict() for t in f.tags] if f else []) for m, f in present.items()},
        **{f"{m}_stats": json.dumps(f.stats if f else {}, default=float) for m, f in present.items()},
    }


def record_from_row(row: dict[str, Any]) -> VideoRecord:
    """The record of one Parquet row (as `pyarrow` gives it with `to_pylist`)."""
    features, dims = {}, {}
    for m in MODALITIES:
        vector = np.asarray([] if row[f"{m}_vector"] is None else row[f"{m}_vector"], np.float32)
        dims[m] = int(vector.size)
        if vector.size:
            tags = [Tag(t["label"], t["score"], t["source"]) for t in row.get(f"{m}_tags") or []]
            features[m] = ModalityFeatures(m, vector, float(row["confidence"][m]), tags,
                                           json.loads(row.get(f"{m}_stats") or "{}"), row.get(f"{m}_model") or "")
    info = json.loads(row["info"]) if row.get("info") else {"duration_s": float(row["duration_s"])}
    fused = FusedVector(np.asarray(row["fused_vector"], np.float32), dict(row["weights"]), dims)
    return VideoRecord(row["id"], row["path"], row["title"], row.get("description") or "", row.get("hashtags") or [],
                       row.get("creator") or "", info, features, fused, row["space_id"], row.get("warnings") or [],
                       float(row.get("created_at") or 0.0))


def write_parquet(records: list[VideoRecord], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    pq.write_table(pa.Table.from_pylist([record_row(r) for r in records], schema=SCHEMA), tmp)
    tmp.replace(out)  # never leave a half-written file under the requested name


def parquet_files(path: Path) -> list[Path]:
    """A .parquet file, or the .parquet shards of a folder in name order."""
    return sorted(path.glob("*.parquet")) if path.is_dir() else [path]


VECTOR_COLUMNS = ("fused_vector", *(f"{m}_vector" for m in MODALITIES))


def read_records(path: Path, chunk: int = 2000):
    """Lists of at most `chunk` records from a file or a folder of shards, streamed (never all in memory)."""
    for file in parquet_files(path):
        for batch in pq.ParquetFile(file).iter_batches(batch_size=chunk):
            yield records_of(batch)


def records_of(batch: pa.RecordBatch) -> list[VideoRecord]:
    """Records of one batch; vector columns go to numpy whole rather than through Python lists."""
    vectors = {name: _rows(batch.column(name)) for name in VECTOR_COLUMNS}
    rows = batch.drop_columns(list(VECTOR_COLUMNS)).to_pylist()
    for i, row in enumerate(rows):
        for name, values in vectors.items():
            row[name] = values[i]
    return [record_from_row(row) for row in rows]


def _rows(column: pa.ListArray) -> list[np.ndarray]:
    offsets = column.offsets.to_numpy()
    values = column.values.to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return [values[a:b] for a, b in itertools.pairwise(offsets)]
