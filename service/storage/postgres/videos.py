"""Videos and their features on PostgreSQL: add, read, delete, re-embed; one embedding space per store.

The fused vector is pgvector `vector` in the videos row; the HNSW index over it (on its halfvec cast, half the
bytes, cosine distance) is created when the first video fixes the space's width, and rebuilt by a re-index that
changes it. Ranking rows and counters live in their own tables, so event traffic never updates an indexed row.
"""
from __future__ import annotations

import json
import time

import psycopg

from service.errors import SpaceMismatchError
from service.records import VideoRecord
from service.storage.changes import ALL, CATEGORY, VECTORS, VIDEO_ADDED, VIDEO_DELETED
from service.storage.postgres.changes import PgChangeTable
from service.storage.postgres.records import PgRecordReader, feature_tags, write_media
from service.storage.postgres.vectors import Vector
from service.storage.rows import CatalogueRow, RankingInfo
from service.tags import ranking_tags

HNSW_MAX_DIMS = 4000  # pgvector indexes halfvec up to this width
VIDEO_COLUMNS = ("id, path, title, description, hashtags, creator, duration_s, info, weights, space_id, fused, "
                 "warnings, created_at")


def create_vector_index(conn: psycopg.Connection, width: int) -> None:
    """The HNSW index for feed retrieval, similar and search (cosine over the halfvec cast of the fused vector)."""
    conn.execute("DROP INDEX IF EXISTS videos_fused_hnsw")
    if width <= HNSW_MAX_DIMS:  # partial: videos a re-index left in an older space may have another width
        conn.execute(f"CREATE INDEX videos_fused_hnsw ON videos USING hnsw ((fused::halfvec({int(width)})) "
                     f"halfvec_cosine_ops) WHERE vector_dims(fused) = {int(width)}")


