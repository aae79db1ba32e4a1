"""Media prints in the store: each new video's sound is looked up among the stored ones (same sound: same
`sound_id`, with the time offset) and its pictures and sound among likely copies (`duplicate_of`), then its
own prints are indexed. Runs inside the transaction that adds the video, so two copies uploaded at once
cannot both become the original.

Lookups are indexed: the sound by its landmark hashes (`sound_hashes`, keyed by hash), the pictures by 16-bit
bands of the frame hashes (`frame_bands`: a frame within a few bits of another shares at least one band
unless the differing bits fall in every band). Candidates are then verified with the full prints.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from extractors.audio.fingerprint import FINGERPRINT_VERSION, MIN_ALIGNED, Alignment, SoundPrint, align, is_same_sound
from extractors.visual.framehash import FRAME_HASH_VERSION, FramePrint, compare, is_duplicate
from service.storage.database import Database

BATCH = 500  # parameters per IN (...) query
MAX_SOUND_CANDIDATES = 50  # stored prints (most hashes in common first) aligned per lookup
MAX_PICTURE_CANDIDATES = 20  # stored prints (most frame bands in common first) compared per lookup
BANDS = 4  # 16-bit bands of a 64-bit frame hash


@dataclass
class StoredPrint:
    print_id: int
    video_id: str
    sound_id: str | None
    sound_offset_s: float
    sound_hashes: int
    sound_seconds: float
    duplicate_of: str | None
    created_at: float
    frames: FramePrint


@dataclass
class SoundMatch:
    stored: StoredPrint
    alignment: Alignment


def frame_bands(hashes: np.ndarray) -> list[int]:
    """The distinct (band number, 16-bit value) keys of frame hashes, as integers."""
    keys = {(k << 16) | int((int(h) >> (16 * k)) & 0xFFFF) for h in hashes for k in range(BANDS)}
    return sorted(keys)


def _chunks(values: list, size: int = BATCH):
    for start in range(0, len(values), size):
        yield values[start : start + size]


class PrintTable(Database):
    # -- linking a new video ---------------------------------------------------------------------
    def _link_prints(self, record: Any) -> None:
        """Find the new video's sound and original (if any), store its prints, and set `record.sound` and
        `record.duplicate_of`. Call inside the transaction that inserts the video."""
        sound = record.sound_print if record.sound_print is not None else SoundPrint.none()
        frames = record.frame_print if record.frame_print is not None else FramePrint.none()
        matches = self._sound_matches(sound)
        if matches:
            best = matches[0]
            link = {"sound_id": best.stored.sound_id, "video_id": best.stored.video_id,
                    "offset_s": round(best.stored.sound_offset_s + best.alignment.offset_s, 3)}
        elif not sound.empty:
            link = {"sound_id": record.id[:16], "video_id": None, "offset_s": 0.0}
        else:
            link = None
        original = self._find_original(sound, frames, matches)
        self._insert_prints(record, sound, frames, link, original)
        record.sound = None if link is None else {"sound_id": link["sound_id"], "offset_s": link["offset_s"],
                                                   "matched_video_id": link["video_id"]}
        record.duplicate_of = original

    def _sound_matches(self, sound: SoundPrint) -> list[SoundMatch]:
        """Stored prints that use the same sound, best aligned first."""
        if sound.empty:
            return []
        unique = np.unique(sound.hashes).tolist()
        rows: list[tuple] = []
        for chunk in _chunks(unique):
            rows += self.conn.execute(f"SELECT hash, print_id, t FROM sound_hashes WHERE hash IN "
                                      f"({','.join('?' * len(chunk))})", chunk).fetchall()
        if not rows:
            return []
        found = np.array(rows, np.int64)
        ids, counts = np.unique(found[:, 1], return_counts=True)
        enough = counts >= MIN_ALIGNED  # fewer hashes in common than an alignment needs: not the same sound
        likely = [int(i) for i in ids[enough][np.argsort(-counts[enough], kind="stable")][:MAX_SOUND_CANDIDATES]]
        matches = []
        for stored in self._stored_prints(likely):
            mine = found[found[:, 1] == stored.print_id]
            alignment = align(sound, mine[:, 0].astype(np.uint32), mine[:, 2])
            if is_same_sound(alignment, sound, stored.sound_seconds, stored.sound_hashes):
                matches.append(SoundMatch(stored, alignment))
        return sorted(matches, key=lambda m: (-m.alignment.aligned, m.stored.created_at))

    def _find_original(self, sound: SoundPrint, frames: FramePrint, matches: list[SoundMatch]) -> str | None:
        """The stored video (the root of its copies) that this one re-uploads, or None.

        Same pictures are required; where both have a sound print, the same sound at the same offset too."""
        if frames.empty:
            return None
        by_sound = {m.stored.print_id: m for m in matches}
        candidates = {p.print_id: p for p in self._stored_prints(self._picture_candidates(frames))}
        candidates.update({m.stored.print_id: m.stored for m in matches})
        originals = []
        for stored in candidates.values():
            has_sound = not sound.empty and stored.sound_hashes > 0
            if has_sound and stored.print_id not in by_sound:
                continue
            offset = by_sound[stored.print_id].alignment.offset_s if has_sound else None
            picture = compare(frames, stored.frames, offset)
            if is_duplicate(picture, frames, stored.frames):
                originals.append(stored)
        if not originals:
            return None
        first = min(originals, key=lambda p: (p.created_at, p.video_id))
        return first.duplicate_of or first.video_id

    def _picture_candidates(self, frames: FramePrint) -> list[int]:
        """Stored prints sharing the most frame-hash bands with `frames`."""
        keys = frame_bands(frames.hashes)
        hits: dict[int, int] = {}
        for chunk in _chunks(keys):
            for print_id, n in self.conn.execute(
                f"SELECT print_id, COUNT(*) FROM frame_bands WHERE band IN ({','.join('?' * len(chunk))}) "
                "GROUP BY print_id", chunk,
            ):
                hits[print_id] = hits.get(print_id, 0) + n
        return sorted(hits, key=lambda i: -hits[i])[:MAX_PICTURE_CANDIDATES]

    def _stored_prints(self, print_ids: list[int]) -> list[StoredPrint]:
        """The stored prints of these ids made with the current print versions."""
        out = []
        for chunk in _chunks(print_ids):
            out += [StoredPrint(pid, vid, sid, off or 0.0, len(hashes) // 4, seconds, dup, created,
                                FramePrint(np.frombuffer(fh, "<u8").astype(np.uint64),
                                           np.frombuffer(ft, "<f8").astype(np.float64)))
                    for pid, vid, sid, off, hashes, seconds, dup, created, fh, ft in self.conn.execute(
                        "SELECT print_id, video_id, sound_id, sound_offset_s, sound_hashes, sound_seconds, "
                        "duplicate_of, created_at, "
                        f"frame_hashes, frame_times FROM media_prints WHERE print_id IN ({','.join('?' * len(chunk))})"
                        " AND sound_version=? AND frame_version=?",
                        [*chunk, FINGERPRINT_VERSION, FRAME_HASH_VERSION])]
        return out

    def _insert_prints(self, record: Any, sound: SoundPrint, frames: FramePrint, link: dict | None,
                       original: str | None) -> None:
        cur = self.conn.execute(
            "INSERT INTO media_prints(video_id, sound_version, sound_hashes, sound_times, sound_seconds, sound_id, "
            "sound_offset_s, sound_matched, frame_version, frame_hashes, frame_times, duplicate_of, created_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (record.id, sound.version, np.asarray(sound.hashes, "<u4").tobytes(),
             np.asarray(sound.times, "<i4").tobytes(), sound.seconds, link and link["sound_id"],
             link and link["offset_s"], link and link["video_id"], frames.version,
             np.asarray(frames.hashes, "<u8").tobytes(), np.asarray(frames.times, "<f8").tobytes(), original,
             record.created_at or time.time()),
        )
        print_id = cur.lastrowid
        self.conn.executemany("INSERT OR IGNORE INTO sound_hashes(hash, print_id, t) VALUES (?,?,?)",
                              ((int(h), print_id, int(t)) for h, t in zip(sound.hashes, sound.times, strict=True)))
        self.conn.executemany("INSERT OR IGNORE INTO frame_bands(band, print_id) VALUES (?,?)",
                              ((key, print_id) for key in frame_bands(frames.hashes)))

    # -- removing a video --------------------------------------------------------------------------
    def _unlink_prints(self, video_id: str) -> None:
        """Remove the video's postings and promote its first copy to original of the others (call inside the
        transaction that deletes the video; its media_prints row goes with it by cascade)."""
        row = self.conn.execute("SELECT print_id, sound_hashes, frame_hashes FROM media_prints WHERE video_id=?",
                                (video_id,)).fetchone()
        if row is None:
            return
        print_id, hashes, frame_hashes = row
        self.conn.executemany("DELETE FROM sound_hashes WHERE hash=? AND print_id=?",
                              ((int(h), print_id) for h in np.unique(np.frombuffer(hashes, "<u4"))))
        self.conn.executemany("DELETE FROM frame_bands WHERE band=? AND print_id=?",
                              ((key, print_id) for key in frame_bands(np.frombuffer(frame_hashes, "<u8"))))
        heir = self.conn.execute("SELECT video_id FROM media_prints WHERE duplicate_of=? ORDER BY created_at, video_id "
                                 "LIMIT 1", (video_id,)).fetchone()
        if heir is not None:
            self.conn.execute("UPDATE media_prints SET duplicate_of=NULL WHERE video_id=?", (heir[0],))
            self.conn.execute("UPDATE media_prints SET duplicate_of=? WHERE duplicate_of=?", (heir[0], video_id))

    # -- reading -----------------------------------------------------------------------------------
    def prints_of(self, video_id: str) -> tuple[SoundPrint | None, FramePrint | None]:
        """The stored sound and frame prints of a video, for batch export (None, None when it has none)."""
        row = self._one("SELECT sound_version, sound_hashes, sound_times, sound_seconds, frame_version, frame_hashes, "
                        "frame_times FROM media_prints WHERE video_id=?", (video_id,))
        if row is None:
            return None, None
        sv, sh, st, seconds, fv, fh, ft = row
        sound = SoundPrint(np.frombuffer(sh, "<u4").astype(np.uint32), np.frombuffer(st, "<i4").astype(np.int32),
                           float(seconds or 0.0), sv)
        frames = FramePrint(np.frombuffer(fh, "<u8").astype(np.uint64), np.frombuffer(ft, "<f8").astype(np.float64), fv)
        return sound, frames

    def print_links(self, video_id: str) -> tuple[dict | None, str | None]:
        """(sound link, duplicate_of) of a stored video; (None, None) when it has no prints."""
        row = self._one("SELECT sound_id, sound_offset_s, sound_matched, duplicate_of FROM media_prints "
                        "WHERE video_id=?", (video_id,))
        if row is None:
            return None, None
        sound = None if row[0] is None else {"sound_id": row[0], "offset_s": row[1], "matched_video_id": row[2]}
        return sound, row[3]
