"""Media prints on PostgreSQL: the new video's sound and original are found among the stored prints inside the
transaction that adds it, as in the SQLite store (service/storage/prints.py: the matching rules, the candidate
limits and the band keys are that module's; here are only the reads and writes). The advisory lock taken
before the lookup makes two uploads of the same content, through two replicas, link one after the other, so
they cannot both become the original."""
from __future__ import annotations

import time
from typing import Any

import numpy as np
import psycopg

from extractors.audio.fingerprint import FINGERPRINT_VERSION, MIN_ALIGNED, SoundPrint, align, is_same_sound
from extractors.visual.framehash import FRAME_HASH_VERSION, FramePrint, compare, is_duplicate
from service.storage.postgres.database import PgDatabase
from service.storage.prints import (
    MAX_PICTURE_CANDIDATES,
    MAX_SOUND_CANDIDATES,
    SoundMatch,
    StoredPrint,
    frame_bands,
)

PRINTS_LOCK = 7_245_118  # pg_advisory_xact_lock key: one linking transaction at a time


class PgPrintTable(PgDatabase):
    def _link_prints(self, conn: psycopg.Connection, record: Any) -> None:
        """Find the new video's sound and original, store its prints, set `record.sound` / `duplicate_of`."""
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (PRINTS_LOCK,))
        sound = record.sound_print if record.sound_print is not None else SoundPrint.none()
        frames = record.frame_print if record.frame_print is not None else FramePrint.none()
        matches = self._sound_matches(conn, sound)
        if matches:
            best = matches[0]
            link = {"sound_id": best.stored.sound_id, "video_id": best.stored.video_id,
                    "offset_s": round(best.stored.sound_offset_s + best.alignment.offset_s, 3)}
        elif not sound.empty:
            link = {"sound_id": record.id[:16], "video_id": None, "offset_s": 0.0}
        else:
            link = None
        original = self._find_original(conn, sound, frames, matches)
        self._insert_prints(conn, record, sound, frames, link, original)
        record.sound = None if link is None else {"sound_id": link["sound_id"], "offset_s": link["offset_s"],
                                                   "matched_video_id": link["video_id"]}
        record.duplicate_of = original

    def _sound_matches(self, conn: psycopg.Connection, sound: SoundPrint) -> list[SoundMatch]:
        if sound.empty:
            return []
        rows = conn.execute("SELECT hash, print_id, t FROM sound_hashes WHERE hash = ANY(%s)",
                            (np.unique(sound.hashes).astype(np.int64).tolist(),)).fetchall()
        if not rows:
            return []
        found = np.array(rows, np.int64)
        ids, counts = np.unique(found[:, 1], return_counts=True)
        enough = counts >= MIN_ALIGNED
        likely = [int(i) for i in ids[enough][np.argsort(-counts[enough], kind="stable")][:MAX_SOUND_CANDIDATES]]
        matches = []
        for stored in self._stored_prints(conn, likely):
            mine = found[found[:, 1] == stored.print_id]
            alignment = align(sound, mine[:, 0].astype(np.uint32), mine[:, 2])
            if is_same_sound(alignment, sound, stored.sound_seconds, stored.sound_hashes):
                matches.append(SoundMatch(stored, alignment))
        return sorted(matches, key=lambda m: (-m.alignment.aligned, m.stored.created_at))

    def _find_original(self, conn: psycopg.Connection, sound: SoundPrint, frames: FramePrint,
                       matches: list[SoundMatch]) -> str | None:
        if frames.empty:
            return None
        by_sound = {m.stored.print_id: m for m in matches}
        hits = conn.execute("SELECT print_id, count(*) FROM frame_bands WHERE band = ANY(%s) GROUP BY print_id",
                            (frame_bands(frames.hashes),)).fetchall()
        likely = [p for p, _n in sorted(hits, key=lambda h: -h[1])][:MAX_PICTURE_CANDIDATES]
        candidates = {p.print_id: p for p in self._stored_prints(conn, likely)}
        candidates.update({m.stored.print_id: m.stored for m in matches})
        originals = []
        for stored in candidates.values():
            has_sound = not sound.empty and stored.sound_hashes > 0
            if has_sound and stored.print_id not in by_sound:
                continue
            offset = by_sound[stored.print_id].alignment.offset_s if has_sound else None
            if is_duplicate(compare(frames, stored.frames, offset), frames, stored.frames):
                originals.append(stored)
        if not originals:
            return None
        first = min(originals, key=lambda p: (p.created_at, p.video_id))
        return first.duplicate_of or first.video_id

    @staticmethod
    def _stored_prints(conn: psycopg.Connection, print_ids: list[int]) -> list[StoredPrint]:
        rows = conn.execute(
            "SELECT print_id, video_id, sound_id, sound_offset_s, octet_length(sound_hashes), sound_seconds, "
            "duplicate_of, created_at, frame_hashes, frame_times FROM media_prints WHERE print_id = ANY(%s) "
            "AND sound_version=%s AND frame_version=%s", (print_ids, FINGERPRINT_VERSION, FRAME_HASH_VERSION))
        return [StoredPrint(pid, vid, sid, off or 0.0, n // 4, seconds, dup, created,
                            FramePrint(np.frombuffer(fh, "<u8").astype(np.uint64),
                                       np.frombuffer(ft, "<f8").astype(np.float64)))
                for pid, vid, sid, off, n, seconds, dup, created, fh, ft in rows]

    @staticmethod
    def _insert_prints(conn: psycopg.Connection, record: Any, sound: SoundPrint, frames: FramePrint,
                       link: dict | None, original: str | None) -> None:
        print_id = conn.execute(
            "INSERT INTO media_prints(video_id, sound_version, sound_hashes, sound_times, sound_seconds, sound_id, "
            "sound_offset_s, sound_matched, frame_version, frame_hashes, frame_times, duplicate_of, created_at) "
            "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING print_id",
            (record.id, sound.version, np.asarray(sound.hashes, "<u4").tobytes(),
             np.asarray(sound.times, "<i4").tobytes(), sound.seconds, link and link["sound_id"],
             link and link["offset_s"], link and link["video_id"], frames.version,
             np.asarray(frames.hashes, "<u8").tobytes(), np.asarray(frames.times, "<f8").tobytes(), original,
             record.created_at or time.time())).fetchone()[0]
        postings = sorted({(int(h), print_id, int(t)) for h, t in zip(sound.hashes, sound.times, strict=True)})
        with conn.cursor().copy("COPY sound_hashes (hash, print_id, t) FROM STDIN") as copy:
            for row in postings:
                copy.write_row(row)
        with conn.cursor().copy("COPY frame_bands (band, print_id) FROM STDIN") as copy:
            for key in frame_bands(frames.hashes):
                copy.write_row((key, print_id))

    @staticmethod
    def _unlink_prints(conn: psycopg.Connection, video_id: str) -> None:
        """Remove the video's postings and promote its first copy to original of the others."""
        row = conn.execute("SELECT print_id FROM media_prints WHERE video_id=%s", (video_id,)).fetchone()
        if row is None:
            return
        conn.execute("DELETE FROM sound_hashes WHERE print_id=%s", (row[0],))
        conn.execute("DELETE FROM frame_bands WHERE print_id=%s", (row[0],))
        heir = conn.execute("SELECT video_id FROM media_prints WHERE duplicate_of=%s ORDER BY created_at, video_id "
                            "LIMIT 1", (video_id,)).fetchone()
        if heir is not None:
            conn.execute("UPDATE media_prints SET duplicate_of=NULL WHERE video_id=%s", (heir[0],))
            conn.execute("UPDATE media_prints SET duplicate_of=%s WHERE duplicate_of=%s", (heir[0], video_id))

    @staticmethod
    def _print_links(conn: psycopg.Connection, video_id: str) -> tuple[dict | None, str | None]:
        row = conn.execute("SELECT sound_id, sound_offset_s, sound_matched, duplicate_of FROM media_prints "
                           "WHERE video_id=%s", (video_id,)).fetchone()
        if row is None:
            return None, None
        sound = None if row[0] is None else {"sound_id": row[0], "offset_s": row[1], "matched_video_id": row[2]}
        return sound, row[3]

    def print_links(self, video_id: str) -> tuple[dict | None, str | None]:
        with self.pool.connection() as conn:
            return self._print_links(conn, video_id)

    def prints_of(self, video_id: str) -> tuple[SoundPrint | None, FramePrint | None]:
        """The stored sound and frame prints of a video, for batch export and re-embedding (None, None when it
        has none); the same bytes as the SQLite store's, so a print survives `store copy` either way."""
        row = self._one("SELECT sound_version, sound_hashes, sound_times, sound_seconds, frame_version, frame_hashes, "
                        "frame_times FROM media_prints WHERE video_id=%s", (video_id,))
        if row is None:
            return None, None
        sv, sh, st, seconds, fv, fh, ft = row
        sound = SoundPrint(np.frombuffer(sh, "<u4").astype(np.uint32), np.frombuffer(st, "<i4").astype(np.int32),
                           float(seconds or 0.0), sv)
        frames = FramePrint(np.frombuffer(fh, "<u8").astype(np.uint64), np.frombuffer(ft, "<f8").astype(np.float64), fv)
        return sound, frames
