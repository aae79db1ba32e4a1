"""Interaction events and stated interests: validation and storage (the input side of the matcher).

Events live in their own tables next to the videos in the same SQLite file; a batch is validated
as a whole and written in one transaction, so it is stored entirely or not at all.
"""
from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from typing import Iterable

EVENT_TYPES = ("impression", "view", "like", "share", "comment", "follow", "skip", "not_interested")

# How much one event says the user wants more like this video (negative: less).
EVENT_WEIGHTS = {
    "impression": 0.0, "view": 0.5, "like": 1.0, "share": 1.5, "comment": 1.0,
    "follow": 0.5, "skip": -0.3, "not_interested": -1.0,
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL, video_id TEXT NOT NULL, type TEXT NOT NULL,
    timestamp REAL NOT NULL, watch_seconds REAL, completion REAL
);
CREATE INDEX IF NOT EXISTS events_user ON events(user_id);
CREATE TABLE IF NOT EXISTS interests (user_id TEXT PRIMARY KEY, text TEXT NOT NULL, tags TEXT NOT NULL);
"""


@dataclass
class Event:
    user_id: str
    video_id: str
    type: str
    timestamp: float
    watch_seconds: float | None = None
    completion: float | None = None


class EventError(ValueError):
    """One invalid event in a batch; `index` is its position, `code` is stable."""

    def __init__(self, code: str, message: str, index: int = -1):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.index = index


def validate(events: list[Event], known_video) -> None:
    """Raise EventError for the first bad event; `known_video(id)` says whether a video exists."""
    for i, e in enumerate(events):
        if not e.user_id or not e.video_id or not e.type:
            raise EventError("missing_field", f"event {i}: user_id, video_id and type are required", i)
        if e.type not in EVENT_TYPES:
            raise EventError("unknown_event_type", f"event {i}: {e.type!r} is not one of {', '.join(EVENT_TYPES)}", i)
        if e.watch_seconds is not None and not (math.isfinite(e.watch_seconds) and e.watch_seconds >= 0):
            raise EventError("bad_watch_time", f"event {i}: watch_seconds must be a non-negative number", i)
        if e.completion is not None and not (math.isfinite(e.completion) and 0.0 <= e.completion <= 1.0):
            raise EventError("bad_completion", f"event {i}: completion must be within [0, 1]", i)
        if not math.isfinite(e.timestamp):
            raise EventError("missing_field", f"event {i}: timestamp must be a finite number", i)
        if not known_video(e.video_id):
            raise EventError("unknown_video", f"event {i}: no video with id {e.video_id!r}", i)


class EventLog:
    """Event and interest tables on a store's SQLite connection."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        conn.executescript(SCHEMA)

    def add(self, events: Iterable[Event]) -> int:
        rows = [(e.user_id, e.video_id, e.type, e.timestamp, e.watch_seconds, e.completion) for e in events]
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany(
                "INSERT INTO events(user_id, video_id, type, timestamp, watch_seconds, completion) VALUES (?,?,?,?,?,?)",
                rows,
            )
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return len(rows)

    def for_user(self, user_id: str) -> list[Event]:
        cur = self.conn.execute(
            "SELECT user_id, video_id, type, timestamp, watch_seconds, completion FROM events WHERE user_id=? ORDER BY seq",
            (user_id,),
        )
        return [Event(*row) for row in cur]

    def clear(self, user_id: str) -> int:
        return self.conn.execute("DELETE FROM events WHERE user_id=?", (user_id,)).rowcount

    def set_interests(self, user_id: str, text: str, tags: list[str]) -> None:
        self.conn.execute("INSERT OR REPLACE INTO interests VALUES (?,?,?)", (user_id, text, json.dumps(list(tags))))

    def interests(self, user_id: str) -> tuple[str, list[str]]:
        row = self.conn.execute("SELECT text, tags FROM interests WHERE user_id=?", (user_id,)).fetchone()
        return (row[0], json.loads(row[1])) if row else ("", [])
