"""Moments: one video's time ranges ranked against a query (time-coded search inside a video)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.deps import KnownVideo, MomentsDep, SearchText
from service.api.schemas import VideoMoments, error_responses

router = APIRouter(tags=["videos"])

K = Annotated[int, Query(ge=1, le=100)]


@router.get("/videos/{video_id}/moments", responses=error_responses(404, 422, codes={422: "empty_query"}))
def video_moments(video: KnownVideo, q: SearchText, moments: MomentsDep, k: K = 10) -> VideoMoments:
    """The video's moments (sampled frames, on-screen text, speech and music) that match `q`, best first, each
    with its time range, score and thumbnail."""
    return VideoMoments(video_id=video.id, query=q, items=moments.rank(video.id, q, k))
