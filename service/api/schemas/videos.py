"""Videos: a stored video with its frames and sound, an upload's result or job, a deletion, similar videos."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from extractors.text.extractor import TOPICS_UNAVAILABLE
from service.api.schemas.base import RANKED_EXAMPLE, VIDEO_ID_EXAMPLE, RankedVideo, ResponseModel, with_examples
from service.records import VideoRecord


def public_stats(stats: dict[str, dict]) -> dict[str, dict]:
    """Stats as a public read shows them: records stored before topic reasons were put in words carry the topic
    folder's path in `topics_reason` ("no topic model in /srv/...; ..."); those read as words."""
    text = stats.get("text") or {}
    reason = text.get("topics_reason")
    if isinstance(reason, str) and "/" in reason:
        fitted = reason.startswith("no topic model in ")
        text = {**text, "topics_reason": TOPICS_UNAVAILABLE["not_fitted" if fitted else "unreadable"]}
        return {**stats, "text": text}
    return stats


class TagView(ResponseModel):
    label: str
    score: float = Field(description="in [0, 1]")
    source: str = Field(description="hashtag, title, topic, visual, ocr, audio, ...")


class FrameView(ResponseModel):
    """One sampled frame: where it is in the video, which shot it belongs to, and its thumbnail."""

    model_config = with_examples({"index": 0, "time_s": 0.5, "shot": 0, "width": 160, "height": 90,
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

    model_config = with_examples({"sound_id": VIDEO_ID_EXAMPLE[:16], "offset_s": 12.5,
                              "matched_video_id": VIDEO_ID_EXAMPLE})
    sound_id: str = Field(description="shared by every video using this sound (the first one's id, 16 hex)")
    offset_s: float = Field(description="where this video's audio starts in the sound's first video, in seconds")
    matched_video_id: str | None = Field(description="the stored video whose audio it matched (null: first use)")


class VideoView(ResponseModel):
    """A stored video: tags, per-modality weights, confidence and stats, and its embedding-space id."""

    model_config = with_examples(VIDEO_EXAMPLE)
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
        view["stats"] = public_stats(view["stats"])
        frames = [FrameView(index=f.index, time_s=f.time_s, shot=record.shot_of(f.time_s), width=f.width,
                            height=f.height, url=frame_url(record.id, f.index)) for f in record.frames]
        return cls(**view, description=record.description, hashtags=record.hashtags, creator=record.creator,
                   created_at=record.created_at, frames=frames, shot_starts=record.shot_starts, **extra)


class UploadResult(VideoView):
    model_config = with_examples({**VIDEO_EXAMPLE, "created": True})
    created: bool = Field(description="false: the same content was already stored (or being stored)")


class JobAccepted(ResponseModel):
    model_config = with_examples({"job_id": "a1b2c3d4e5f60718", "status": "queued", "video_id": VIDEO_ID_EXAMPLE,
                              "location": "/jobs/a1b2c3d4e5f60718"})
    job_id: str
    status: str
    video_id: str
    location: str = Field(description="poll this path for the result")




class VideoDeleted(ResponseModel):
    model_config = with_examples({"id": VIDEO_ID_EXAMPLE, "deleted": True})
    id: str
    deleted: bool


class SimilarVideos(ResponseModel):
    model_config = with_examples({"video_id": VIDEO_ID_EXAMPLE, "items": RANKED_EXAMPLE})
    video_id: str
    items: list[RankedVideo]
