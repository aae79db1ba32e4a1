"""SQLite persistence for video records, user events, user interests and fitted fusion weights.

SQLite is the source of truth; vector indexes are rebuilt from it. One store holds one embedding
space: vectors of another space are refused with a message that says how to re-index, so
incomparable vectors are never mixed. One connection is shared by all threads behind a re-entrant
lock, so the API's worker threads never interleave statements or transactions.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from typing import Any, Iterable
from pathlib import Path

import numpy as np

from extractors.base import ModalityFeatures, Tag
from service.errors import SpaceMismatchError
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
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    ts REAL NOT NULL,
    watch_seconds REAL,
    completion REAL
);
CREATE INDEX IF NOT EXISTS events_user ON events(user_id, ts);
CREATE INDEX IF NOT EXISTS events_video ON events(video_id);
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS interests (
    user_id TEXT PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
    text TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS fusion_weights (
    name TEXT PRIMARY KEY,
    weights TEXT NOT NULL,
    settings TEXT NOT NULL,
    report TEXT NOT NULL DEFAULT '{}',
    fitted_at REAL NOT NULL
);
"""


def _blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def _vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").copy()


class Store:
    def __init__(self, path: str | Path, timeout_s: float = 30.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, timeout=timeout_s, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one query and fetch every row while holding the lock."""
        with self.lock:
            return self.conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: tuple = ()) -> tuple | None:
        with self.lock:
            return self.conn.execute(sql, params).fetchone()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- embedding space -------------------------------------------------------------------------
    @property
    def space_id(self) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key='space_id'")
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
        return self._one("SELECT 1 FROM videos WHERE id=?", (video_id,)) is not None

    def count(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM videos")[0])

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
            self._insert_features(record)
        return True

    def replace_vectors(self, records: list[VideoRecord]) -> None:
        """Swap every stored video's features and vectors for re-embedded ones in one transaction.

        This is how a store moves to a new embedding space: ids, titles, events and users stay; a partial
        re-index would mix spaces, so the records must cover every stored video and share one space.
        """
        spaces = {r.space_id for r in records}
        if len(spaces) != 1:
            raise ValueError(f"re-embedded records must share one embedding space, got {sorted(spaces)}")
        with self._transaction():
            missing = set(self.ids()) - {r.id for r in records}
            if missing:
                raise ValueError(f"{len(missing)} stored videos were not re-embedded; nothing was changed")
            for r in records:
                self.conn.execute(
                    "UPDATE videos SET duration_s=?, info=?, weights=?, space_id=?, fused=?, warnings=? WHERE id=?",
                    (r.duration_s, json.dumps(r.info), json.dumps(r.fused.weights), r.space_id, _blob(r.fused.vector),
                     json.dumps(r.warnings), r.id),
                )
                self.conn.execute("DELETE FROM modality_features WHERE video_id=?", (r.id,))
                self._insert_features(r)
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('space_id', ?)", (spaces.pop(),))

    def _insert_features(self, record: VideoRecord) -> None:
        for m, f in record.features.items():
            self.conn.execute(
                "INSERT INTO modality_features VALUES (?,?,?,?,?,?,?)",
                (record.id, m, f.model, f.confidence, _blob(f.vector),
                 json.dumps([t.to_dict() for t in f.tags]), json.dumps(f.stats, default=float)),
            )

    def get(self, video_id: str) -> VideoRecord | None:
        with self.lock:
            row = self._one("SELECT * FROM videos WHERE id=?", (video_id,))
            return self._record(row) if row else None

    def delete(self, video_id: str) -> bool:
        with self._transaction():
            cur = self.conn.execute("DELETE FROM videos WHERE id=?", (video_id,))
        return cur.rowcount > 0

    def ids(self) -> list[str]:
        return [r[0] for r in self._all("SELECT id FROM videos ORDER BY created_at, id")]

    def records(self, ids: list[str] | None = None) -> list[VideoRecord]:
        wanted = ids if ids is not None else self.ids()
        return [r for r in (self.get(i) for i in wanted) if r is not None]

    def fused_matrix(self) -> tuple[list[str], np.ndarray]:
        """All fused vectors as one float32 matrix (rows in `ids` order): the exact-search index."""
        rows = self._all("SELECT id, fused FROM videos ORDER BY created_at, id")
        if not rows:
            return [], np.zeros((0, 0), np.float32)
        return [r[0] for r in rows], np.stack([_vector(r[1]) for r in rows])

    def catalogue(self) -> list[dict[str, Any]]:
        """One light row per video (no per-modality vectors) for building the matcher's index."""
        rows = self._all("SELECT id, creator, created_at, weights, fused, hashtags FROM videos ORDER BY created_at, id")
        tags: dict[str, list[dict]] = {}
        for vid, t in self._all("SELECT video_id, tags FROM modality_features"):
            tags.setdefault(vid, []).extend(json.loads(t))
        return [
            {"id": vid, "creator": creator, "created_at": created, "weights": json.loads(weights),
             "fused": _vector(fused), "hashtags": json.loads(hashtags), "tags": tags.get(vid, [])}
            for vid, creator, created, weights, fused, hashtags in rows
        ]

    def modality_vectors(self, ids: list[str]) -> dict[str, dict[str, tuple[np.ndarray, float]]]:
        """{video_id: {modality: (unit vector, confidence)}} for the given videos."""
        out: dict[str, dict[str, tuple[np.ndarray, float]]] = {}
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start : chunk_start + 500]
            marks = ",".join("?" * len(chunk))
            for vid, m, conf, vec in self._all(
                f"SELECT video_id, modality, confidence, vector FROM modality_features WHERE video_id IN ({marks})",
                tuple(chunk),
            ):
                out.setdefault(vid, {})[m] = (_vector(vec), float(conf))
        return out

    # -- events and users ------------------------------------------------------------------------
    def add_events(self, rows: Iterable[tuple]) -> int:
        """Insert (user_id, video_id, type, ts, watch_seconds, completion) rows in one transaction."""
        rows = list(rows)
        now = time.time()
        with self._transaction():
            for user in {r[0] for r in rows}:
                self._touch_user(user, now)
            self.conn.executemany(
                "INSERT INTO events(user_id, video_id, type, ts, watch_seconds, completion) VALUES (?,?,?,?,?,?)", rows
            )
        return len(rows)

    def events(self, user_id: str | None = None) -> list[tuple]:
        """(user_id, video_id, type, ts, watch_seconds, completion) rows in time order."""
        sql = "SELECT user_id, video_id, type, ts, watch_seconds, completion FROM events"
        if user_id is None:
            return self._all(sql + " ORDER BY ts, id")
        return self._all(sql + " WHERE user_id=? ORDER BY ts, id", (user_id,))

    def video_event_counts(self) -> dict[str, dict[str, int]]:
        """{video_id: {event type: count, "complete_view": views with completion >= 0.5}} over all users."""
        out: dict[str, dict[str, int]] = {}
        for vid, kind, n, complete in self._all(
            "SELECT video_id, type, COUNT(*), SUM(CASE WHEN completion >= 0.5 THEN 1 ELSE 0 END) "
            "FROM events GROUP BY video_id, type"
        ):
            out.setdefault(vid, {})[kind] = int(n)
            if kind == "view":
                out[vid]["complete_view"] = int(complete or 0)
        return out

    def set_interests(self, user_id: str, text: str, tags: list[dict]) -> None:
        now = time.time()
        with self._transaction():
            self._touch_user(user_id, now)
            self.conn.execute(
                "INSERT OR REPLACE INTO interests(user_id, text, tags, updated_at) VALUES (?,?,?,?)",
                (user_id, text, json.dumps(tags), now),
            )

    def interests(self, user_id: str) -> tuple[str, list[dict]] | None:
        row = self._one("SELECT text, tags FROM interests WHERE user_id=?", (user_id,))
        return (row[0], json.loads(row[1])) if row else None

    def delete_user(self, user_id: str) -> bool:
        """Forget a user's history and derived profile; True when there was anything to forget."""
        with self._transaction():
            n = self.conn.execute("DELETE FROM events WHERE user_id=?", (user_id,)).rowcount
            n += self.conn.execute("DELETE FROM interests WHERE user_id=?", (user_id,)).rowcount
            n += self.conn.execute("DELETE FROM users WHERE user_id=?", (user_id,)).rowcount
        return n > 0

    def users(self) -> list[str]:
        return [r[0] for r in self._all("SELECT user_id FROM users ORDER BY user_id")]

    def _touch_user(self, user_id: str, now: float) -> None:
        self.conn.execute(
            "INSERT INTO users(user_id, created_at, updated_at) VALUES (?,?,?) "
            "ON CONFLICT(user_id) DO UPDATE SET updated_at=excluded.updated_at",
            (user_id, now, now),
        )

    # -- fitted fusion weights -------------------------------------------------------------------
    def save_fusion_weights(self, name: str, weights: dict[str, float], settings: dict, report: dict) -> None:
        with self._transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO fusion_weights(name, weights, settings, report, fitted_at) VALUES (?,?,?,?,?)",
                (name, json.dumps(weights), json.dumps(settings, default=str), json.dumps(report, default=float), time.time()),
            )

    def fusion_weights(self, name: str = "global") -> dict[str, Any] | None:
        row = self._one("SELECT weights, settings, report, fitted_at FROM fusion_weights WHERE name=?", (name,))
        if not row:
            return None
        return {"weights": json.loads(row[0]), "settings": json.loads(row[1]), "report": json.loads(row[2]),
                "fitted_at": row[3]}

    # -- internals -------------------------------------------------------------------------------
    def _transaction(self):
        return _Transaction(self.conn, self.lock)

    def _record(self, row: tuple) -> VideoRecord:
        (vid, path, title, description, hashtags, creator, _duration, info, weights, space_id, fused,
         warnings, created_at) = row
        features = {}
        dims = {}
        for m, model, confidence, vector, tags, stats in self._all(
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

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock):
        self.conn = conn
        self.lock = lock

    def __enter__(self):
        self.lock.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return self.conn

    def __exit__(self, exc_type, exc, tb):
        try:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()
        return False
