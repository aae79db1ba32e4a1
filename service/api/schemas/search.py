"""Text-to-video search: ranked videos, each with its best moment."""
from __future__ import annotations

from pydantic import Field

from service.api.schemas.base import RANKED_EXAMPLE, RankedVideo, ResponseModel, with_examples
from service.api.schemas.moments import MOMENT_EXAMPLE, MomentView


class SearchHit(RankedVideo):
    model_config = with_examples({**RANKED_EXAMPLE[0], "moment": MOMENT_EXAMPLE})
    moment: MomentView | None = Field(description="the video's best-matching moment; null when none matches")


class SearchResults(ResponseModel):
    model_config = with_examples({"query": "pasta", "items": [{**RANKED_EXAMPLE[0], "moment": MOMENT_EXAMPLE}]})
    query: str
    items: list[SearchHit]
