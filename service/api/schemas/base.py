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
                       "reason": "content", "category": "food", "negative_penalty": 0.0,
                       "signals": {"content": 0.8, "prior": 0.4, "collaborative": 1.1}, "scoring_stage": "warm"}
RANKED_EXAMPLE = [{"video_id": VIDEO_ID_EXAMPLE, "score": 0.83, "rank": 1, "explanation": EXPLANATION_EXAMPLE}]


class RankedVideo(ResponseModel):
    model_config = with_examples(RANKED_EXAMPLE[0])
    video_id: str
    score: float
    rank: int = Field(description="1 for the best")
    explanation: dict[str, Any] = Field(description="per-modality contributions, matched tags, reason, category, ...")
