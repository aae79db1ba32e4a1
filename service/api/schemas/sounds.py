"""Sounds: the videos sharing a video's sound, and trending sounds."""
from __future__ import annotations

from pydantic import Field

from service.api.schemas.base import VIDEO_ID_EXAMPLE, ResponseModel, with_examples


class SameSoundVideo(ResponseModel):
    video_id: str
    offset_s: float = Field(description="where the other video's audio starts in this video's time, in seconds "
                                        "(negative: before this video starts)")
    title: str
    creator: str
    created_at: float
    duplicate_of: str | None


class SameSound(ResponseModel):
    """The other videos using a video's sound, newest first."""

    model_config = with_examples({"video_id": VIDEO_ID_EXAMPLE, "sound_id": VIDEO_ID_EXAMPLE[:16], "items": [
        {"video_id": "1b7e" * 16, "offset_s": -10.0, "title": "Dance challenge, part 2", "creator": "mia",
         "created_at": 1767225600.0, "duplicate_of": None}]})
    video_id: str
    sound_id: str | None = Field(description="null: the video has no usable audio, so no sound")
    items: list[SameSoundVideo]


class TrendingSound(ResponseModel):
    sound_id: str
    rank: int
    score: float = Field(description="uses_in_window + engagement")
    uses_in_window: int = Field(description="videos using the sound stored within the window")
    engagement: float = Field(description="signal-weighted events on the sound's videos within the window")
    events: dict[str, int] = Field(description="events within the window by type")
    videos: int = Field(description="videos using the sound, all time")
    first_video_id: str | None
    first_seen_at: float | None


class TrendingSounds(ResponseModel):
    model_config = with_examples({"window_hours": 24.0, "items": [
        {"sound_id": VIDEO_ID_EXAMPLE[:16], "rank": 1, "score": 41.3, "uses_in_window": 12, "engagement": 29.3,
         "events": {"view": 120, "like": 14}, "videos": 30, "first_video_id": VIDEO_ID_EXAMPLE,
         "first_seen_at": 1767225600.0}]})
    window_hours: float
    items: list[TrendingSound]
