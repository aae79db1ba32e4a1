"""Users: events, stated interests, profile, feed, tokens, history and erasure."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.api.schemas.base import RANKED_EXAMPLE, VIDEO_ID_EXAMPLE, RankedVideo, ResponseModel, with_examples
from service.recommend.events import EVENT_TYPES, USER_ID


class EventIn(BaseModel):
    model_config = ConfigDict(strict=True)
    user_id: str = Field("", max_length=128, description=f"matches {USER_ID} (422 `bad_user_id` otherwise)")
    video_id: str = Field("", max_length=128)
    type: str = Field("", max_length=32, description=f"one of: {', '.join(EVENT_TYPES)}")
    timestamp: float | None = Field(None, description="Unix seconds; default: when the server received it")
    watch_seconds: float | None = None
    completion: float | None = Field(None, description="Fraction of the video watched, in [0, 1]")


class EventBatch(BaseModel):
    model_config = with_examples({"events": [
        {"user_id": "u1", "video_id": VIDEO_ID_EXAMPLE, "type": "view", "watch_seconds": 4.2, "completion": 0.85},
        {"user_id": "u1", "video_id": VIDEO_ID_EXAMPLE, "type": "like"}]}, strict=True)
    events: list[EventIn] = Field(..., min_length=1, max_length=10_000)


class EventsAccepted(ResponseModel):
    model_config = with_examples({"accepted": 2})
    accepted: int = Field(description="events stored (the whole batch, or an error and none)")


class InterestsIn(BaseModel):
    model_config = with_examples({"text": "home cooking and quick pasta recipes", "tags": ["#food"]}, strict=True)
    text: str = Field("", max_length=2000)
    tags: list[str] = Field(default_factory=list, max_length=50)


class TagWeight(ResponseModel):
    label: str
    weight: float


class Profile(ResponseModel):
    """What the recommender knows about a user."""

    model_config = with_examples({
        "user_id": "u1", "cold_start": False, "interest_tags": [{"label": "food", "weight": 0.6}], "negative_tags": [],
        "modality_weights": {"text": 0.4, "visual": 0.35, "audio": 0.25},
        "event_counts": {t: {"view": 3, "like": 1}.get(t, 0) for t in EVENT_TYPES},
        "engaged_videos": 2, "seen_videos": 3,
        "stated_interests": {"text": "home cooking", "tags": ["food"]}})
    user_id: str
    cold_start: bool = Field(description="true until the user has engaged with something")
    interest_tags: list[TagWeight]
    negative_tags: list[TagWeight]
    modality_weights: dict[str, float]
    event_counts: dict[str, int]
    engaged_videos: int
    seen_videos: int
    stated_interests: dict[str, Any]


class Recommendations(ResponseModel):
    model_config = with_examples({"user_id": "u1", "items": RANKED_EXAMPLE})
    user_id: str
    items: list[RankedVideo]


class UserErased(ResponseModel):
    model_config = with_examples({"user_id": "u1", "erased": True})
    user_id: str
    erased: bool = Field(description="false: nothing was stored for this id (erasing is idempotent)")


class UserToken(ResponseModel):
    model_config = with_examples({"user_id": "u1", "token": "u1.1767229200.<signature>", "expires_at": 1767229200})
    user_id: str
    token: str = Field(description="send as `Authorization: Bearer <token>`; opens this user's own data only")
    expires_at: int = Field(description="Unix seconds")


class HistoryCleared(ResponseModel):
    model_config = with_examples({"user_id": "u1", "history_cleared": True})
    user_id: str
    history_cleared: bool
