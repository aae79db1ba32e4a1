"""Users: interaction events, stated interests, what is known about a user, and their recommendations."""
from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query

from service.api.answers import Explain, FastJSON
from service.api.auth import issue_token
from service.api.deps import ApiDep, RecommenderDep, RequireApiKey, RequireUserAccess, UserId
from service.api.schemas import (
    EventBatch,
    EventsAccepted,
    HistoryCleared,
    InterestsIn,
    Profile,
    Recommendations,
    UserErased,
    UserToken,
    error_responses,
)
from service.errors import RequestError
from service.recommend.events import Event

router = APIRouter(tags=["users"])

K = Annotated[int, Query(ge=1, le=100)]
Diversity = Annotated[float | None, Query(ge=0.0, le=1.0, description="0: pure relevance, 1: most varied")]
CreatedAfter = Annotated[float | None, Query(ge=0, description="unix seconds: rank only videos stored after this "
                                                               "time (the new-uploads pool)", examples=[1767225600])]


@router.post("/events", dependencies=[RequireApiKey],
             responses=error_responses(401, 413, 422, codes={413: "too_many_events", 422: "bad_completion"}))
def post_events(batch: EventBatch, api: ApiDep, recommender: RecommenderDep) -> EventsAccepted:
    """Record a batch of interaction events; the whole batch is stored or (on any invalid event) none of it."""
    if len(batch.events) > api.max_events_per_batch:
        raise RequestError("too_many_events", f"at most {api.max_events_per_batch} events per batch")
    now = time.time()
    events = [Event(e.user_id, e.video_id, e.type, now if e.timestamp is None else e.timestamp,
                    e.watch_seconds, e.completion) for e in batch.events]
    return EventsAccepted(accepted=recommender.record_events(events))


@router.put("/users/{user_id}/interests", dependencies=[RequireUserAccess],
            responses=error_responses(401, 403, 413, 422))
def put_interests(user_id: UserId, body: InterestsIn, recommender: RecommenderDep) -> Profile:
    """State a user's interests in words and tags (cold start before any event); answers the updated profile."""
    return Profile(**recommender.set_interests(user_id, body.text, list(body.tags)))


@router.get("/users/{user_id}/profile", dependencies=[RequireUserAccess], responses=error_responses(401, 403, 422))
def get_profile(user_id: UserId, recommender: RecommenderDep) -> Profile:
    """What the recommender knows about a user: event counts, stated interests, interest tags."""
    return Profile(**recommender.profile(user_id))


@router.delete("/users/{user_id}/history", dependencies=[RequireUserAccess], responses=error_responses(401, 403, 422))
def delete_history(user_id: UserId, recommender: RecommenderDep) -> HistoryCleared:
    """Forget a user's interaction history, derived state and stated interests (their profile starts over); their
    content settings stay (`DELETE /users/{user_id}` erases those too)."""
    recommender.refresh(user_id)
    return HistoryCleared(user_id=user_id, history_cleared=True)


@router.delete("/users/{user_id}", dependencies=[RequireUserAccess], responses=error_responses(401, 403, 422))
def erase_user(user_id: UserId, recommender: RecommenderDep) -> UserErased:
    """Erase everything stored under the user id: events (also taken out of the per-video counters), stated
    interests, the derived serving state (profile sums, per-video signals) and content settings."""
    return UserErased(user_id=user_id, erased=recommender.refresh(user_id, erase=True))


@router.post("/users/{user_id}/token", dependencies=[RequireApiKey],
             responses=error_responses(401, 404, 422, codes={404: "tokens_disabled"}))
def issue_user_token(user_id: UserId, api: ApiDep) -> UserToken:
    """A token for this user's own data (for the platform's backend to hand to the user's app), valid for
    REELSENSE_USER_TOKEN_TTL_S seconds. 404 `tokens_disabled`: REELSENSE_USER_TOKEN_SECRET is not set (a setting,
    not a passing state: no 5xx that would tell clients to retry)."""
    if not api.user_token_secret:
        raise RequestError("tokens_disabled", "user tokens are off: set REELSENSE_USER_TOKEN_SECRET")
    token, expires = issue_token(api.user_token_secret, user_id, api.user_token_ttl_s)
    return UserToken(user_id=user_id, token=token, expires_at=expires)


@router.get("/users/{user_id}/recommendations", dependencies=[RequireUserAccess], response_model=Recommendations,
            responses=error_responses(401, 403, 422))
def recommendations(user_id: UserId, recommender: RecommenderDep, k: K = 10, diversity: Diversity = None,
                    created_after: CreatedAfter = None, explain: Explain = "brief") -> FastJSON:
    """Ranked video ids with scores and explanations (`explain`: brief by default, full for per-modality
    contributions and signals); `created_after` limits the feed to videos stored after that time."""
    items = recommender.recommend(user_id, k, diversity, created_after=created_after, explain=explain)
    return FastJSON({"user_id": user_id, "items": items})
