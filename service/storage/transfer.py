"""`reelsense store copy`: move a whole store between backends (SQLite file <-> PostgreSQL database), rows as
they are: videos with their vectors, features, thumbnails, moments and prints, slots, counters, events, users and
their state, fitted parameters.

Both backends keep one logical schema with the same table and column names, so a table is read from one
(SQLite: a cursor; PostgreSQL: a server-side cursor) and written to the other in chunks (PostgreSQL: COPY) in
one destination transaction. Stable ids keep their values (slots, print ids, event ids), so the copy serves the
same feeds. Two tables are derived rather than copied: the hourly per-sound counters (the destination's event
trigger rebuilds them as the events arrive) and the change log (a copy starts its own).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

from service.errors import CommandError
from service.storage import Store
from service.storage.postgres import PostgresStore
from service.storage.postgres.vectors import Vector
from service.storage.postgres.videos import create_vector_index

CHUNK = 5000
# (table, columns) in foreign-key order; prints before events, so the sound trigger finds each event's sound
TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("videos", ("id", "path", "title", "description", "hashtags", "creator", "duration_s", "info", "weights",
                "space_id", "fused", "warnings", "created_at")),
    ("modality_features", ("video_id", "modality", "model", "confidence", "vector", "tags", "stats")),
    ("video_frames", ("video_id", "idx", "time_s", "width", "height", "jpeg")),
    ("video_shots", ("video_id", "idx", "start_s")),
    ("moments", ("video_id", "idx", "kind", "start_s", "end_s", "frame_index", "text", "model", "vector")),
    ("video_ranking", ("slot", "video_id", "category", "tags")),
    ("media_prints", ("print_id", "video_id", "sound_id", "sound_offset_s", "sound_matched", "duplicate_of",
                      "created_at", "sound_version", "sound_seconds", "frame_version", "sound_hashes", "sound_times",
                      "frame_hashes", "frame_times")),
    ("sound_hashes", ("hash", "print_id", "t")),
    ("frame_bands", ("band", "print_id")),
    ("video_counters", ("video_id", "impression", "view", "complete_view", "like", "share", "comment", "follow",
                        "skip", "not_interested", "watch_seconds", "impressions_decayed", "views_decayed",
                        "engaged_decayed", "decay_ts")),
    ("users", ("user_id", "created_at", "updated_at")),
    ("interests", ("user_id", "text", "tags", "updated_at")),
    ("content_preferences", ("user_id", "show_sensitive", "updated_at")),
    ("events", ("id", "user_id", "video_id", "type", "ts", "watch_seconds", "completion")),
    ("user_state", ("user_id", "ref_ts", "vectors", "scalars", "settings_key", "stale")),
    ("user_videos", ("user_id", "video_id", "signal", "floor", "ref_ts", "seen", "applied")),
    ("fusion_weights", ("name", "weights", "settings", "report", "fitted_at")),
    ("co_engagement", ("video_id", "neighbour_id", "weight")),
    ("co_pairs", ("a", "b", "c", "ts")),
    ("co_videos", ("video_id", "n", "ts")),
    ("co_recent", ("user_id", "video_id", "ts")),
)
BOOLEAN = {("content_preferences", "show_sensitive"), ("user_state", "stale"), ("user_videos", "seen")}
IDENTITY = {"video_ranking": "slot", "media_prints": "print_id", "events": "id"}
COPIED_META = ("space_id", "dims", "vectors_generation")
AnyStore = Store | PostgresStore


def _columns(columns: tuple[str, ...]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _read(store: AnyStore, table: str, columns: tuple[str, ...]) -> Iterator[list[tuple]]:
    sql = f"SELECT {_columns(columns)} FROM {table} ORDER BY {_columns(columns[:1])}"
    if isinstance(store, PostgresStore):
        with store.pool.connection() as conn, conn.transaction(), conn.cursor(name=f"copy_{table}",
                                                                               binary=True) as cursor:
            cursor.execute(sql)
            while rows := cursor.fetchmany(CHUNK):
                yield rows
        return
    with store.lock:
        cursor = store.conn.execute(sql)
        while rows := cursor.fetchmany(CHUNK):
            yield rows


def _meta(store: AnyStore) -> list[tuple[str, str]]:
    if isinstance(store, PostgresStore):
        return [tuple(r) for r in store._all("SELECT key, value FROM meta WHERE key = ANY(%s)", (list(COPIED_META),))]
    return [tuple(r) for r in store._all(f"SELECT key, value FROM meta WHERE key IN ({','.join('?' * 3)})",
                                         COPIED_META)]


def copy_store(src: AnyStore, dst: AnyStore, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Copy every row of `src` into the empty store `dst`, in one destination transaction; rows per table."""
    if dst.count() or dst.users():
        raise CommandError("store_not_empty", "the destination store already holds videos or users; copy into an "
                           "empty one")
    if isinstance(dst, PostgresStore):
        return _into_postgres(src, dst, progress)
    return _into_sqlite(src, dst, progress)


def _into_sqlite(src: AnyStore, dst: Store, progress) -> dict[str, int]:
    counts = {}
    with dst.transaction() as conn:
        conn.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", _meta(src))
        for table, columns in TABLES:
            counts[table] = 0
            sql = f"INSERT INTO {table} ({_columns(columns)}) VALUES ({','.join('?' * len(columns))})"
            for rows in _read(src, table, columns):
                conn.executemany(sql, rows)
                counts[table] += len(rows)
                if progress:
                    progress(table, len(rows))
    return counts


def _into_postgres(src: AnyStore, dst: PostgresStore, progress) -> dict[str, int]:
    counts = {}
    with dst.transaction() as conn:
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO meta(key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE "
                            "SET value=excluded.value", _meta(src))
        for table, columns in TABLES:
            counts[table] = 0
            flags = [(table, c) in BOOLEAN for c in columns]
            for rows in _read(src, table, columns):
                if table == "videos":  # the fused vector goes in as pgvector, in binary
                    with conn.cursor() as cur:
                        cur.executemany(f"INSERT INTO videos ({_columns(columns)}) VALUES "
                                        f"({','.join(['%s'] * len(columns))})",
                                        [(*r[:10], Vector(bytes(r[10])), *r[11:]) for r in rows])
                else:
                    with conn.cursor().copy(f"COPY {table} ({_columns(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row([bool(v) if flag and v is not None else v
                                            for v, flag in zip(row, flags, strict=True)])
                counts[table] += len(rows)
                if progress:
                    progress(table, len(rows))
        for table, column in IDENTITY.items():  # new rows continue after the copied ids
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                         f"GREATEST((SELECT max({column}) FROM {table}), 1), (SELECT count(*) > 0 FROM {table}))")
        width = conn.execute("SELECT vector_dims(fused) FROM videos LIMIT 1").fetchone()
        if width:
            create_vector_index(conn, int(width[0]))
    return counts


def open_any(where: str, **options) -> AnyStore:
    """A store from a `postgresql://` URL or a SQLite file path."""
    from service.storage.postgres import is_postgres_url

    if is_postgres_url(where):
        return PostgresStore(where, **options)
    return Store(where, **options)
