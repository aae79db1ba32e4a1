"""What every body of the API shares: the id patterns, examples in the document, the strictness of
response models, and a ranked video (similar videos, search hits and feeds are lists of them)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

VIDEO_ID = r"^[0-9a-f]{64}$"  # SHA-256 of the file content, lower-case hex
VIDEO_ID_EXAMPLE = "9f2c6a1e" * 8


def with_examples(*examples: dict[str, Any], strict: bool = False) -> ConfigDict:
    """Examples for the document; `strict` (request bodies): a value of another JSON type than declared is
    refused, not converted (`0` is no boolean, `"1.5"` no number), as the document promises."""
    return ConfigDict(json_schema_extra={"examples": list(examples)}, strict=strict)


class ResponseModel(BaseModel):
    """A response body. Unknown fields are refused, not dropped: a field that a component starts returning
    (a record summary, a profile, a ranked item) fails the API tests until it is declared here."""

    model_config = ConfigDict(extra="forbid")


EXPLANATION_EXAMPLE = {"contributions": {"text": 0.4, "visual": 0.3, "audio": 0.13}, "matched_tags": ["food"],
                       "reason": "personal", "category": "food", "negative_penalty": 0.0,
                       "signals": {"content": 0.8, "prior": 0.4, "collaborative": 1.1}, "scoring_stage": "warm"}
BRIEF_EXAMPLE = {"reason": "personal", "top": "collaborative", "contribution": 1.1}
RANKED_EXAMPLE = [{"video_id": VIDEO_ID_EXAMPLE, "score": 0.83, "rank": 1, "explanation": BRIEF_EXAMPLE}]
REASONS = "personal, stated_interests, cold_start_user, exploration (feeds), similar, search"


class BriefExplanation(ResponseModel):
    """`explain=brief` (the default): why the item is there and what added most to its score."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [BRIEF_EXAMPLE]})
    reason: str = Field(description=f"why the item is in the list: {REASONS}")
    top: str | None = Field(description="feeds: the weighted signal (content, prior, collaborative, interests, "
                                        "negative) with the largest part of the score; similar and search: the "
                                        "modality (text, visual, audio) with the largest contribution; null when "
                                        "nothing was scored")
    contribution: float = Field(description="that signal's or modality's part of the score")


class ExposureStage(ResponseModel):
    stage: int = Field(description="staged-exposure step of a new video")
    status: str


class SoundReason(ResponseModel):
    sound_id: str
    liked_videos_with_sound: int
    boost: float


class FullExplanation(ResponseModel):
    """`explain=full`: every part of the score (computed per item: costs more than `brief`)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXPLANATION_EXAMPLE]})
    contributions: dict[str, float] = Field(description="per-modality terms whose sum is the cosine of the query "
                                                        "(user, video or search) and the video")
    matched_tags: list[str] = Field(description="the user's (or query's) interests the video's tags match")
    reason: str = Field(description=f"why the item is in the list: {REASONS}")
    category: str
    negative_penalty: float = Field(description="how much the user's rejections lowered the score")
    user_weights: dict[str, float] | None = Field(None, description="the query's modality weights (absent for "
                                                                    "a cold-start user)")
    stage: ExposureStage | None = Field(None, description="feeds: the video's exposure stage")
    signals: dict[str, float] | None = Field(None, description="feeds: each weighted hybrid signal's part")
    scoring_stage: str | None = Field(None, description="feeds: cold, stated, early or warm (the blend used)")
    sound: SoundReason | None = Field(None, description="feeds: the liked sound that lifted the video")


class RankedVideo(ResponseModel):
    model_config = with_examples(RANKED_EXAMPLE[0])
    video_id: str
    score: float
    rank: int = Field(description="1 for the best")
    explanation: BriefExplanation | FullExplanation | None = Field(
        None, description="by the request's `explain`: brief (default), full, or absent for `false`")
