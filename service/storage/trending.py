"""The backend-independent arithmetic of sound trends and copy groups: each store runs its own queries and
hands the rows here, so both backends rank and group the same way."""
from __future__ import annotations

from typing import Any, NamedTuple


class TrendingSound(NamedTuple):
    rank: int
    sound_id: str
    score: float
    uses: int
    engagement: float
    events: dict[str, int]


def rank_sounds(uses: dict[str, int], rows: list[tuple], weights: dict[str, float], limit: int
                ) -> list[TrendingSound]:
    """Score = uses in the window + weighted engagement from (sound_id, type, count, completion sum) rows;
    each event weighted by `weights[type]`, views by base + completion, negatives ignored."""
    events: dict[str, dict[str, int]] = {}
    engagement: dict[str, float] = {}
    for sound_id, kind, n, completion in rows:
        counts = events.setdefault(sound_id, {})
        counts[kind] = counts.get(kind, 0) + int(n)
        gained = weights.get(kind, 0.0) * float(n)
        if kind == "view":
            gained += weights.get("view_completion", 0.0) * float(completion or 0.0)
        engagement[sound_id] = engagement.get(sound_id, 0.0) + max(gained, 0.0)
    scored = sorted(((uses.get(s, 0) + engagement.get(s, 0.0), s) for s in set(uses) | set(engagement)),
                    key=lambda item: (-item[0], item[1]))[:limit]
    return [TrendingSound(rank, s, score, int(uses.get(s, 0)), engagement.get(s, 0.0), events.get(s, {}))
            for rank, (score, s) in enumerate(scored, start=1)]


def trending_item(sound: TrendingSound, videos: int, first_video_id: str | None, first_seen_at: float | None
                  ) -> dict[str, Any]:
    return {"sound_id": sound.sound_id, "rank": sound.rank, "score": round(sound.score, 4),
            "uses_in_window": sound.uses, "engagement": round(sound.engagement, 4), "events": sound.events,
            "videos": int(videos), "first_video_id": first_video_id, "first_seen_at": first_seen_at}
