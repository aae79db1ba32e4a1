"""The videos table and their per-modality features: add, read, delete, re-embed; one embedding space per store."""
from __future__ import annotations

import json
import time
from typing import Any

from extractors.base import ModalityFeatures, Tag
from service.errors import SpaceMismatchError
from service.fusion import MODALITIES, FusedVector
from service.records import VideoRecord
from service.storage.database import from_blob, to_blob
from service.storage.frames import FrameTable
from service.storage.moments import insert_moments
from service.storage.prints import PrintTable


class VideoTable(FrameTable, PrintTable):
    """Videos with their per-modality features, frame thumbnails, shots and media prints; every write is one
    transaction."""

    # -- embedding space -------------------------------------------------------------------------
    @property
    def space_id(self) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key='space_id'")
        return row[0] if row else None

    def check_space(self, space_id: str) -> None:
        """Refuse vectors of another space than the stored ones, saying how to re-index."""
        current = self.space_id
        if current is not None and current != space_id and self.count() > 0:
            raise SpaceMismatchError(
                f"this store ({self.path}) holds vectors of embedding space {current!r}, but the current settings "
                f"produce {space_id!r}; vectors of different spaces are never compared. Re-index with "
                f"`reelsense reindex --db {self.path}` (re-embeds every stored video with the current models), "
                "or point REELSENSE_DB_PATH at another store"
            )

    # -- reading ---------------------------------------------------------------------------------
    def has(self, video_id: str) -> bool:
        return self._one("SELECT 1 FROM videos WHERE id=?", (video_id,)) is not None

    def count(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM videos")[0])

    def ids(self) -> list[str]:
        return [r[0] for r in self._all("SELECT id FROM videos ORDER BY created_at, id")]

    def get(self, video_id: str) -> VideoRecord | None:
        with self.lock:
            row = self._one("SELECT * FROM videos WHERE id=?", (video_id,))
            return self._record(row) if row else None

    def records(self, ids: list[str] | None = None) -> list[VideoRecord]:
        wanted = ids if ids is not None else self.ids()
        return [r for r in (self.get(i) for i in wanted) if r is not None]

    def catalogue(self) -> list[dict[str, Any]]:
        """One light row per video (no per-modality vectors) for building the recommender's index."""
        rows = self._all("SELECT id, creator, created_at, weights, fused, hashtags FROM videos ORDER BY created_at, id")
        tags: dict[str, list[dict]] = {}
        for vid, t in self._all("SELECT video_id, tags FROM modality_features"):
            tags.setdefault(vid, []).extend(json.loads(t))
        return [
            {"id": vid, "creator": creator, "created_at": created, "weights": json.loads(weights),
             "fused": from_blob(fused), "hashtags": json.loads(hashtags), "tags": tags.get(vid, [])}
            for vid, creator, created, weights, fused, hashtags in rows
        ]

    # -- writing ---------------------------------------------------------------------------------
    def add(self, record: VideoRecord) -> bool:
        """Store a record atomically; False (and no change) when the same content is already stored."""
        self.check_space(record.space_id)
        with self.transaction():
            if self.has(record.id):
                return False
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('space_id', ?)", (record.space_id,))
            self.conn.execute(
                "INSERT INTO videos VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record.id, record.path, record.title, record.description, json.dumps(record.hashtags),
                    record.creator, record.duration_s, json.dumps(record.info), json.dumps(record.fused.weights),
                    record.space_id, to_blob(record.fused.vector), json.dumps(record.warnings),
                    record.created_at or time.time(),
                ),
            )
            self._insert_features(record)
            self._write_frames(record)
            self._link_prints(record)
            insert_moments(self.conn, record)
        return True

    def delete(self, video_id: str) -> bool:
        with self.transaction():
            self._unlink_prints(video_id)
            cur = self.conn.execute("DELETE FROM videos WHERE id=?", (video_id,))
        return cur.rowcount > 0

    def replace_vectors(self, records: list[VideoRecord]) -> None:
        """Swap every stored video's features and vectors for re-embedded ones in one transaction.

        This is how a store moves to a new embedding space: ids, titles, events and users stay; a partial
        re-index would mix spaces, so the records must cover every stored video and share one space.
        """
        spaces = {r.space_id for r in records}
        if len(spaces) != 1:
            raise ValueError(f"re-embedded records must share one embedding space, got {sorted(spaces)}")
        with self.transaction():
            missing = set(self.ids()) - {r.id for r in records}
            if missing:
                raise ValueError(f"{len(missing)} stored videos were not re-embedded; nothing was changed")
            for r in records:
                self.conn.execute(
                    "UPDATE videos SET duration_s=?, info=?, weights=?, space_id=?, fused=?, warnings=? WHERE id=?",
                    (r.duration_s, json.dumps(r.info), json.dumps(r.fused.weights), r.space_id,
                     to_blob(r.fused.vector), json.dumps(r.warnings), r.id),
                )
                self.conn.execute("DELETE FROM modality_features WHERE video_id=?", (r.id,))
                self._insert_features(r)
                self._write_frames(r)
                insert_moments(self.conn, r)
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('space_id', ?)", (spaces.pop(),))

    # -- row <-> record ----------------------------------------------------------------------------
    def _insert_features(self, record: VideoRecord) -> None:
        for m, f in record.features.items():
            self.conn.execute(
                "INSERT INTO modality_features VALUES (?,?,?,?,?,?,?)",
                (record.id, m, f.model, f.confidence, to_blob(f.vector),
                 json.dumps([t.to_dict() for t in f.tags]), json.dumps(f.stats, default=float)),
            )

    def _record(self, row: tuple) -> VideoRecord:
        (vid, path, title, description, hashtags, creator, _duration, info, weights, space_id, fused,
         warnings, created_at) = row
        features, dims = {}, {m: 0 for m in MODALITIES}
        for m, model, confidence, vector, tags, stats in self._all(
            "SELECT modality, model, confidence, vector, tags, stats FROM modality_features WHERE video_id=?", (vid,)
        ):
            vec = from_blob(vector)
            tag_list = [Tag(**t) for t in json.loads(tags)]
            features[m] = ModalityFeatures(m, vec, confidence, tag_list, json.loads(stats), model)
            dims[m] = vec.size
        fused_vec = FusedVector(from_blob(fused), json.loads(weights), dims)
        frames, shots = self._frames_of(vid)
        sound, duplicate_of = self.print_links(vid)
        return VideoRecord(vid, path, title, description, json.loads(hashtags), creator, json.loads(info), features,
                           fused_vec, space_id, json.loads(warnings), created_at, frames, shots, sound=sound,
                           duplicate_of=duplicate_of)
