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
    # Issue 11: serving state maintained as events arrive (never aggregated at request time).
    # video_ranking: a stable slot per video (the vector index label) with the ranking tags and category
    # computed once at ingest. video_counters: per-video event counts, updated in the events' transaction,
    # with time-decayed sums as of decay_ts. user_state: a user's decayed profile sums as of ref_ts (stale=1:
    # rebuild from events on next read). user_videos: per (user, video) decayed signal, rejection floor, seen.
    """
    CREATE TABLE IF NOT EXISTS video_ranking (
        slot INTEGER PRIMARY KEY AUTOINCREMENT,
        video_id TEXT NOT NULL UNIQUE REFERENCES videos(id) ON DELETE CASCADE,
        category TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE IF NOT EXISTS video_counters (
        video_id TEXT PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
        impression INTEGER NOT NULL DEFAULT 0,
        view INTEGER NOT NULL DEFAULT 0,
        complete_view INTEGER NOT NULL DEFAULT 0,
        "like" INTEGER NOT NULL DEFAULT 0,
        share INTEGER NOT NULL DEFAULT 0,
        comment INTEGER NOT NULL DEFAULT 0,
        follow INTEGER NOT NULL DEFAULT 0,
        skip INTEGER NOT NULL DEFAULT 0,
        not_interested INTEGER NOT NULL DEFAULT 0,
        watch_seconds REAL NOT NULL DEFAULT 0,
        impressions_decayed REAL NOT NULL DEFAULT 0,
        views_decayed REAL NOT NULL DEFAULT 0,
        engaged_decayed REAL NOT NULL DEFAULT 0,
        decay_ts REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS user_state (
        user_id TEXT PRIMARY KEY,
        ref_ts REAL NOT NULL,
        vectors BLOB NOT NULL,
        scalars TEXT NOT NULL,
        settings_key TEXT NOT NULL,
        stale INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS user_videos (
        user_id TEXT NOT NULL,
        video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        signal REAL NOT NULL,
        floor REAL,
        ref_ts REAL NOT NULL,
        seen INTEGER NOT NULL,
        applied INTEGER NOT NULL,
        PRIMARY KEY (user_id, video_id)
    );
    CREATE INDEX IF NOT EXISTS user_videos_video ON user_videos(video_id);
    CREATE INDEX IF NOT EXISTS videos_created ON videos(created_at)
    """,
    # Issue 12: item-item co-engagement fitted by `reelsense fit` (each video's strongest neighbours).
    """
    CREATE TABLE IF NOT EXISTS co_engagement (
        video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        neighbour_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        weight REAL NOT NULL,
        PRIMARY KEY (video_id, neighbour_id)
    );
    CREATE INDEX IF NOT EXISTS co_engagement_neighbour ON co_engagement(neighbour_id)
    """,
)
