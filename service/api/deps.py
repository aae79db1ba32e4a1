"""Typed dependencies of the routes: what the app built at startup, the API-key check, and path parameters.

Routes declare what they need (`store: StoreDep`, `video: KnownVideo`) and FastAPI resolves it per request;
the objects themselves live on `app.state`, built once by the lifespan in `service.api.app`.
"""
from __future__ import annotations

import unicodedata
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from service.api.auth import check_user_access, is_admin_key
from service.api.ingest import Ingest
from service.api.jobs import JobRegistry
from service.api.metrics import Metrics
from service.api.schemas import USER_ID, VIDEO_ID, VIDEO_ID_EXAMPLE
from service.api.state import ThreadLocalStore
from service.config import Settings
from service.errors import AuthError, NotFoundError, QueryError
from service.moments import MomentSearch
from service.options import ApiOptions
from service.pipeline.workers import WorkerPool
from service.recommend import Recommender
from service.records import VideoRecord

# -- path parameters ------------------------------------------------------------------------------
VideoId = Annotated[str, Path(pattern=VIDEO_ID, description="SHA-256 of the file content (64 lower-case hex)",
                              examples=[VIDEO_ID_EXAMPLE])]
UserId = Annotated[str, Path(pattern=USER_ID, examples=["u1"])]
JobId = Annotated[str, Path(max_length=64, examples=["a1b2c3d4e5f60718"])]


def _search_text(q: Annotated[str, Query(min_length=1, max_length=500, examples=["garlic pasta"],
                                         description="words to match; control characters count as spaces")]) -> str:
    """The query normalised: control, format and separator characters become spaces, runs of spaces one; a query
    with nothing else is refused (422 `empty_query`) before any model sees it."""
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in q)
    text = " ".join(text.split())
    if not text:
        raise QueryError("empty_query", "the search query is empty")
    return text


SearchText = Annotated[str, Depends(_search_text)]


# -- what the lifespan built ----------------------------------------------------------------------
async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _api(request: Request) -> ApiOptions:
    return request.app.state.api


async def _store(request: Request) -> ThreadLocalStore:
    return request.app.state.store


async def _recommender(request: Request) -> Recommender:
    return request.app.state.recommender


async def _pool(request: Request) -> WorkerPool:
    return request.app.state.pool


async def _jobs(request: Request) -> JobRegistry:
    return request.app.state.jobs


async def _metrics(request: Request) -> Metrics:
    return request.app.state.metrics


async def _ingest(request: Request) -> Ingest:
    return request.app.state.ingest


async def _moments(request: Request) -> MomentSearch:
    return request.app.state.moments


SettingsDep = Annotated[Settings, Depends(_settings)]
ApiDep = Annotated[ApiOptions, Depends(_api)]
StoreDep = Annotated[ThreadLocalStore, Depends(_store)]
RecommenderDep = Annotated[Recommender, Depends(_recommender)]
PoolDep = Annotated[WorkerPool, Depends(_pool)]
JobsDep = Annotated[JobRegistry, Depends(_jobs)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]
IngestDep = Annotated[Ingest, Depends(_ingest)]
MomentsDep = Annotated[MomentSearch, Depends(_moments)]


# -- checks ---------------------------------------------------------------------------------------
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="an admin key: write endpoints, and every user's data")
user_token = HTTPBearer(auto_error=False, description="a user token (`POST /users/{user_id}/token`): that user's "
                                                      "own data only")


async def require_api_key(api: ApiDep, key: Annotated[str | None, Security(api_key_header)]) -> None:
    """Write endpoints need one of the configured keys (compared in constant time); none configured: refused."""
    if not api.api_keys:
        raise AuthError("unauthorized", "write endpoints are disabled until an API key is configured "
                                        "(set REELSENSE_API_KEYS)")
    if not is_admin_key(api, key):
        raise AuthError("unauthorized", "a valid X-API-Key header is required for this endpoint")


async def require_user_access(user_id: UserId, api: ApiDep,
                              key: Annotated[str | None, Security(api_key_header)],
                              bearer: Annotated[HTTPAuthorizationCredentials | None, Security(user_token)]) -> None:
    """A user's own data (profile, feed, interests, settings, history) needs an admin key or that user's token."""
    check_user_access(api, user_id, key, bearer.credentials if bearer else None)


RequireUserAccess = Depends(require_user_access)
RequireApiKey = Depends(require_api_key)


def _known_video(video_id: VideoId, store: StoreDep) -> VideoRecord:
    record = store.get(video_id)
    if record is None:
        raise NotFoundError("video_not_found", f"no video with id {video_id}")
    return record


KnownVideo = Annotated[VideoRecord, Depends(_known_video)]
