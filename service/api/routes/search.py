"""Text-to-video search: the videos that match, each with its best-matching moment."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.answers import Explain, FastJSON
from service.api.deps import MomentsDep, RecommenderDep, SearchText
from service.api.schemas import SearchResults, error_responses

router = APIRouter(tags=["videos"])

K = Annotated[int, Query(ge=1, le=100)]


@router.get("/search", response_model=SearchResults,
            responses=error_responses(409, 422, 503, codes={409: "space_mismatch", 503: "no_text_model"}))
def search(q: SearchText, recommender: RecommenderDep, moments: MomentsDep, k: K = 10,
           explain: Explain = "brief") -> FastJSON:
    """Videos ranked by how well they match the words of `q`, each with the moment (time range, score, thumbnail)
    that matches best. 422 `empty_query`: nothing but spaces or control characters."""
    return FastJSON({"query": q, "items": moments.attach(q, recommender.search(q, k, explain))})
