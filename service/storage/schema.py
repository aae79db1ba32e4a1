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
    # 2: frame thumbnails (small JPEGs of the sampled frames) and shot start times, written with the video
    """
    CREATE TABLE IF NOT EXISTS video_frames (
        video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        time_s REAL NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        jpeg BLOB NOT NULL,
        PRIMARY KEY (video_id, idx)
    );
    CREATE TABLE IF NOT EXISTS video_shots (
        video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        start_s REAL NOT NULL,
        PRIMARY KEY (video_id, idx)
    )
    """,
    # 3: audio fingerprints (sound ids) and picture hashes (re-uploads). Prints are keyed by an integer
    # print_id so the hash postings stay small; a video's own hashes are kept in its row to delete its postings.
    # The blobs come last, so reading a row's sound id or duplicate_of never reads through them. Trending sounds
    # read hourly per-sound event counters, kept by a trigger as events arrive (so no Python write path changes),
    # plus the window's first partial hour from the events themselves (covering index by time).
    """
    CREATE TABLE media_prints (
        print_id INTEGER PRIMARY KEY,
        video_id TEXT NOT NULL UNIQUE REFERENCES videos(id) ON DELETE CASCADE,
        sound_id TEXT,
        sound_offset_s REAL,
        sound_matched TEXT,
        duplicate_of TEXT,
        created_at REAL NOT NULL,
        sound_version TEXT NOT NULL,
        sound_seconds REAL NOT NULL,
        frame_version TEXT NOT NULL,
        sound_hashes BLOB NOT NULL,
        sound_times BLOB NOT NULL,
        frame_hashes BLOB NOT NULL,
        frame_times BLOB NOT NULL
    );
    CREATE INDEX media_prints_sound ON media_prints(sound_id, created_at);
    CREATE INDEX media_prints_created ON media_prints(created_at);
    CREATE INDEX media_prints_duplicate ON media_prints(duplicate_of);
    CREATE TABLE sound_hashes (
        hash INTEGER NOT NULL,
        print_id INTEGER NOT NULL,
        t INTEGER NOT NULL,
        PRIMARY KEY (hash, print_id, t)
    ) WITHOUT ROWID;
    CREATE TABLE frame_bands (
        band INTEGER NOT NULL,
        print_id INTEGER NOT NULL,
        PRIMARY KEY (band, print_id)
    ) WITHOUT ROWID;
    CREATE INDEX media_prints_video_sound ON media_prints(video_id, sound_id);
    CREATE INDEX IF NOT EXISTS events_ts ON events(ts, video_id, type, completion);
    CREATE TABLE sound_activity (
        hour INTEGER NOT NULL,
        sound_id TEXT NOT NULL,
        type TEXT NOT NULL,
        n INTEGER NOT NULL,
        completion REAL NOT NULL,
        PRIMARY KEY (hour, sound_id, type)
    ) WITHOUT ROWID;
    CREATE TRIGGER sound_activity_on_event AFTER INSERT ON events
    WHEN (SELECT sound_id FROM media_prints WHERE video_id = NEW.video_id) IS NOT NULL
    BEGIN
        INSERT INTO sound_activity(hour, sound_id, type, n, completion)
        VALUES (CAST(NEW.ts / 3600 AS INTEGER), (SELECT sound_id FROM media_prints WHERE video_id = NEW.video_id),
                NEW.type, 1, COALESCE(NEW.completion, 0))
        ON CONFLICT(hour, sound_id, type) DO UPDATE SET n = n + 1, completion = completion + excluded.completion;
    END
    """,
    # 4: time-coded moments (frames, on-screen text, sound runs) and per-user content preferences
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
    # 5: serving state maintained as events arrive (never aggregated at request time).
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
    # 6: the change log. Every writer appends what it changed (a video added or deleted, a video's counters or
    # category, every vector re-indexed) in the transaction of the change, so a server sharing the store with other
    # processes reads the rows after the last one it saw and applies them to its live catalogue. seq is
    # AUTOINCREMENT: committed rows are numbered without gaps in commit order, so a reader can tell when rows it
    # had not read were pruned. ts is the writer's clock, for pruning.
    """
    CREATE TABLE IF NOT EXISTS change_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        ts REAL NOT NULL
    )
    """,
    # 7: item-item co-engagement fitted by `reelsense fit` (each video's strongest neighbours).
    """
    CREATE TABLE IF NOT EXISTS co_engagement (
        video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        neighbour_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        weight REAL NOT NULL,
        PRIMARY KEY (video_id, neighbour_id)
    );
    CREATE INDEX IF NOT EXISTS co_engagement_neighbour ON co_engagement(neighbour_id)
    """,
    # 8: erasing a user's events (or resetting their history) also takes them out of the hourly per-sound counters,
    # as it does from the per-video ones, so trending sounds no longer count an erased user's engagement.
    """
    CREATE TRIGGER IF NOT EXISTS sound_activity_on_event_delete AFTER DELETE ON events
    WHEN (SELECT sound_id FROM media_prints WHERE video_id = OLD.video_id) IS NOT NULL
    BEGIN
        UPDATE sound_activity SET n = n - 1, completion = completion - COALESCE(OLD.completion, 0)
        WHERE hour = CAST(OLD.ts / 3600 AS INTEGER) AND type = OLD.type
          AND sound_id = (SELECT sound_id FROM media_prints WHERE video_id = OLD.video_id);
        DELETE FROM sound_activity WHERE hour = CAST(OLD.ts / 3600 AS INTEGER) AND type = OLD.type AND n <= 0
          AND sound_id = (SELECT sound_id FROM media_prints WHERE video_id = OLD.video_id);
    END
    """,
    # 9: online co-engagement, updated in the events' transaction (service.storage.cofold): decayed pair counts
    # (both directions, each video's strongest neighbours), decayed engaged counts per video, and each user's most
    # recent engaged videos (what a new engagement pairs with).
    """
    CREATE TABLE IF NOT EXISTS co_pairs (
        a TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        b TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        c REAL NOT NULL,
        ts REAL NOT NULL,
        PRIMARY KEY (a, b)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS co_pairs_b ON co_pairs(b);
    CREATE TABLE IF NOT EXISTS co_videos (
        video_id TEXT PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
        n REAL NOT NULL,
        ts REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS co_recent (
        user_id TEXT NOT NULL,
        video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        ts REAL NOT NULL,
        PRIMARY KEY (user_id, video_id)
    )
    """,
)

# The schema version of a store this code has opened (its `PRAGMA user_version`): what a cache of stores built by
# an older version must not be reused across.
SCHEMA_VERSION = len(MIGRATIONS)
