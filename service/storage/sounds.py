"""Reading the sound graph and the copies: videos that share a sound, sounds trending in a time window,
duplicate groups. Every query goes through an index (sound id, creation time, event time, duplicate_of)."""
from __future__ import annotations

import math
from typing import Any

from service.storage.database import Database
from service.storage.trending import TrendingSound, rank_sounds, trending_item


def _marks(n: int) -> str:
    return ",".join("?" * n)


class SoundTable(Database):
    def same_sound(self, video_id: str, limit: int = 20) -> tuple[dict | None, list[dict[str, Any]]]:
        """(this video's sound link, the other videos using its sound), newest first. Each item's `offset_s` is
        where the other video's audio starts in this video's time (negative: before this video starts)."""
        row = self._one("SELECT sound_id, sound_offset_s FROM media_prints WHERE video_id=?", (video_id,))
        if row is None or row[0] is None:
            return None, []
        sound_id, mine = row[0], row[1] or 0.0
        rows = self._all(
            "SELECT p.video_id, p.sound_offset_s, p.duplicate_of, p.created_at, v.title, v.creator "
            "FROM media_prints p JOIN videos v ON v.id = p.video_id "
            "WHERE p.sound_id=? AND p.video_id != ? ORDER BY p.created_at DESC, p.video_id LIMIT ?",
            (sound_id, video_id, limit),
        )
        items = [{"video_id": vid, "offset_s": round((offset or 0.0) - mine, 3), "title": title, "creator": creator,
                  "created_at": created, "duplicate_of": dup}
                 for vid, offset, dup, created, title, creator in rows]
        return {"sound_id": sound_id, "offset_s": mine}, items

    def trending_sounds(self, since: float, weights: dict[str, float], limit: int = 20) -> list[dict[str, Any]]:
        """Sounds ranked by score = videos using them created since `since` + the engagement those videos got
        since then (each event weighted by `weights[type]`, views by base + completion, negatives ignored).

        Reads only the window: the prints by creation time, the hourly counters of the whole hours in it, and
        the events of its first partial hour (indexes are named so the planner cannot scan by sound id)."""
        uses = dict(self._all("SELECT sound_id, COUNT(*) FROM media_prints INDEXED BY media_prints_created "
                              "WHERE created_at >= ? AND sound_id IS NOT NULL GROUP BY sound_id", (since,)))
        first_hour = math.ceil(since / 3600.0)
        rows = self._all(
            "SELECT p.sound_id, e.type, COUNT(*), SUM(COALESCE(e.completion, 0)) FROM events e INDEXED BY events_ts "
            "CROSS JOIN media_prints p ON p.video_id = e.video_id WHERE e.ts >= ? AND e.ts < ? "
            "AND p.sound_id IS NOT NULL GROUP BY p.sound_id, e.type", (since, first_hour * 3600.0))
        rows += self._all("SELECT sound_id, type, SUM(n), SUM(completion) FROM sound_activity WHERE hour >= ? "
                          "GROUP BY sound_id, type", (first_hour,))
        return [self._trending_item(sound) for sound in rank_sounds(uses, rows, weights, limit)]

    def _trending_item(self, sound: TrendingSound) -> dict[str, Any]:
        sound_id = sound.sound_id
        total, first = self._one("SELECT COUNT(*), MIN(created_at) FROM media_prints WHERE sound_id=?", (sound_id,))
        origin = self._one("SELECT video_id FROM media_prints WHERE sound_id=? ORDER BY created_at, video_id LIMIT 1",
                           (sound_id,))
        return trending_item(sound, total, origin[0] if origin else None, first)

    def duplicate_groups(self) -> list[dict[str, Any]]:
        """Each original with its copies (oldest first), originals with the most copies first."""
        groups: dict[str, list[tuple]] = {}
        for vid, root, created, title in self._all(
            "SELECT p.video_id, p.duplicate_of, p.created_at, v.title FROM media_prints p "
            "JOIN videos v ON v.id = p.video_id WHERE p.duplicate_of IS NOT NULL ORDER BY p.created_at, p.video_id"
        ):
            groups.setdefault(root, []).append((vid, created, title))
        out = []
        for root, copies in groups.items():
            title = self._one("SELECT title FROM videos WHERE id=?", (root,))
            out.append({"original": root, "title": title[0] if title else "",
                        "copies": [{"video_id": v, "created_at": c, "title": t} for v, c, t in copies]})
        return sorted(out, key=lambda g: (-len(g["copies"]), g["original"]))

    def duplicate_map(self) -> dict[str, str]:
        """{copy: its original} for every stored copy (an index range over the copies only)."""
        return dict(self._all("SELECT video_id, duplicate_of FROM media_prints WHERE duplicate_of IS NOT NULL"))

    def sound_ids(self, video_ids: list[str]) -> dict[str, str]:
        """{video id: sound id} for those of `video_ids` that have a sound."""
        out: dict[str, str] = {}
        for start in range(0, len(video_ids), 500):
            chunk = video_ids[start : start + 500]
            out.update(self._all(f"SELECT video_id, sound_id FROM media_prints WHERE video_id IN "
                                 f"({_marks(len(chunk))}) AND sound_id IS NOT NULL", tuple(chunk)))
        return out

    def sound_videos(self, sound_id: str, limit: int = 50) -> list[str]:
        """The newest videos using a sound."""
        return [r[0] for r in self._all("SELECT video_id FROM media_prints WHERE sound_id=? "
                                        "ORDER BY created_at DESC LIMIT ?", (sound_id, limit))]
