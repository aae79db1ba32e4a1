"""Moments (time-coded search) and per-user content preferences (the sensitive-content opt-in).

Moment vectors are stored as float16: a 512-d CLIP frame vector takes 1 KB, and cosine ranking loses nothing a
person could see (the ranking of a video's moments is unchanged to about 1e-3 in score).
"""
from __future__ import annotations

import sqlite3
import time

import numpy as np

from service.records import Moment, VideoRecord
from service.storage.database import Database


def _to_half(vector: np.ndarray | None) -> bytes | None:
    return None if vector is None else np.asarray(vector, dtype="<f2").tobytes()


def _from_half(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype="<f2").astype(np.float32)


def insert_moments(conn: sqlite3.Connection, record: VideoRecord) -> None:
    """Write a record's moments (inside the caller's transaction, so a video and its moments land together)."""
    conn.execute("DELETE FROM moments WHERE video_id=?", (record.id,))
    conn.executemany(
        "INSERT INTO moments(video_id, idx, kind, start_s, end_s, frame_index, text, model, vector) "
        "VALUES (?,?,?,?,?,?,?,?,?)",
        [(record.id, i, m.kind, m.start_s, m.end_s, m.frame_index, m.text, m.model, _to_half(m.vector))
         for i, m in enumerate(record.moments)],
    )


class MomentTable(Database):
    def moments_of(self, video_ids: list[str]) -> dict[str, list[Moment]]:
        """The moments of the given videos in time order (videos without moments map to an empty list)."""
        out: dict[str, list[Moment]] = {vid: [] for vid in video_ids}
        if not video_ids:
            return out
        marks = ",".join("?" * len(video_ids))
        rows = self._all(
            "SELECT video_id, kind, start_s, end_s, frame_index, text, model, vector FROM moments "
            f"WHERE video_id IN ({marks}) ORDER BY video_id, start_s, idx", tuple(video_ids))
        for vid, kind, start, end, frame, text, model, vector in rows:
            out[vid].append(Moment(kind, start, end, frame, text, model, _from_half(vector)))
        return out

    def moment_count(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM moments")[0])


class PreferenceTable(Database):
    def set_show_sensitive(self, user_id: str, show: bool) -> None:
        """A user's opt-in to videos flagged sensitive (kept when their history is deleted: it is a setting)."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO content_preferences(user_id, show_sensitive, updated_at) VALUES (?,?,?) "
                "ON CONFLICT(user_id) DO UPDATE SET show_sensitive=excluded.show_sensitive, "
                "updated_at=excluded.updated_at", (user_id, int(bool(show)), time.time()))

    def shows_sensitive(self, user_id: str) -> bool:
        """False unless the user opted in."""
        row = self._one("SELECT show_sensitive FROM content_preferences WHERE user_id=?", (user_id,))
        return bool(row and row[0])
