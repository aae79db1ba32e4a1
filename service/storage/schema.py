"""The store's schema as an ordered list of migrations; never edit one that has shipped, append a new one.

Migration 1 is the original schema, written with IF NOT EXISTS so stores created before versioning
(user_version 0) take it without change.
"""
from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    """
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
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS moments (
        video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        kind TEXT NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL NOT NULL,
        frame_index INTEGER NOT NULL,
        text TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        vector BLOB,
        PRIMARY KEY (video_id, idx)
    );
    CREATE TABLE IF NOT EXISTS content_preferences (
        user_id TEXT PRIMARY KEY,
        show_sensitive INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL
    )
    """,
)
