"""Request and response bodies of the HTTP API, with examples: the contract the OpenAPI document publishes.

Response models mirror the JSON the routes have always returned, field for field; the parts whose keys depend
on the models and signals in use (a video's per-modality stats, a ranked item's explanation, stated interests)
stay free-form objects. Every error answer is an `ErrorBody`; `error_responses` documents them per route.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.recommend.events import EVENT_TYPES
from service.records import VideoRecord

VIDEO_ID = r"^[0-9a-f]{64}$"  # SHA-256 of the file content, lower-case hex
USER_ID = r"^[A-Za-z0-9_.:@-]{1,128}$"
VIDEO_ID_EXAMPLE = "9f2c6a1e" * 8


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class ResponseModel(BaseModel):
    """A response body. Unknown fields are refused, not dropped: a field that a component starts returning
    (a record summary, a profile, a ranked item) fails the API tests until it is declared here."""

    model_config = ConfigDict(extra="forbid")


# -- errors ---------------------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    """A stable `code` for programs and a `message` for people; some codes add details (e.g. `index`)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={
        "examples": [{"code": "bad_completion", "message": "event 1: completion must be in [0, 1]", "index": 1}]})
    code: str = Field(description="stable machine-readable code, never renamed")
    message: str = Field(description="what went wrong, for people")


class ErrorBody(ResponseModel):
    model_config = _examples({"error": {"code": "video_not_found", "message": f"no video with id {VIDEO_ID_EXAMPLE}"}})
    error: ErrorDetail


ERROR_STATUSES: dict[int, tuple[str, str]] = {  # status -> (description, a typical code)
    400: ("the multipart body could not be parsed", "bad_multipart"),
    401: ("missing or wrong X-API-Key header (write endpoints)", "unauthorized"),
    404: ("no such video, frame or job", "video_not_found"),
    409: ("conflicts with the store's state: another embedding space, or not yet in the index", "not_indexed"),
    413: ("body, form field or file over its size limit, or too many events", "too_large"),
    415: ("not multipart, or not an accepted video container or codec", "unsupported_format"),
    422: ("invalid parameters, body, event or media content", "invalid_request"),
    503: ("not ready, no worker free, or a model is missing: retry later or fix the settings", "busy"),
    504: ("the analysis did not finish within the job timeout", "timeout"),
}


