"""The videos table and their per-modality features: add, read, delete, re-embed; one embedding space per store."""
from __future__ import annotations

import json
import time

from extractors.base import ModalityFeatures, Tag
from service.errors import SpaceMismatchError
from service.fusion import MODALITIES, FusedVector
from service.records import VideoRecord
from service.storage.changes import ALL, CATEGORY, VECTORS, VIDEO_ADDED, VIDEO_DELETED, ChangeTable
from service.storage.counters import chunks
from service.storage.database import from_blob, to_blob
from service.storage.frames import FrameTable
from service.storage.moments import insert_moments
from service.storage.prints import PrintTable
from service.storage.rows import CatalogueRow, RankingInfo
from service.storage.userstate import mark_stale
from service.tags import ranking_tags


class VideoTable(FrameTable, PrintTable, ChangeTable):
    """Videos with their per-modality features, frame thumbnails, shots and media prints; every write is one
    transaction, which also logs what it changed for other processes (service.storage.changes)."""

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

    def dims(self) -> dict[str, int] | None:
        """Per-modality vector sizes of the stored space (None while the store is empty)."""
        row = self._one("SELECT value FROM meta WHERE key='dims'")
        if row:
            return json.loads(row[0])
        first = self._one("SELECT id FROM videos LIMIT 1")
        return self.get(first[0]).fused.dims if first else None

    @property
    def vectors_generation(self) -> int:
        """Bumped whenever stored vectors change in place (re-index): a persisted vector index older than this
        is rebuilt."""
        row = self._one("SELECT value FROM meta WHERE key='vectors_generation'")
        return int(row[0]) if row else 0

    def catalogue_rows(self, slot_from: int = 0, with_vectors: bool = True, chunk: int = 20_000):
        """Chunks of CatalogueRow by slot, for loading the
        recommender's catalogue; reads one chunk at a time so a million rows never sit in one list."""
        vector = "v.fused" if with_vectors else "NULL"
        sql = (f"SELECT r.slot, v.id, v.creator, v.created_at, r.category, {vector} FROM video_ranking r "
               "JOIN videos v ON v.id = r.video_id WHERE r.slot >= ? ORDER BY r.slot LIMIT ?")
        while True:
            rows = [CatalogueRow(*r) for r in self._all(sql, (slot_from, chunk))]
            if not rows:
                return
            yield rows
            slot_from = rows[-1].slot + 1

    def live_slots(self) -> list[int]:
        return [r[0] for r in self._all("SELECT slot FROM video_ranking")]

    def ranking_info(self, video_ids: list[str]) -> dict[str, RankingInfo]:
        """{video id: its serving row} for the given videos."""
        out = {}
        for part in chunks(sorted(set(video_ids))):
            for vid, slot, fused, tags, category in self._all(
                    "SELECT r.video_id, r.slot, v.fused, r.tags, r.category FROM video_ranking r JOIN videos v "
                    f"ON v.id = r.video_id WHERE r.video_id IN ({','.join('?' * len(part))})", tuple(part)):
                out[vid] = RankingInfo(slot, fused, json.loads(tags), category)
        return out

    def slots_of(self, video_ids: list[str]) -> dict[str, int]:
        """{video id: slot} of the given videos that are stored."""
        out = {}
        for part in chunks(sorted(set(video_ids))):
            out.update(self._all(f"SELECT video_id, slot FROM video_ranking WHERE video_id IN "
                                 f"({','.join('?' * len(part))})", tuple(part)))
        return out

    def slots_tagged(self, label: str) -> list[int]:
        """Slots of the videos whose ranking tags name `label` (read once per process, at the first feed)."""
        return [r[0] for r in self._all("SELECT slot FROM video_ranking WHERE tags LIKE ?", (f'%"{label}":%',))]

    def ranking_tags(self, video_ids: list[str]) -> dict[str, dict[str, float]]:
        """The stored ranking tags of the given videos (for explanations; None, a slot emptied meanwhile, is
        skipped)."""
        out = {}
        for part in chunks(sorted(set(video_ids) - {None})):
            for vid, tags in self._all(f"SELECT video_id, tags FROM video_ranking WHERE video_id IN "
                                       f"({','.join('?' * len(part))})", tuple(part)):
                out[vid] = json.loads(tags)
        return out

    def set_category(self, video_id: str, category: str) -> None:
        """Store the category found from the text vector when no classifier tag named one (done once)."""
        with self.transaction():
            row = self.conn.execute("SELECT tags FROM video_ranking WHERE video_id=?", (video_id,)).fetchone()
            if row:
                tags = json.loads(row[0])
                tags[category] = max(tags.get(category, 0.0), 1.0)
                self.conn.execute("UPDATE video_ranking SET category=?, tags=? WHERE video_id=?",
                                  (category, json.dumps(tags), video_id))
                self.change_log.append(CATEGORY, [video_id])

    # -- writing ---------------------------------------------------------------------------------
    def add(self, record: VideoRecord) -> bool:
        """Store a record atomically; False (and no change) when the same content is already stored."""
        return self.add_many([record]) == 1

    def add_many(self, records: list[VideoRecord]) -> int:
        """Store records in one transaction, skipping ids already stored; how many were added. Records of
        another embedding space than the store's are refused (SpaceMismatchError) and nothing is stored.

        The space is checked and `meta.space_id` written inside the one write transaction (BEGIN IMMEDIATE holds
        the write lock): of two writers with different spaces, the second sees the first's space and is refused."""
        spaces = {r.space_id for r in records}
        if len(spaces) > 1:
            raise SpaceMismatchError(f"the records mix embedding spaces {sorted({r.space_id for r in records})}; "
                                     "vectors of different spaces are never compared")
        added = 0
        with self.transaction():
            for space in spaces:
                self.check_space(space)
                if self.space_id != space:
                    self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('space_id', ?)", (space,))
            for record in records:
                if self.has(record.id):
                    continue
                self._insert(record)
                added += 1
        return added

    def _insert(self, record: VideoRecord) -> None:
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
        self._insert_ranking(record)
        self._write_frames(record)
        self._link_prints(record)
        insert_moments(self.conn, record)

    def delete(self, video_id: str) -> bool:
        """Delete a video with its features, events and counters; users who had touched it get their state
        rebuilt from their remaining events when next read."""
        with self.transaction():
            users = [r[0] for r in self.conn.execute("SELECT DISTINCT user_id FROM user_videos WHERE video_id=?",
                                                     (video_id,))]
            mark_stale(self.conn, users)
            self._unlink_prints(video_id)
            cur = self.conn.execute("DELETE FROM videos WHERE id=?", (video_id,))
            if cur.rowcount:
                self.change_log.append(VIDEO_DELETED, [video_id])
        return cur.rowcount > 0

    def replace_vectors(self, records: list[VideoRecord], flagged: list[str] | tuple[str, ...] = ()) -> None:
        """Swap stored videos' features and vectors for re-embedded ones in one transaction.

        This is how a store moves to a new embedding space: ids, titles, events and users stay. The records must
        share one space and cover every stored video not in it yet, but `flagged`: videos that could not be
        re-embedded keep their old vectors and space id (`flagged_ids` lists them) and leave the ranking (feeds,
        search, similar videos, users' state), since vectors of different spaces are never compared; re-embedded
        later, they come back with a new slot.
        """
        spaces = {r.space_id for r in records}
        if len(spaces) != 1:
            raise ValueError(f"re-embedded records must share one embedding space, got {sorted(spaces)}")
        space = spaces.pop()
        with self.transaction():
            others = {r[0] for r in self._all("SELECT id FROM videos WHERE space_id != ?", (space,))}
            missing = others - {r.id for r in records} - set(flagged)
            if missing:
                raise ValueError(f"{len(missing)} stored videos were not re-embedded; nothing was changed")
            ranked = set(self.slots_of([r.id for r in records]))
            for r in records:
                self._replace_one(r, ranked=r.id in ranked)
            for part in chunks(sorted(set(flagged))):
                self.conn.execute(f"DELETE FROM video_ranking WHERE video_id IN ({','.join('?' * len(part))})",
                                  tuple(part))
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('space_id', ?)", (space,))
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('dims', ?)",
                              (json.dumps(records[0].fused.dims),))
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('vectors_generation', ?)",
                              (str(self.vectors_generation + 1),))
            mark_stale(self.conn)
            self.change_log.append(VECTORS, [ALL])

    def _replace_one(self, r: VideoRecord, ranked: bool) -> None:
        self.conn.execute(
            "UPDATE videos SET duration_s=?, info=?, weights=?, space_id=?, fused=?, warnings=? WHERE id=?",
            (r.duration_s, json.dumps(r.info), json.dumps(r.fused.weights), r.space_id,
             to_blob(r.fused.vector), json.dumps(r.warnings), r.id),
        )
        self.conn.execute("DELETE FROM modality_features WHERE video_id=?", (r.id,))
        self._insert_features(r)
        if ranked:
            tags, category = ranking_tags(_feature_tags(r))
            self.conn.execute("UPDATE video_ranking SET tags=?, category=? WHERE video_id=?",
                              (json.dumps(tags), category, r.id))
        else:  # flagged by an earlier re-index: back in the ranking
            self._insert_ranking(r)
        self._write_frames(r)
        insert_moments(self.conn, r)

    def flagged_ids(self) -> list[str]:
        """Videos left in an older embedding space by a re-index that could not re-embed them (no media file):
        stored and readable, but out of the ranking until re-embedded."""
        return [r[0] for r in self._all("SELECT id FROM videos WHERE space_id != "
                                        "(SELECT value FROM meta WHERE key='space_id') ORDER BY created_at, id")]

    # -- row <-> record ----------------------------------------------------------------------------
    def _insert_ranking(self, record: VideoRecord) -> None:
        """The slot (index label) and the ranking tags and category, computed once here."""
        tags, category = ranking_tags(_feature_tags(record))
        self.conn.execute("INSERT INTO video_ranking(video_id, category, tags) VALUES (?,?,?)",
                          (record.id, category, json.dumps(tags)))
        self.conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('dims', ?)", (json.dumps(record.fused.dims),))
        self.change_log.append(VIDEO_ADDED, [record.id])

    def backfill_ranking(self) -> int:
        """Ranking rows for videos stored before they existed (a store migrated from schema 1); once."""
        missing = self._all("SELECT id FROM videos WHERE id NOT IN (SELECT video_id FROM video_ranking) "
                            "ORDER BY created_at, id")
        with self.transaction():
            for (vid,) in missing:
                self._insert_ranking(self.get(vid))
        return len(missing)

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


def _feature_tags(record: VideoRecord) -> list[dict]:
    """Tags in modality order (text, visual, audio as stored), so equal weights keep a stable, meaningful order."""
    return [t.to_dict() for f in record.features.values() for t in f.tags]
