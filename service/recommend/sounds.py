"""Sound and copy signals for a feed: one copy per content, and more of the sounds a user likes.

- Copies: the videos the store marked `duplicate_of` one original form a group; a feed shows only the group's
  representative (the most engaged member, the original on a tie), and nothing of a group the user has
  already seen or rejected a member of.
- Sound affinity: every sound of a video the user liked, shared, commented on or followed from counts; a
  candidate using such a sound gains `weight * min(1, liked videos with the sound / saturation)`, more videos
  of the user's sounds join the candidates, and the item's explanation names the sound and the count.

Kept apart from the ranking stages so it can be hooked wherever the candidate list is built: it takes and
returns plain arrays of catalogue rows and relevances.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.storage.rows import EventRow

ENGAGING_EVENTS = frozenset({"like", "share", "comment", "follow"})
TOP_SOUNDS = 3  # of the user's sounds, this many bring their newest videos into the candidates
VIDEOS_PER_SOUND = 50


def engagement_weights(signals) -> dict[str, float]:
    """Event weights for ranking trending sounds, from the settings' `EventSignals` (views: base + completion)."""
    return {"like": signals.like, "share": signals.share, "comment": signals.comment, "follow": signals.follow,
            "view": signals.view_base, "view_completion": signals.view_completion}


def hidden_copies(ids: list[str], row: dict[str, int], duplicate_of: dict[str, str], engaged: np.ndarray,
                  seen: set[str]) -> np.ndarray:
    """Rows a feed must not show: every copy group's members but its representative (most `engaged`, the
    original on a tie), and all members of a group with a member in `seen`."""
    hidden = np.zeros(len(ids), bool)
    groups: dict[str, list[int]] = {}
    for copy, original in duplicate_of.items():
        for vid in (original, copy):
            if vid in row and row[vid] not in groups.setdefault(original, []):
                groups[original].append(row[vid])
    for original, members in groups.items():
        if any(ids[i] in seen for i in members) or original in seen:
            hidden[members] = True
            continue
        first = row.get(original, members[0])
        keep = max(members, key=lambda i: (engaged[i], i == first))
        hidden[[i for i in members if i != keep]] = True
    return hidden


@dataclass
class SoundAffinity:
    """How much a user likes each sound: liked videos per sound id."""

    liked: dict[str, int]
    weight: float
    saturation: int
    sound_of: dict[str, str] = field(default_factory=dict)  # video id -> sound id, for the rows looked at

    @classmethod
    def of_user(cls, store, events: list[EventRow], weight: float, saturation: int) -> SoundAffinity:
        """From the user's events and the store's sound ids."""
        liked_videos = sorted({e.video_id for e in events if e.type in ENGAGING_EVENTS})
        sounds = store.sound_ids(liked_videos) if liked_videos else {}
        return cls(dict(Counter(sounds.values())), weight, max(1, saturation))

    def boost(self, sound_id: str | None) -> float:
        if sound_id is None or sound_id not in self.liked:
            return 0.0
        return self.weight * min(1.0, self.liked[sound_id] / self.saturation)

    def apply(self, store, ids: list[str], row_of: dict[str, int], rows: np.ndarray, rel: np.ndarray,
              extra_rel) -> tuple[np.ndarray, ...]:
        """Add the newest videos of the user's top sounds to the candidate rows (scored by `extra_rel(rows)`),
        then add every candidate's sound boost; returns (rows, rel, boost) sorted by relevance. `ids` maps a
        row to its video id and `row_of` back."""
        if not self.liked or self.weight <= 0:
            return rows, rel, np.zeros(len(rows))
        present = set(rows.tolist())
        extra = []
        for sound_id, _ in Counter(self.liked).most_common(TOP_SOUNDS):
            extra += [row_of[v] for v in store.sound_videos(sound_id, VIDEOS_PER_SOUND)
                      if v in row_of and row_of[v] not in present]
        extra = np.array(sorted(set(extra)), np.int64)
        if extra.size:
            rows, rel = np.concatenate([rows, extra]), np.concatenate([rel, extra_rel(extra)])
        self.sound_of = store.sound_ids([ids[i] for i in rows])
        boost = np.array([self.boost(self.sound_of.get(ids[i])) for i in rows])
        rel = rel + boost
        order = np.argsort(-rel, kind="stable")
        return rows[order], rel[order], boost[order]

    def explain(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Name the sound in the explanation of every item that the user's sounds lifted."""
        for item in items:
            sound_id = self.sound_of.get(item["video_id"])
            boost = self.boost(sound_id)
            if boost > 0:
                item["explanation"]["sound"] = {"sound_id": sound_id, "liked_videos_with_sound": self.liked[sound_id],
                                                "boost": round(boost, 4)}
        return items
