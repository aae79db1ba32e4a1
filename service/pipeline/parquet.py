"""The batch record schema (`reelsense embed --out`, the Ray engine's shards) and the reverse (`reelsense import`):
one row per video with everything the store holds for it, so an imported video serves exactly as an uploaded one.

Version 2 (`SCHEMA_VERSION`, also in each file's key-value metadata under `reelsense.schema`) adds to version 1's
text, vectors, tags and stats: the sound fingerprint and the frame hashes (raw little-endian arrays in binary
columns: a print is read whole or not at all, and a list column would cost an offset per value), shot starts,
moments with their vectors (float16, as the store keeps them), and the sampled frames' JPEG thumbnails inline.

Thumbnails are inline rather than in a side file per shard: they are small (a sampled frame's JPEG is a few KB,
tens of KB a video, measured in bench/parquet_size.py), a row stays self-contained (a retried Ray task rewrites
one object, a shard copied alone keeps its images), and Parquet's column projection lets the readers that only
want ids or vectors (`shards.shard_ids`, the resume check of import) skip the image pages entirely.

A row read back (`record_from_row`) equals the record the store held; `sound` and `duplicate_of` are not
written: the importing store finds them against what it holds, as for an upload. Version 1 files still import
(without prints, moments or frames).
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from extractors.audio.fingerprint import SoundPrint
from extractors.base import ModalityFeatures, Tag
from extractors.visual.framehash import FramePrint
from service.errors import CommandError
from service.fusion import MODALITIES, FusedVector
from service.records import FrameThumbnail, Moment, VideoRecord

SCHEMA_VERSION = 2
VERSION_KEY = b"reelsense.schema"
_TAG = pa.struct([("label", pa.string()), ("score", pa.float64()), ("source", pa.string())])
MOMENT = pa.struct([("kind", pa.string()), ("start_s", pa.float64()), ("end_s", pa.float64()),
                    ("frame_index", pa.int32()), ("text", pa.string()), ("model", pa.string()),
                    ("vector", pa.binary())])  # little-endian float16, null when the moment has none
FRAME = pa.struct([("index", pa.int32()), ("time_s", pa.float64()), ("width", pa.int32()), ("height", pa.int32()),
                   ("jpeg", pa.binary())])
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
        ("description", pa.string()),
        ("hashtags", pa.list_(pa.string())),
        ("creator", pa.string()),
        ("created_at", pa.float64()),
        ("info", pa.string()),  # JSON
        ("warnings", pa.list_(pa.string())),
        *[(f"{m}_model", pa.string()) for m in MODALITIES],
        *[(f"{m}_tags", pa.list_(_TAG)) for m in MODALITIES],
        *[(f"{m}_stats", pa.string()) for m in MODALITIES],  # JSON
        # version 2: what serving needs besides the vectors
        ("schema_version", pa.int16()),
        ("sound_version", pa.string()),  # null: no sound print was made
        ("sound_seconds", pa.float64()),
        ("sound_hashes", pa.binary()),  # little-endian uint32 per landmark
        ("sound_times", pa.binary()),  # little-endian int32 anchor frame per landmark
        ("frame_version", pa.string()),  # null: no frame print was made
        ("frame_hashes", pa.binary()),  # little-endian uint64 pHash per informative frame
        ("frame_times", pa.binary()),  # little-endian float64 seconds
        ("shot_starts", pa.list_(pa.float64())),
        ("moments", pa.list_(MOMENT)),
        ("frames", pa.list_(FRAME)),
    ],
    metadata={VERSION_KEY: str(SCHEMA_VERSION).encode()},
)
VECTOR_COLUMNS = ("fused_vector", *(f"{m}_vector" for m in MODALITIES))


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
        "schema_version": SCHEMA_VERSION, **_print_columns(r), "shot_starts": [float(s) for s in r.shot_starts],
        "moments": [{"kind": m.kind, "start_s": m.start_s, "end_s": m.end_s, "frame_index": m.frame_index,
                     "text": m.text, "model": m.model,
                     "vector": None if m.vector is None else np.asarray(m.vector, "<f2").tobytes()}
                    for m in r.moments],
        "frames": [{"index": f.index, "time_s": f.time_s, "width": f.width, "height": f.height, "jpeg": f.jpeg}
                   for f in r.frames],
    }


def _print_columns(r: VideoRecord) -> dict[str, Any]:
    sound, frames = r.sound_print, r.frame_print
    return {
        "sound_version": sound.version if sound else None, "sound_seconds": sound.seconds if sound else None,
        "sound_hashes": np.asarray(sound.hashes, "<u4").tobytes() if sound else None,
        "sound_times": np.asarray(sound.times, "<i4").tobytes() if sound else None,
        "frame_version": frames.version if frames else None,
        "frame_hashes": np.asarray(frames.hashes, "<u8").tobytes() if frames else None,
        "frame_times": np.asarray(frames.times, "<f8").tobytes() if frames else None,
    }


def record_from_row(row: dict[str, Any]) -> VideoRecord:
    """The record of one Parquet row (as `pyarrow` gives it with `to_pylist`); version 1 rows lack the media."""
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
    record = VideoRecord(row["id"], row["path"], row["title"], row.get("description") or "", row.get("hashtags") or [],
                         row.get("creator") or "", info, features, fused, row["space_id"], row.get("warnings") or [],
                         float(row.get("created_at") or 0.0))
    record.sound_print, record.frame_print = _prints(row)
    record.shot_starts = list(row.get("shot_starts") or [])
    record.moments = [Moment(m["kind"], m["start_s"], m["end_s"], m["frame_index"], m["text"] or "", m["model"] or "",
                             None if m["vector"] is None else np.frombuffer(m["vector"], "<f2").astype(np.float32))
                      for m in row.get("moments") or []]
    record.frames = [FrameThumbnail(f["index"], f["time_s"], f["width"], f["height"], f["jpeg"])
                     for f in row.get("frames") or []]
    return record


def _prints(row: dict[str, Any]) -> tuple[SoundPrint | None, FramePrint | None]:
    sound = frames = None
    if row.get("sound_version") is not None:
        sound = SoundPrint(np.frombuffer(row["sound_hashes"] or b"", "<u4").astype(np.uint32),
                           np.frombuffer(row["sound_times"] or b"", "<i4").astype(np.int32),
                           float(row["sound_seconds"] or 0.0), row["sound_version"])
    if row.get("frame_version") is not None:
        frames = FramePrint(np.frombuffer(row["frame_hashes"] or b"", "<u8").astype(np.uint64),
                            np.frombuffer(row["frame_times"] or b"", "<f8").astype(np.float64), row["frame_version"])
    return sound, frames


def records_table(records: list[VideoRecord]) -> pa.Table:
    """The records as one table of `SCHEMA` (with its version metadata)."""
    return pa.Table.from_pylist([record_row(r) for r in records], schema=SCHEMA)


def write_parquet(records: list[VideoRecord], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    pq.write_table(records_table(records), tmp)
    tmp.replace(out)  # never leave a half-written file under the requested name


def parquet_files(path: Path) -> list[Path]:
    """A .parquet file, or the .parquet shards of a folder in name order."""
    return sorted(path.glob("*.parquet")) if path.is_dir() else [path]


def check_version(metadata: dict[bytes, bytes] | None, where: str) -> int:
    """The schema version of a file (1 when unmarked); CommandError for a version newer than this code reads."""
    version = int((metadata or {}).get(VERSION_KEY, b"1"))
    if version > SCHEMA_VERSION:
        raise CommandError("unsupported_schema", f"{where} has batch schema version {version}; this reelsense reads "
                                                 f"up to {SCHEMA_VERSION}: upgrade it to import this output")
    return version


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
