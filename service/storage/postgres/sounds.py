"""The sound graph and the copies on PostgreSQL: same sound, trending sounds, duplicate groups (the SQLite
store's queries, service/storage/sounds.py, with the same ranking; every read goes through an index)."""
from __future__ import annotations

import math
from typing import Any

from service.storage.postgres.database import PgDatabase
from service.storage.trending import TrendingSound, rank_sounds, trending_item


class PgSoundTable(PgDatabase):
    def same_sound(self, video_id: str, limit: int = 20) -> tuple[dict | None, list[dict[str, Any]]]:
        row = self._one("SELECT sound_id, sound_offset_s FROM media_prints WHERE video_id=%s", (video_id,))
        if row is None or row[0] is None:
            return None, []
        sound_id, mine = row[0], row[1] or 0.0
        rows = self._all(
            "SELECT p.video_id, p.sound_offset_s, p.duplicate_of, p.created_at, v.title, v.creator "
            "FROM media_prints p JOIN videos v ON v.id = p.video_id "
            "WHERE p.sound_id=%s AND p.video_id != %s ORDER BY p.created_at DESC, p.video_id LIMIT %s",
            (sound_id, video_id, limit))
        items = [{"video_id": vid, "offset_s": round((offset or 0.0) - mine, 3), "title": title, "creator": creator,
                  "created_at": created, "duplicate_of": dup}
                 for vid, offset, dup, created, title, creator in rows]
        return {"sound_id": sound_id, "offset_s": mine}, items

    def trending_sounds(self, since: float, weights: dict[str, float], limit: int = 20) -> list[dict[str, Any]]:
        """Score = videos using the sound created since `since` + their weighted engagement since then (the
        window's whole hours from the trigger-kept hourly counters, its first partial hour from the events)."""
        uses = dict(self._all("SELECT sound_id, count(*) FROM media_prints WHERE created_at >= %s "
                              "AND sound_id IS NOT NULL GROUP BY sound_id", (since,)))
        first_hour = math.ceil(since / 3600.0)
        rows = self._all(
            "SELECT p.sound_id, e.type, count(*), SUM(COALESCE(e.completion, 0)) FROM events e "
            "JOIN media_prints p ON p.video_id = e.video_id WHERE e.ts >= %s AND e.ts < %s "
            "AND p.sound_id IS NOT NULL GROUP BY p.sound_id, e.type", (since, first_hour * 3600.0))
        rows += self._all("SELECT sound_id, type, SUM(n), SUM(completion) FROM sound_activity WHERE hour >= %s "
                          "GROUP BY sound_id, type", (first_hour,))
        return [self._trending_item(sound) for sound in rank_sounds(uses, rows, weights, limit)]

    def _trending_item(self, sound: TrendingSound) -> dict[str, Any]:
        sound_id = sound.sound_id
        total, first = self._one("SELECT count(*), MIN(created_at) FROM media_prints WHERE sound_id=%s", (sound_id,))
        origin = self._one("SELECT video_id FROM media_prints WHERE sound_id=%s ORDER BY created_at, video_id "
                           "LIMIT 1", (sound_id,))
        return trending_item(sound, total, origin[0] if origin else None, first)

    def duplicate_groups(self) -> list[dict[str, Any]]:
        groups: dict[str, list[tuple]] = {}
        for vid, root, created, title in self._all(
            "SELECT p.video_id, p.duplicate_of, p.created_at, v.title FROM media_prints p "
            "JOIN videos v ON v.id = p.video_id WHERE p.duplicate_of IS NOT NULL ORDER BY p.created_at, p.video_id"):
            groups.setdefault(root, []).append((vid, created, title))
        titles = dict(self._all("SELECT id, title FROM videos WHERE id = ANY(%s)", (list(groups),)))
        out = [{"original": root, "title": titles.get(root, ""),
                "copies": [{"video_id": v, "created_at": c, "title": t} for v, c, t in copies]}
               for root, copies in groups.items()]
        return sorted(out, key=lambda g: (-len(g["copies"]), g["original"]))

    def duplicate_map(self) -> dict[str, str]:
        return dict(self._all("SELECT video_id, duplicate_of FROM media_prints WHERE duplicate_of IS NOT NULL"))

    def sound_ids(self, video_ids: list[str]) -> dict[str, str]:
        return dict(self._all("SELECT video_id, sound_id FROM media_prints WHERE video_id = ANY(%s) "
                              "AND sound_id IS NOT NULL", (list(video_ids),)))

    def sound_videos(self, sound_id: str, limit: int = 50) -> list[str]:
        return [r[0] for r in self._all("SELECT video_id FROM media_prints WHERE sound_id=%s "
                                        "ORDER BY created_at DESC LIMIT %s", (sound_id, limit))]
