"""Parquet export of video records: one row per video, vectors as float32 lists."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from service.fusion import MODALITIES
from service.records import VideoRecord

_TAG = pa.struct([("label", pa.string()), ("score", pa.float32()), ("source", pa.string())])
SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("path", pa.string()),
        ("title", pa.string()),
        ("duration_s", pa.float32()),
        ("tags", pa.list_(_TAG)),
        ("weights", pa.struct([(m, pa.float32()) for m in MODALITIES])),
        ("confidence", pa.struct([(m, pa.float32()) for m in MODALITIES])),
        ("fused_vector", pa.list_(pa.float32())),
        *[(f"{m}_vector", pa.list_(pa.float32())) for m in MODALITIES],
        ("space_id", pa.string()),
    ]
)


def record_row(r: VideoRecord) -> dict:
    """One Parquet row of a record (the local engine's `--out` file and the Ray engine's shards alike)."""
    return {
        "id": r.id,
        "path": r.path,
        "title": r.title,
        "duration_s": r.duration_s,
        "tags": [t.to_dict() for t in r.tags],
        "weights": {m: r.fused.weights.get(m, 0.0) for m in MODALITIES},
        "confidence": {m: r.features[m].confidence if m in r.features else 0.0 for m in MODALITIES},
        "fused_vector": r.fused.vector.tolist(),
        **{f"{m}_vector": (r.features[m].vector.tolist() if m in r.features else []) for m in MODALITIES},
        "space_id": r.space_id,
    }


def write_parquet(records: list[VideoRecord], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    pq.write_table(pa.Table.from_pylist([record_row(r) for r in records], schema=SCHEMA), tmp)
    tmp.replace(out)  # never leave a half-written file under the requested name
