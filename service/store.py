"""SQLite persistence for video records. SQLite is the source of truth; indexes are rebuilt from it.

One store holds one embedding space: vectors of another space are refused with a message that
says how to re-index, so incomparable vectors are never mixed.
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import numpy as np

from extractors.features import ModalityFeatures, Tag
from service.fusion import MODALITIES, FusedVector
from service.records import VideoRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS videos (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    hashtags TEXT NOT NULL DEFAULT '[]',
    creator TEXT NOT NULL DEFAULT '',
    duration_s REAL NOT NULL,
    info TEXT NOT NULL,
    weights TEXT NOT NULL,
    space_id TEXT NOT NULL,
    fused BLOB NOT NULL,
    warnings TEXT NOT NULL DEFAULT '[]',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS modality_features (
    video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    modality TEXT NOT NULL,
    model TEXT NOT NULL,
    confidence REAL NOT NULL,
    vector BLOB NOT NULL,
    tags TEXT NOT NULL,
    stats TEXT NOT NULL,
    PRIMARY KEY (video_id, modality)
);
"""


class SpaceMismatchError(RuntimeError):
    """A record's embedding space differs from the store's."""


def _blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def _vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").copy()


class Store:
    def __init__(self, path: str | Path, timeout_s: float = 30.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=timeout_s, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- embedding space -------------------------------------------------------------------------
    @property
    def space_id(self) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key='space_id'").fetchone()
        return row[0] if row else None

    def check_space(self, space_id: str) -> None:
        current = self.space_id
        if current is not None and current != space_id and self.count() > 0:
            raise SpaceMismatchError(
                f"this store ({self.path}) holds vectors of embedding space {current!r}, but the current settings "
                f"produce {space_id!r}; vectors of different spaces are never compared. Re-index with "
                f"`reelsense reindex --db {self.path}` (re-embeds every stored video with the current models), "
                "or point REELSENSE_DB_PATH at another store"
            )

    # -- videos ----------------------------------------------------------------------------------
    def has(self, video_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM videos WHERE id=?", (video_id,)).fetchone() is not None

    def count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM videos").fetchone()[0])

    def add(self, record: VideoRecord) -> bool:
        """Store a record atomically; False (and no change) when the same content is already stored."""
        self.check_space(record.space_id)
        with self._transaction():
            if self.has(record.id):
                return False
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('space_id', ?)", (record.space_id,))
            self.conn.execute(
                "INSERT INTO videos VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record.id, record.path, record.title, record.description, json.dumps(record.hashtags),
                    record.creator, record.duration_s, json.dumps(record.info), json.dumps(record.fused.weights),
                    record.space_id, _blob(record.fused.vector), json.dumps(record.warnings),
                    record.created_at or time.time(),
                ),
            )
            for m, f in record.features.items():
                self.conn.execute(
                    "INSERT INTO modality_features VALUES (?,?,?,?,?,?,?)",
                    (record.id, m, f.model, f.confidence, _blob(f.vector),
                     json.dumps([t.to_dict() for t in f.tags]), json.dumps(f.stats, default=float)),
                )
        return True

    def get(self, video_id: str) -> VideoRecord | None:
        row = self.conn.execute("SELECT * FROM videos WHERE id=?", (video_id,)).fetchone()
        return self._record(row) if row else None

    def delete(self, video_id: str) -> bool:
        with self._transaction():
            cur = self.conn.execute("DELETE FROM videos WHERE id=?", (video_id,))
        return cur.rowcount > 0

    def ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM videos ORDER BY created_at, id")]

    def records(self, ids: list[str] | None = None) -> list[VideoRecord]:
        wanted = ids if ids is not None else self.ids()
        return [r for r in (self.get(i) for i in wanted) if r is not None]

    def fused_matrix(self) -> tuple[list[str], np.ndarray]:
        """All fused vectors as one float32 matrix (rows in `ids` order): the exact-search index."""
        rows = self.conn.execute("SELECT id, fused FROM videos ORDER BY created_at, id").fetchall()
        if not rows:
            return [], np.zeros((0, 0), np.float32)
        return [r[0] for r in rows], np.stack([_vector(r[1]) for r in rows])

    # -- internals -------------------------------------------------------------------------------
    def _transaction(self):
        return _Transaction(self.conn)

    def _record(self, row: tuple) -> VideoRecord:
        (vid, path, title, description, hashtags, creator, _duration, info, weights, space_id, fused,
         warnings, created_at) = row
        features = {}
        dims = {}
        for m, model, confidence, vector, tags, stats in self.conn.execute(
            "SELECT modality, model, confidence, vector, tags, stats FROM modality_features WHERE video_id=?", (vid,)
        ):
            vec = _vector(vector)
            features[m] = ModalityFeatures(m, vec, confidence, [Tag(**t) for t in json.loads(tags)], json.loads(stats), model)
            dims[m] = vec.size
        for m in MODALITIES:
            dims.setdefault(m, 0)
        fused_vec = FusedVector(_vector(fused), json.loads(weights), dims)
        return VideoRecord(vid, path, title, description, json.loads(hashtags), creator, json.loads(info), features,
                           fused_vec, space_id, json.loads(warnings), created_at)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error, so a failed write leaves nothing behind."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self):
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        return False
