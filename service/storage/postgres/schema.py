"""The PostgreSQL store's schema as an ordered list of migrations; never edit one that has shipped, append.

The same logical schema as the SQLite store (service/storage/schema.py), in PostgreSQL's types: the fused vector
is pgvector `vector` (float32, so both backends return the same bytes), searched through an HNSW index on its
halfvec cast (created once the space's width is known, service.storage.postgres.videos); per-modality and
moment vectors stay float32/float16 bytea (they are read per video, never searched here). Counters, ranking rows
and user state live in their own tables, never as columns of the vector table (pgvector issue #875: updating a
plain column of an HNSW-indexed table rewrites the row and is ~100x slower). The change log is numbered by one
counter row that writers update last in their transaction, so numbers are gapless and in commit order.
"""
from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
    INSERT INTO meta(key, value) VALUES ('store_id', gen_random_uuid()::text);
    CREATE TABLE videos (
        id text PRIMARY KEY,
        path text NOT NULL,
        title text NOT NULL DEFAULT '',
        description text NOT NULL DEFAULT '',
        hashtags text NOT NULL DEFAULT '[]',
        creator text NOT NULL DEFAULT '',
        duration_s double precision NOT NULL,
        info text NOT NULL,
        weights text NOT NULL,
        space_id text NOT NULL,
        fused vector NOT NULL,
        warnings text NOT NULL DEFAULT '[]',
        created_at double precision NOT NULL
    );
    CREATE INDEX videos_created ON videos(created_at);
    CREATE TABLE modality_features (
        video_id text NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        modality text NOT NULL,
        model text NOT NULL,
        confidence double precision NOT NULL,
        vector bytea NOT NULL,
        tags text NOT NULL,
        stats text NOT NULL,
        PRIMARY KEY (video_id, modality)
    );
    CREATE TABLE events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id text NOT NULL,
        video_id text NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        type text NOT NULL,
        ts double precision NOT NULL,
        watch_seconds double precision,
        completion double precision
    );
    CREATE INDEX events_user ON events(user_id, ts);
    CREATE INDEX events_video ON events(video_id);
    CREATE INDEX events_ts ON events(ts, video_id, type, completion);
    CREATE TABLE users (user_id text PRIMARY KEY, created_at double precision NOT NULL,
                        updated_at double precision NOT NULL);
    CREATE TABLE interests (
        user_id text PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
        text text NOT NULL DEFAULT '',
        tags text NOT NULL DEFAULT '[]',
        updated_at double precision NOT NULL
    );
    CREATE TABLE fusion_weights (name text PRIMARY KEY, weights text NOT NULL, settings text NOT NULL,
                                 report text NOT NULL DEFAULT '{}', fitted_at double precision NOT NULL);
    CREATE TABLE video_frames (
        video_id text NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        idx integer NOT NULL,
        time_s double precision NOT NULL,
        width integer NOT NULL,
        height integer NOT NULL,
        jpeg bytea NOT NULL,
        PRIMARY KEY (video_id, idx)
    );
    CREATE TABLE video_shots (
        video_id text NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        idx integer NOT NULL,
        start_s double precision NOT NULL,
        PRIMARY KEY (video_id, idx)
    );
    CREATE TABLE media_prints (
        print_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        video_id text NOT NULL UNIQUE REFERENCES videos(id) ON DELETE CASCADE,
        sound_id text,
        sound_offset_s double precision,
        sound_matched text,
        duplicate_of text,
        created_at double precision NOT NULL,
        sound_version text NOT NULL,
        sound_seconds double precision NOT NULL,
        frame_version text NOT NULL,
        sound_hashes bytea NOT NULL,
        sound_times bytea NOT NULL,
        frame_hashes bytea NOT NULL,
        frame_times bytea NOT NULL
    );
    CREATE INDEX media_prints_sound ON media_prints(sound_id, created_at);
    CREATE INDEX media_prints_created ON media_prints(created_at);
    CREATE INDEX media_prints_duplicate ON media_prints(duplicate_of);
    CREATE TABLE sound_hashes (hash bigint NOT NULL, print_id bigint NOT NULL, t integer NOT NULL,
                               PRIMARY KEY (hash, print_id, t));
    CREATE TABLE frame_bands (band bigint NOT NULL, print_id bigint NOT NULL, PRIMARY KEY (band, print_id));
    CREATE INDEX sound_hashes_print ON sound_hashes(print_id);
    CREATE INDEX frame_bands_print ON frame_bands(print_id);
    CREATE TABLE sound_activity (
        hour bigint NOT NULL,
        sound_id text NOT NULL,
        type text NOT NULL,
        n bigint NOT NULL,
        completion double precision NOT NULL,
        PRIMARY KEY (hour, sound_id, type)
    );
    CREATE FUNCTION sound_activity_on_event() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE sound text;
    BEGIN
        IF TG_OP = 'INSERT' THEN
            SELECT sound_id INTO sound FROM media_prints WHERE video_id = NEW.video_id;
            IF sound IS NOT NULL THEN
                INSERT INTO sound_activity(hour, sound_id, type, n, completion)
                VALUES (floor(NEW.ts / 3600)::bigint, sound, NEW.type, 1, COALESCE(NEW.completion, 0))
                ON CONFLICT (hour, sound_id, type) DO UPDATE
                SET n = sound_activity.n + 1, completion = sound_activity.completion + excluded.completion;
            END IF;
            RETURN NEW;
        END IF;
        SELECT sound_id INTO sound FROM media_prints WHERE video_id = OLD.video_id;
        IF sound IS NOT NULL THEN
            UPDATE sound_activity SET n = n - 1, completion = completion - COALESCE(OLD.completion, 0)
            WHERE hour = floor(OLD.ts / 3600)::bigint AND type = OLD.type AND sound_id = sound;
            DELETE FROM sound_activity WHERE hour = floor(OLD.ts / 3600)::bigint AND type = OLD.type
              AND sound_id = sound AND n <= 0;
        END IF;
        RETURN OLD;
    END $$;
    CREATE TRIGGER sound_activity_on_event AFTER INSERT OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION sound_activity_on_event();
    CREATE TABLE moments (
        video_id text NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        idx integer NOT NULL,
        kind text NOT NULL,
        start_s double precision NOT NULL,
        end_s double precision NOT NULL,
        frame_index integer NOT NULL,
        text text NOT NULL DEFAULT '',
        model text NOT NULL DEFAULT '',
        vector bytea,
        PRIMARY KEY (video_id, idx)
    );
    CREATE TABLE content_preferences (user_id text PRIMARY KEY, show_sensitive boolean NOT NULL DEFAULT false,
                                      updated_at double precision NOT NULL);
    CREATE TABLE video_ranking (
        slot bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        video_id text NOT NULL UNIQUE REFERENCES videos(id) ON DELETE CASCADE,
        category text NOT NULL DEFAULT '',
        tags text NOT NULL DEFAULT '{}'
    );
    CREATE TABLE video_counters (
        video_id text PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
        impression bigint NOT NULL DEFAULT 0,
        view bigint NOT NULL DEFAULT 0,
        complete_view bigint NOT NULL DEFAULT 0,
        "like" bigint NOT NULL DEFAULT 0,
        share bigint NOT NULL DEFAULT 0,
        comment bigint NOT NULL DEFAULT 0,
        follow bigint NOT NULL DEFAULT 0,
        skip bigint NOT NULL DEFAULT 0,
        not_interested bigint NOT NULL DEFAULT 0,
        watch_seconds double precision NOT NULL DEFAULT 0,
        impressions_decayed double precision NOT NULL DEFAULT 0,
        views_decayed double precision NOT NULL DEFAULT 0,
        engaged_decayed double precision NOT NULL DEFAULT 0,
        decay_ts double precision NOT NULL DEFAULT 0
    );
    CREATE TABLE user_state (
        user_id text PRIMARY KEY,
        ref_ts double precision NOT NULL,
        vectors bytea NOT NULL,
        scalars text NOT NULL,
        settings_key text NOT NULL,
        stale boolean NOT NULL DEFAULT false
    );
    CREATE TABLE user_videos (
        user_id text NOT NULL,
        video_id text NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        signal double precision NOT NULL,
        floor double precision,
        ref_ts double precision NOT NULL,
        seen boolean NOT NULL,
        applied integer NOT NULL,
        PRIMARY KEY (user_id, video_id)
    );
    CREATE INDEX user_videos_video ON user_videos(video_id);
    CREATE TABLE change_log (seq bigint PRIMARY KEY, kind text NOT NULL, key text NOT NULL,
                             ts double precision NOT NULL);
    CREATE INDEX change_log_ts ON change_log(ts);
    CREATE TABLE change_counter (one boolean PRIMARY KEY DEFAULT true CHECK (one), seq bigint NOT NULL);
    INSERT INTO change_counter(seq) VALUES (0);
    CREATE TABLE co_engagement (
        video_id text NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        neighbour_id text NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        weight double precision NOT NULL,
        PRIMARY KEY (video_id, neighbour_id)
    );
    CREATE INDEX co_engagement_neighbour ON co_engagement(neighbour_id)
    """,
    # online co-engagement (service.storage.postgres.cofold; the SQLite store's migration 9)
    """
    CREATE TABLE co_pairs (
        a text NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        b text NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        c double precision NOT NULL,
        ts double precision NOT NULL,
        PRIMARY KEY (a, b)
    );
    CREATE INDEX co_pairs_b ON co_pairs(b);
    CREATE TABLE co_videos (
        video_id text PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE,
        n double precision NOT NULL,
        ts double precision NOT NULL
    );
    CREATE TABLE co_recent (
        user_id text NOT NULL,
        video_id text NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        ts double precision NOT NULL,
        PRIMARY KEY (user_id, video_id)
    )
    """,
)
