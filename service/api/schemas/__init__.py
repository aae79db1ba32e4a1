"""Request and response bodies of the HTTP API, with examples: the contract the OpenAPI document publishes. One
module per resource, as in routes/ (base.py: what they share; errors.py: the one error body).

Response models mirror the JSON the routes have always returned, field for field; the parts whose keys depend
on the models and signals in use (a video's per-modality stats, a ranked item's explanation, stated interests)
stay free-form objects. Every error answer is an `ErrorBody`; `error_responses` documents them per route.
"""
from __future__ import annotations

from service.api.schemas.base import VIDEO_ID, VIDEO_ID_EXAMPLE, RankedVideo, ResponseModel
from service.api.schemas.errors import ErrorBody, ErrorDetail, error_responses
from service.api.schemas.health import Health, Ready
from service.api.schemas.jobs import JobView
from service.api.schemas.moments import MomentView, VideoMoments
from service.api.schemas.preferences import ContentSettings, ContentSettingsIn
from service.api.schemas.search import SearchHit, SearchResults
from service.api.schemas.sounds import SameSound, SameSoundVideo, TrendingSound, TrendingSounds
from service.api.schemas.users import (
    EventBatch,
    EventIn,
    EventsAccepted,
    HistoryCleared,
    InterestsIn,
    Profile,
    Recommendations,
    TagWeight,
    UserErased,
    UserToken,
)
from service.api.schemas.videos import (
    FrameView,
    JobAccepted,
    SimilarVideos,
    SoundLink,
    TagView,
    UploadResult,
    VideoDeleted,
    VideoView,
    frame_url,
)
from service.recommend.events import USER_ID

__all__ = [
    "USER_ID", "VIDEO_ID", "VIDEO_ID_EXAMPLE", "ContentSettings", "ContentSettingsIn", "ErrorBody", "ErrorDetail",
    "EventBatch", "EventIn", "EventsAccepted", "FrameView", "Health", "HistoryCleared", "InterestsIn", "JobAccepted",
    "JobView", "MomentView", "Profile", "RankedVideo", "Ready", "Recommendations", "ResponseModel", "SameSound",
    "SameSoundVideo", "SearchHit", "SearchResults", "SimilarVideos", "SoundLink", "TagView", "TagWeight",
    "TrendingSound", "TrendingSounds", "UploadResult", "UserErased", "UserToken", "VideoDeleted", "VideoMoments",
    "VideoView", "error_responses", "frame_url",
]