class PgVideoTable(PgRecordReader, PgChangeTable):
    # -- embedding space -------------------------------------------------------------------------
    @property
    def space_id(self) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key='space_id'")
        return row[0] if row else None

    def check_space(self, space_id: str) -> None:
        current = self.space_id
        if current is not None and current != space_id and self.count() > 0:
            raise SpaceMismatchError(
                f"this store (PostgreSQL {self.where}) holds vectors of embedding space {current!r}, but the "
                f"current settings produce {space_id!r}; vectors of different spaces are never compared. Re-index "
                "with `reelsense reindex` (re-embeds every stored video with the current models), or point "
                "REELSENSE_DATABASE_URL at another store")

    def dims(self) -> dict[str, int] | None:
        row = self._one("SELECT value FROM meta WHERE key='dims'")
        return json.loads(row[0]) if row else None

    @property
    def vectors_generation(self) -> int:
        row = self._one("SELECT value FROM meta WHERE key='vectors_generation'")
        return int(row[0]) if row else 0

    # -- reading ---------------------------------------------------------------------------------
    def has(self, video_id: str) -> bool:
        return self._one("SELECT 1 FROM videos WHERE id=%s", (video_id,)) is not None

    def count(self) -> int:
        return int(self._one("SELECT count(*) FROM videos")[0])

    def ids(self) -> list[str]:
        return [r[0] for r in self._all("SELECT id FROM videos ORDER BY created_at, id")]

    def get(self, video_id: str) -> VideoRecord | None:
        with self.pool.connection() as conn:
            row = conn.execute(f"SELECT {VIDEO_COLUMNS} FROM videos WHERE id=%s", (video_id,), binary=True).fetchone()
            return self._record(conn, row) if row else None

    def records(self, ids: list[str] | None = None) -> list[VideoRecord]:
        wanted = ids if ids is not None else self.ids()
        return [r for r in (self.get(i) for i in wanted) if r is not None]

    def catalogue_rows(self, slot_from: int = 0, with_vectors: bool = True, chunk: int = 20_000):
        """Chunks of CatalogueRow by slot (keyset pages: one page in memory at a time)."""
        vector = "v.fused" if with_vectors else "NULL::bytea"
        sql = (f"SELECT r.slot, v.id, v.creator, v.created_at, r.category, {vector} FROM video_ranking r "
               "JOIN videos v ON v.id = r.video_id WHERE r.slot >= %s ORDER BY r.slot LIMIT %s")
        while True:
            rows = [CatalogueRow(*r) for r in self._all(sql, (slot_from, chunk))]
            if not rows:
                return
            yield rows
            slot_from = rows[-1].slot + 1

    def live_slots(self) -> list[int]:
        return [r[0] for r in self._all("SELECT slot FROM video_ranking")]

    def ranking_info(self, video_ids: list[str]) -> dict[str, RankingInfo]:
        rows = self._all("SELECT r.video_id, r.slot, v.fused, r.tags, r.category FROM video_ranking r "
                         "JOIN videos v ON v.id = r.video_id WHERE r.video_id = ANY(%s)", (list(set(video_ids)),))
        return {vid: RankingInfo(slot, fused, json.loads(tags), category) for vid, slot, fused, tags, category in rows}

    def slots_of(self, video_ids: list[str]) -> dict[str, int]:
        return dict(self._all("SELECT video_id, slot FROM video_ranking WHERE video_id = ANY(%s)",
                              (list(set(video_ids)),)))

    def slots_tagged(self, label: str) -> list[int]:
        return [r[0] for r in self._all("SELECT slot FROM video_ranking WHERE tags LIKE %s", (f'%"{label}":%',))]

    def ranking_tags(self, video_ids: list[str]) -> dict[str, dict[str, float]]:
        wanted = list(set(video_ids) - {None})
        return {vid: json.loads(tags) for vid, tags in self._all(
            "SELECT video_id, tags FROM video_ranking WHERE video_id = ANY(%s)", (wanted,))}

    def set_category(self, video_id: str, category: str) -> None:
        with self.transaction() as conn:
            row = conn.execute("SELECT tags FROM video_ranking WHERE video_id=%s FOR UPDATE", (video_id,)).fetchone()
            if row:
                tags = json.loads(row[0])
                tags[category] = max(tags.get(category, 0.0), 1.0)
                conn.execute("UPDATE video_ranking SET category=%s, tags=%s WHERE video_id=%s",
                             (category, json.dumps(tags), video_id))
                self._log_changes(conn, CATEGORY, [video_id])

    # -- writing ---------------------------------------------------------------------------------
    def add(self, record: VideoRecord) -> bool:
        return self.add_many([record]) == 1

    def add_many(self, records: list[VideoRecord]) -> int:
        """Store records in one transaction, skipping ids already stored; how many were added."""
        spaces = {r.space_id for r in records}
        for space in spaces:
            self.check_space(space)
        if len(spaces) > 1:
            raise SpaceMismatchError(f"the records mix embedding spaces {sorted(spaces)}; vectors of different "
                                     "spaces are never compared")
        with self.transaction() as conn:
            added = [r for r in records if self._insert(conn, r)]
            self._log_changes(conn, VIDEO_ADDED, [r.id for r in added])
        return len(added)

    def _insert(self, conn: psycopg.Connection, record: VideoRecord) -> bool:
        """The video's rows; False (nothing written) when its id is stored already, by anyone."""
        inserted = conn.execute(
            f"INSERT INTO videos ({VIDEO_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
            "ON CONFLICT (id) DO NOTHING RETURNING id",
            (record.id, record.path, record.title, record.description, json.dumps(record.hashtags), record.creator,
             record.duration_s, json.dumps(record.info), json.dumps(record.fused.weights), record.space_id,
             Vector(record.fused.vector), json.dumps(record.warnings), record.created_at or time.time())).fetchone()
        if inserted is None:
            return False
        conn.execute("INSERT INTO meta(key, value) VALUES ('space_id', %s) ON CONFLICT (key) DO UPDATE "
                     "SET value=excluded.value", (record.space_id,))
        first = conn.execute("INSERT INTO meta(key, value) VALUES ('dims', %s) ON CONFLICT (key) DO NOTHING "
                             "RETURNING key", (json.dumps(record.fused.dims),)).fetchone()
        if first is not None:
            create_vector_index(conn, int(record.fused.vector.size))
        self._insert_features(conn, record)
        self._insert_ranking(conn, record)
        write_media(conn, record)
        self._link_prints(conn, record)
        return True

    def _insert_ranking(self, conn: psycopg.Connection, record: VideoRecord) -> None:
        tags, category = ranking_tags(feature_tags(record))
        conn.execute("INSERT INTO video_ranking(video_id, category, tags) VALUES (%s,%s,%s)",
                     (record.id, category, json.dumps(tags)))

    def backfill_ranking(self) -> int:
        """Ranking rows for videos without one (none on PostgreSQL: its first schema has them); for the interface."""
        missing = [r[0] for r in self._all("SELECT id FROM videos WHERE id NOT IN (SELECT video_id FROM "
                                           "video_ranking) ORDER BY created_at, id")]
        records = [r for r in (self.get(v) for v in missing) if r is not None]
        with self.transaction() as conn:
            for record in records:
                self._insert_ranking(conn, record)
            self._log_changes(conn, VIDEO_ADDED, [r.id for r in records])
        return len(records)

    def delete(self, video_id: str) -> bool:
        """Delete a video with its features, events and counters; users who had touched it are rebuilt later."""
        with self.transaction() as conn:
            conn.execute("UPDATE user_state SET stale=true WHERE user_id IN (SELECT user_id FROM user_videos "
                         "WHERE video_id=%s)", (video_id,))
            self._unlink_prints(conn, video_id)
            deleted = conn.execute("DELETE FROM videos WHERE id=%s", (video_id,)).rowcount > 0
            if deleted:
                self._log_changes(conn, VIDEO_DELETED, [video_id])
        return deleted

    def replace_vectors(self, records: list[VideoRecord], flagged: list[str] | tuple[str, ...] = ()) -> None:
        """Swap stored videos' features and vectors for re-embedded ones in one transaction (re-index).

        As in the SQLite store: the records share one space and cover every stored video not in it yet, but
        `flagged` ones, which keep their old vectors and space id (`flagged_ids`) and leave the ranking (their
        video_ranking row goes) until re-embedded, when they come back with a new slot. The HNSW index is
        rebuilt over the new space's width only (a flagged video's older vector may not cast to it).
        """
        spaces = {r.space_id for r in records}
        if len(spaces) != 1:
            raise ValueError(f"re-embedded records must share one embedding space, got {sorted(spaces)}")
        space = spaces.pop()
        with self.transaction() as conn:
            others = {r[0] for r in conn.execute("SELECT id FROM videos WHERE space_id != %s", (space,))}
            missing = others - {r.id for r in records} - set(flagged)
            if missing:
                raise ValueError(f"{len(missing)} stored videos were not re-embedded; nothing was changed")
            ranked = {r[0] for r in conn.execute("SELECT video_id FROM video_ranking WHERE video_id = ANY(%s)",
                                                 ([r.id for r in records],))}
            conn.execute("DROP INDEX IF EXISTS videos_fused_hnsw")
            back = []
            for r in records:
                conn.execute("UPDATE videos SET duration_s=%s, info=%s, weights=%s, space_id=%s, fused=%s, "
                             "warnings=%s WHERE id=%s",
                             (r.duration_s, json.dumps(r.info), json.dumps(r.fused.weights), r.space_id,
                              Vector(r.fused.vector), json.dumps(r.warnings), r.id))
                conn.execute("DELETE FROM modality_features WHERE video_id=%s", (r.id,))
                self._insert_features(conn, r)
                if r.id in ranked:
                    tags, category = ranking_tags(feature_tags(r))
                    conn.execute("UPDATE video_ranking SET tags=%s, category=%s WHERE video_id=%s",
                                 (json.dumps(tags), category, r.id))
                else:  # flagged by an earlier re-index: back in the ranking, with a new slot
                    self._insert_ranking(conn, r)
                    back.append(r.id)
                write_media(conn, r)
            conn.execute("DELETE FROM video_ranking WHERE video_id = ANY(%s)", (sorted(set(flagged)),))
            generation = self.vectors_generation + 1
            conn.cursor().executemany("INSERT INTO meta(key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE "
                                      "SET value=excluded.value",
                                      [("space_id", space), ("dims", json.dumps(records[0].fused.dims)),
                                       ("vectors_generation", str(generation))])
            create_vector_index(conn, int(records[0].fused.vector.size))
            conn.execute("UPDATE user_state SET stale=true")
            self._log_changes(conn, VIDEO_ADDED, back)
            self._log_changes(conn, VECTORS, [ALL])

    def flagged_ids(self) -> list[str]:
        """Videos left in an older embedding space by a re-index that could not re-embed them (no media file):
        stored and readable, but out of the ranking until re-embedded."""
        return [r[0] for r in self._all("SELECT id FROM videos WHERE space_id != (SELECT value FROM meta WHERE "
                                        "key='space_id') ORDER BY created_at, id")]
