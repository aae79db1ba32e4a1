"""A video record's own rows on PostgreSQL: per-modality features, frame thumbnails, shots and moments, written in
the video's transaction and read back into a VideoRecord (per-modality vectors are float32 bytea, moments float16:
they are read per video, never searched in the database)."""
from __future__ import annotations

import json

import psycopg

from extractors.base import ModalityFeatures, Tag
from service.fusion import MODALITIES, FusedVector
from service.records import FrameThumbnail, Moment, VideoRecord
from service.storage.database import from_blob, to_blob
from service.storage.moments import _from_half, _to_half
from service.storage.postgres.prints import PgPrintTable


def feature_tags(record: VideoRecord) -> list[dict]:
    """Tags in modality order (as the SQLite store ranks them)."""
    return [t.to_dict() for f in record.features.values() for t in f.tags]


def write_media(conn: psycopg.Connection, record: VideoRecord) -> None:
    """Replace the record's thumbnails, shots (unless it carries thumbnails without bytes, as a record read back
    does) and moments, inside the caller's transaction."""
    if not any(f.jpeg is None for f in record.frames):
        conn.execute("DELETE FROM video_frames WHERE video_id=%s", (record.id,))
        conn.execute("DELETE FROM video_shots WHERE video_id=%s", (record.id,))
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO video_frames(video_id, idx, time_s, width, height, jpeg) "
                            "VALUES (%s,%s,%s,%s,%s,%s)",
                            [(record.id, f.index, f.time_s, f.width, f.height, f.jpeg) for f in record.frames])
            cur.executemany("INSERT INTO video_shots(video_id, idx, start_s) VALUES (%s,%s,%s)",
                            [(record.id, i, s) for i, s in enumerate(record.shot_starts)])
    conn.execute("DELETE FROM moments WHERE video_id=%s", (record.id,))
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO moments(video_id, idx, kind, start_s, end_s, frame_index, text, model, vector) "
                        "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                        [(record.id, i, m.kind, m.start_s, m.end_s, m.frame_index, m.text, m.model,
                          _to_half(m.vector)) for i, m in enumerate(record.moments)])


class PgRecordReader(PgPrintTable):
    def _insert_features(self, conn: psycopg.Connection, record: VideoRecord) -> None:
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO modality_features VALUES (%s,%s,%s,%s,%s,%s,%s)",
                            [(record.id, m, f.model, f.confidence, to_blob(f.vector),
                              json.dumps([t.to_dict() for t in f.tags]), json.dumps(f.stats, default=float))
                             for m, f in record.features.items()])

    def _record(self, conn: psycopg.Connection, row: tuple) -> VideoRecord:
        (vid, path, title, description, hashtags, creator, _duration, info, weights, space_id, fused,
         warnings, created_at) = row
        features, dims = {}, dict.fromkeys(MODALITIES, 0)
        for m, model, confidence, vector, tags, stats in conn.execute(
                "SELECT modality, model, confidence, vector, tags, stats FROM modality_features WHERE video_id=%s",
                (vid,), binary=True):
            vec = from_blob(bytes(vector))
            features[m] = ModalityFeatures(m, vec, confidence, [Tag(**t) for t in json.loads(tags)],
                                           json.loads(stats), model)
            dims[m] = vec.size
        frames = [FrameThumbnail(*r) for r in conn.execute(
            "SELECT idx, time_s, width, height FROM video_frames WHERE video_id=%s ORDER BY idx", (vid,))]
        shots = [r[0] for r in conn.execute("SELECT start_s FROM video_shots WHERE video_id=%s ORDER BY idx", (vid,))]
        sound, duplicate_of = self._print_links(conn, vid)
        return VideoRecord(vid, path, title, description, json.loads(hashtags), creator, json.loads(info), features,
                           FusedVector(from_blob(fused), json.loads(weights), dims), space_id, json.loads(warnings),
                           created_at, frames, shots, sound=sound, duplicate_of=duplicate_of)

    def frame_jpeg(self, video_id: str, index: int) -> bytes | None:
        row = self._one("SELECT jpeg FROM video_frames WHERE video_id=%s AND idx=%s", (video_id, index))
        return bytes(row[0]) if row else None

    def frame_jpegs(self, video_id: str) -> dict[int, bytes]:
        """Every stored thumbnail of a video by frame index (batch export and re-embedding carry the images)."""
        return {idx: bytes(jpeg) for idx, jpeg in self._all("SELECT idx, jpeg FROM video_frames WHERE video_id=%s",
                                                            (video_id,))}

    def thumbnail_bytes(self, video_id: str) -> int:
        row = self._one("SELECT COALESCE(SUM(octet_length(jpeg)), 0) FROM video_frames WHERE video_id=%s",
                        (video_id,))
        return int(row[0])

    def moments_of(self, video_ids: list[str]) -> dict[str, list[Moment]]:
        out: dict[str, list[Moment]] = {vid: [] for vid in video_ids}
        if not video_ids:
            return out
        for vid, kind, start, end, frame, text, model, vector in self._all(
                "SELECT video_id, kind, start_s, end_s, frame_index, text, model, vector FROM moments "
                "WHERE video_id = ANY(%s) ORDER BY video_id, start_s, idx", (list(video_ids),)):
            out[vid].append(Moment(kind, start, end, frame, text, model,
                                   _from_half(None if vector is None else bytes(vector))))
        return out

    def moment_count(self) -> int:
        return int(self._one("SELECT count(*) FROM moments")[0])
