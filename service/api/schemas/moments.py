"""Moments: the time ranges of a video matching a query."""
from __future__ import annotations

from pydantic import Field

from service.api.schemas.base import VIDEO_ID_EXAMPLE, ResponseModel, with_examples

MOMENT_EXAMPLE = {"kind": "text", "start_s": 3.0, "end_s": 4.0, "frame_index": 3, "text": "PASTA", "score": 1.0,
                  "thumbnail_url": f"/videos/{VIDEO_ID_EXAMPLE}/frames/3.jpg"}


class MomentView(ResponseModel):
    """A time range of a video matching a query: a sampled frame, a line of on-screen text, or a run of sound."""

    model_config = with_examples(MOMENT_EXAMPLE)
    kind: str = Field(description="frame (CLIP), text (on-screen), speech, music or noise")
    start_s: float
    end_s: float
    frame_index: int = Field(description="the sampled frame that shows it")
    text: str = Field(description="the words matched (on-screen text or a description of the sound); '' for frames")
    score: float = Field(description="in [0, 1]: word overlap or embedding similarity with the query")
    thumbnail_url: str = Field(description="JPEG of the frame at `frame_index`")


class VideoMoments(ResponseModel):
    """One video's moments ranked against a query, best first."""

    model_config = with_examples({"video_id": VIDEO_ID_EXAMPLE, "query": "pasta", "items": [MOMENT_EXAMPLE]})
    video_id: str
    query: str
    items: list[MomentView]