def error_responses(*statuses: int, codes: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the given error statuses, each an ErrorBody with a typical code as example."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description, code = ERROR_STATUSES[status]
        code = (codes or {}).get(status, code)
        example = {"error": {"code": code, "message": description}}
        responses[status] = {"model": ErrorBody, "description": description,
                             "content": {"application/json": {"example": example}}}
    return responses


# -- videos ---------------------------------------------------------------------------------------
class TagView(ResponseModel):
    label: str
    score: float = Field(description="in [0, 1]")
    source: str = Field(description="hashtag, title, topic, visual, ocr, audio, ...")


class FrameView(ResponseModel):
    """One sampled frame: where it is in the video, which shot it belongs to, and its thumbnail."""

    model_config = _examples({"index": 0, "time_s": 0.5, "shot": 0, "width": 160, "height": 90,
                              "url": f"/videos/{VIDEO_ID_EXAMPLE}/frames/0.jpg"})
    index: int = Field(description="position among the sampled frames, in time order")
    time_s: float = Field(description="seconds from the start of the video")
    shot: int = Field(description="0-based shot the frame falls in (shots begin at `shot_starts`)")
    width: int
    height: int
    url: str = Field(description="the thumbnail (JPEG), relative to the API root")


def frame_url(video_id: str, index: int) -> str:
    return f"/videos/{video_id}/frames/{index}.jpg"


VIDEO_EXAMPLE: dict[str, Any] = {
    "id": VIDEO_ID_EXAMPLE, "title": "Creamy garlic pasta in 10 minutes", "duration_s": 6.0,
    "tags": [{"label": "#pasta", "score": 1.0, "source": "hashtag"},
             {"label": "food", "score": 0.31, "source": "visual"}],
    "weights": {"text": 0.4, "visual": 0.35, "audio": 0.25}, "confidence": {"text": 0.9, "visual": 0.7, "audio": 0.5},
    "stats": {"audio": {"bpm": 118.0, "mood": "upbeat"}, "visual": {"frames": 8},
              "text": {"categories": {"food": 0.8}}},
    "vector_dim": 1184, "space_id": "text=…|visual=…|audio=…|fusion=…", "warnings": [],
    "description": "Weeknight dinner", "hashtags": ["#food", "#pasta"], "creator": "chef_anna",
    "created_at": 1767225600.0,
    "frames": [{"index": 0, "time_s": 0.5, "shot": 0, "width": 160, "height": 90,
                "url": f"/videos/{VIDEO_ID_EXAMPLE}/frames/0.jpg"}],
    "shot_starts": [0.0],
    "sound": {"sound_id": VIDEO_ID_EXAMPLE[:16], "offset_s": 0.0, "matched_video_id": None}, "duplicate_of": None,
}


class SoundLink(ResponseModel):
    """The sound a video uses: the first stored video with that sound defines its id."""

    model_config = _examples({"sound_id": VIDEO_ID_EXAMPLE[:16], "offset_s": 12.5,
                              "matched_video_id": VIDEO_ID_EXAMPLE})
    sound_id: str = Field(description="shared by every video using this sound (the first one's id, 16 hex)")
    offset_s: float = Field(description="where this video's audio starts in the sound's first video, in seconds")
    matched_video_id: str | None = Field(description="the stored video whose audio it matched (null: first use)")


class VideoView(ResponseModel):
    """A stored video: tags, per-modality weights, confidence and stats, and its embedding-space id."""

    model_config = _examples(VIDEO_EXAMPLE)
    id: str = Field(description="SHA-256 of the file content")
    title: str
    duration_s: float
    tags: list[TagView] = Field(description="strongest first")
    weights: dict[str, float] = Field(description="fusion weight per modality")
    confidence: dict[str, float] = Field(description="how informative each modality is, in [0, 1]")
    stats: dict[str, Any] = Field(description="named measurements per modality")
    vector_dim: int
    space_id: str = Field(description="embedding space: models, versions and fusion settings")
    warnings: list[str]
    description: str
    hashtags: list[str]
    creator: str
    created_at: float = Field(description="Unix seconds")
    frames: list[FrameView] = Field(description="the sampled frames in time order, each with a thumbnail URL")
    shot_starts: list[float] = Field(description="seconds where each detected shot begins (hard cuts)")
    sound: SoundLink | None = Field(None, description="null: no usable audio (none, silent, under a second)")
    duplicate_of: str | None = Field(None, description="the stored original this video re-uploads (re-encoded, "
                                                       "rescaled, letterboxed or trimmed); null: none found")

    @classmethod
    def from_record(cls, record: VideoRecord, top: int = 12, **extra: Any):
        """The view of a record: its summary without the server-side path, plus its metadata and frames."""
        view = record.summary(top=top)
        view.pop("path", None)
        frames = [FrameView(index=f.index, time_s=f.time_s, shot=record.shot_of(f.time_s), width=f.width,
                            height=f.height, url=frame_url(record.id, f.index)) for f in record.frames]
        return cls(**view, description=record.description, hashtags=record.hashtags, creator=record.creator,
                   created_at=record.created_at, frames=frames, shot_starts=record.shot_starts, **extra)


class UploadResult(VideoView):
    model_config = _examples({**VIDEO_EXAMPLE, "created": True})
    created: bool = Field(description="false: the same content was already stored (or being stored)")


class JobAccepted(ResponseModel):
    model_config = _examples({"job_id": "a1b2c3d4e5f60718", "status": "queued", "video_id": VIDEO_ID_EXAMPLE,
                              "location": "/jobs/a1b2c3d4e5f60718"})
    job_id: str
    status: str
    video_id: str
    location: str = Field(description="poll this path for the result")


class JobView(ResponseModel):
    """An upload job: queued, running, done (with the video) or failed (with the error and its HTTP status)."""

    model_config = _examples({"id": "a1b2c3d4e5f60718", "status": "done", "video_id": VIDEO_ID_EXAMPLE,
                              "created_at": 1767225600.0, "finished_at": 1767225603.2,
                              "result": {**VIDEO_EXAMPLE, "created": True}, "error": None, "http_status": 201})
    id: str
    status: str = Field(description="queued, running, done or failed")
    video_id: str | None
    created_at: float
    finished_at: float | None
    result: UploadResult | None
    error: ErrorDetail | None
    http_status: int | None = Field(description="the status the upload would have answered with")


class VideoDeleted(ResponseModel):
    model_config = _examples({"id": VIDEO_ID_EXAMPLE, "deleted": True})
    id: str
    deleted: bool


# -- ranked lists ---------------------------------------------------------------------------------
EXPLANATION_EXAMPLE = {"contributions": {"text": 0.4, "visual": 0.3, "audio": 0.13}, "matched_tags": ["food"],
                       "reason": "content", "category": "food", "negative_penalty": 0.0,
                       "signals": {"content": 0.8, "prior": 0.4, "collaborative": 1.1}, "scoring_stage": "warm"}
RANKED_EXAMPLE = [{"video_id": VIDEO_ID_EXAMPLE, "score": 0.83, "rank": 1, "explanation": EXPLANATION_EXAMPLE}]


class RankedVideo(ResponseModel):
    model_config = _examples(RANKED_EXAMPLE[0])
    video_id: str
    score: float
    rank: int = Field(description="1 for the best")
    explanation: dict[str, Any] = Field(description="per-modality contributions, matched tags, reason, category, ...")


class SimilarVideos(ResponseModel):
    model_config = _examples({"video_id": VIDEO_ID_EXAMPLE, "items": RANKED_EXAMPLE})
    video_id: str
    items: list[RankedVideo]


MOMENT_EXAMPLE = {"kind": "text", "start_s": 3.0, "end_s": 4.0, "frame_index": 3, "text": "PASTA", "score": 1.0,
                  "thumbnail_url": f"/videos/{VIDEO_ID_EXAMPLE}/frames/3.jpg"}


class MomentView(ResponseModel):
    """A time range of a video matching a query: a sampled frame, a line of on-screen text, or a run of sound."""

    model_config = _examples(MOMENT_EXAMPLE)
    kind: str = Field(description="frame (CLIP), text (on-screen), speech, music or noise")
    start_s: float
    end_s: float
    frame_index: int = Field(description="the sampled frame that shows it")
    text: str = Field(description="the words matched (on-screen text or a description of the sound); '' for frames")
    score: float = Field(description="in [0, 1]: word overlap or embedding similarity with the query")
    thumbnail_url: str = Field(description="JPEG of the frame at `frame_index`")


class SearchHit(RankedVideo):
    model_config = _examples({**RANKED_EXAMPLE[0], "moment": MOMENT_EXAMPLE})
    moment: MomentView | None = Field(description="the video's best-matching moment; null when none matches")


class SearchResults(ResponseModel):
    model_config = _examples({"query": "pasta", "items": [{**RANKED_EXAMPLE[0], "moment": MOMENT_EXAMPLE}]})
    query: str
    items: list[SearchHit]


class VideoMoments(ResponseModel):
    """One video's moments ranked against a query, best first."""

    model_config = _examples({"video_id": VIDEO_ID_EXAMPLE, "query": "pasta", "items": [MOMENT_EXAMPLE]})
    video_id: str
    query: str
    items: list[MomentView]


class Recommendations(ResponseModel):
    model_config = _examples({"user_id": "u1", "items": RANKED_EXAMPLE})
    user_id: str
    items: list[RankedVideo]


# -- sounds -------------------------------------------------------------------------------------
class SameSoundVideo(ResponseModel):
    video_id: str
    offset_s: float = Field(description="where the other video's audio starts in this video's time, in seconds "
                                        "(negative: before this video starts)")
    title: str
    creator: str
    created_at: float
    duplicate_of: str | None


class SameSound(ResponseModel):
    """The other videos using a video's sound, newest first."""

    model_config = _examples({"video_id": VIDEO_ID_EXAMPLE, "sound_id": VIDEO_ID_EXAMPLE[:16], "items": [
        {"video_id": "1b7e" * 16, "offset_s": -10.0, "title": "Dance challenge, part 2", "creator": "mia",
         "created_at": 1767225600.0, "duplicate_of": None}]})
    video_id: str
    sound_id: str | None = Field(description="null: the video has no usable audio, so no sound")
    items: list[SameSoundVideo]


class TrendingSound(ResponseModel):
    sound_id: str
    rank: int
    score: float = Field(description="uses_in_window + engagement")
    uses_in_window: int = Field(description="videos using the sound stored within the window")
    engagement: float = Field(description="signal-weighted events on the sound's videos within the window")
    events: dict[str, int] = Field(description="events within the window by type")
    videos: int = Field(description="videos using the sound, all time")
    first_video_id: str | None
    first_seen_at: float | None


class TrendingSounds(ResponseModel):
    model_config = _examples({"window_hours": 24.0, "items": [
        {"sound_id": VIDEO_ID_EXAMPLE[:16], "rank": 1, "score": 41.3, "uses_in_window": 12, "engagement": 29.3,
         "events": {"view": 120, "like": 14}, "videos": 30, "first_video_id": VIDEO_ID_EXAMPLE,
         "first_seen_at": 1767225600.0}]})
    window_hours: float
    items: list[TrendingSound]


# -- events and users -----------------------------------------------------------------------------
class EventIn(BaseModel):
    user_id: str = Field("", max_length=128)
    video_id: str = Field("", max_length=128)
    type: str = Field("", max_length=32, description=f"one of: {', '.join(EVENT_TYPES)}")
    timestamp: float | None = Field(None, description="Unix seconds; default: when the server received it")
    watch_seconds: float | None = None
    completion: float | None = Field(None, description="Fraction of the video watched, in [0, 1]")


class EventBatch(BaseModel):
    model_config = _examples({"events": [
        {"user_id": "u1", "video_id": VIDEO_ID_EXAMPLE, "type": "view", "watch_seconds": 4.2, "completion": 0.85},
        {"user_id": "u1", "video_id": VIDEO_ID_EXAMPLE, "type": "like"}]})
    events: list[EventIn] = Field(..., min_length=1, max_length=10_000)


class EventsAccepted(ResponseModel):
    model_config = _examples({"accepted": 2})
    accepted: int = Field(description="events stored (the whole batch, or an error and none)")


class InterestsIn(BaseModel):
    model_config = _examples({"text": "home cooking and quick pasta recipes", "tags": ["#food"]})
    text: str = Field("", max_length=2000)
    tags: list[str] = Field(default_factory=list, max_length=50)


class TagWeight(ResponseModel):
    label: str
    weight: float


class Profile(ResponseModel):
    """What the recommender knows about a user."""

    model_config = _examples({
        "user_id": "u1", "cold_start": False, "interest_tags": [{"label": "food", "weight": 0.6}], "negative_tags": [],
        "modality_weights": {"text": 0.4, "visual": 0.35, "audio": 0.25},
        "event_counts": {t: {"view": 3, "like": 1}.get(t, 0) for t in EVENT_TYPES},
        "engaged_videos": 2, "seen_videos": 3,
        "stated_interests": {"text": "home cooking", "tags": ["food"]}})
    user_id: str
    cold_start: bool = Field(description="true until the user has engaged with something")
    interest_tags: list[TagWeight]
    negative_tags: list[TagWeight]
    modality_weights: dict[str, float]
    event_counts: dict[str, int]
    engaged_videos: int
    seen_videos: int
    stated_interests: dict[str, Any]


class ContentSettingsIn(BaseModel):
    model_config = _examples({"show_sensitive": True})
    show_sensitive: bool = Field(description="true: the user opts in to videos flagged sensitive in their feed")


class ContentSettings(ResponseModel):
    model_config = _examples({"user_id": "u1", "show_sensitive": False})
    user_id: str
    show_sensitive: bool


class HistoryCleared(ResponseModel):
    model_config = _examples({"user_id": "u1", "history_cleared": True})
    user_id: str
    history_cleared: bool


# -- health ---------------------------------------------------------------------------------------
class Health(ResponseModel):
    model_config = _examples({"status": "ok"})
    status: str


class Ready(ResponseModel):
    model_config = _examples({"status": "ready", "workers_ready": 2, "workers": 2, "space_id": "text=…|visual=…"})
    status: str
    workers_ready: int
    workers: int
    space_id: str | None = Field(description="embedding space of the workers' models")
