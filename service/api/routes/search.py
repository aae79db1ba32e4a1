"""Text-to-video search."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.api.deps import RecommenderDep
from service.api.schemas import SearchResults, error_responses

router = APIRouter(tags=["videos"])

Q = Annotated[str, Query(min_length=1, max_length=500, examples=["cat running around"])]
K = Annotated[int, Query(ge=1, le=100)]


@router.get("/search", responses=error_responses(409, 422, 503, codes={409: "space_mismatch", 503: "no_text_model"}))
def search(q: Q, recommender: RecommenderDep, k: K = 10) -> SearchResults:
    """Videos ranked by how well they match the words of `q`. 422 `empty_query`: nothing but spaces."""
    return SearchResults(query=q, items=recommender.search(q, k))
