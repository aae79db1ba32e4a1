"""The online co-engagement tables on PostgreSQL: the statements of service.storage.cofold (which holds the
shared arithmetic and says what the numbers are) over a psycopg connection of an open transaction."""
from __future__ import annotations

from collections.abc import Iterable

import psycopg

from service.storage.cofold import CoNeighbour, CoUpdate, Stamped, decayed_rows, plan


def read_recent(conn: psycopg.Connection, user_ids: Iterable[str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for user, video, ts in conn.execute("SELECT user_id, video_id, ts FROM co_recent WHERE user_id = ANY(%s) "
                                        "ORDER BY user_id, ts, video_id", (sorted(set(user_ids)),)):
        out.setdefault(user, {})[video] = ts
    return out


def _pairs_of(conn: psycopg.Connection, videos: Iterable[str]) -> dict[str, dict[str, Stamped]]:
    out: dict[str, dict[str, Stamped]] = {}
    for a, b, c, ts in conn.execute("SELECT a, b, c, ts FROM co_pairs WHERE a = ANY(%s)", (sorted(set(videos)),)):
        out.setdefault(a, {})[b] = (c, ts)
    return out


def _counts_of(conn: psycopg.Connection, videos: Iterable[str]) -> dict[str, Stamped]:
    return {v: (n, ts) for v, n, ts in conn.execute("SELECT video_id, n, ts FROM co_videos WHERE video_id = ANY(%s)",
                                                    (sorted(set(videos)),))}


def apply_update(conn: psycopg.Connection, update: CoUpdate) -> None:
    """Write one batch's co-engagement changes (inside the caller's transaction). The touched videos' pair rows
    are locked first, in id order, so two batches touching the same video serialise instead of losing a delta."""
    touched = sorted({a for a, _ in update.pairs} | set(update.videos))
    if touched:
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(v, 7)) FROM unnest(%s::text[]) AS v "
                     "ORDER BY v", (touched,))
    write, delete, videos = plan(update, _pairs_of(conn, {a for a, _ in update.pairs}),
                                 _counts_of(conn, update.videos))
    with conn.cursor() as cur:
        if delete:
            cur.executemany("DELETE FROM co_pairs WHERE a=%s AND b=%s", delete)
        if write:
            cur.executemany("INSERT INTO co_pairs(a, b, c, ts) VALUES (%s,%s,%s,%s) ON CONFLICT (a, b) "
                            "DO UPDATE SET c=excluded.c, ts=excluded.ts", write)
        if videos:
            cur.executemany("INSERT INTO co_videos(video_id, n, ts) VALUES (%s,%s,%s) ON CONFLICT (video_id) "
                            "DO UPDATE SET n=excluded.n, ts=excluded.ts", videos)
        for user, recent in sorted(update.recent.items()):
            cur.execute("DELETE FROM co_recent WHERE user_id=%s", (user,))
            if recent:
                cur.executemany("INSERT INTO co_recent(user_id, video_id, ts) VALUES (%s,%s,%s)",
                                [(user, v, ts) for v, ts in recent.items()])


def co_neighbours(conn: psycopg.Connection, video_ids: Iterable[str], k: int, now: float, half_life_s: float
                  ) -> list[CoNeighbour]:
    pairs = [(a, b, c, ts) for a, rows in _pairs_of(conn, video_ids).items() for b, (c, ts) in rows.items()]
    counts = _counts_of(conn, {p[0] for p in pairs} | {p[1] for p in pairs})
    return decayed_rows(pairs, counts, k, now, half_life_s)
