"""Videos: upload (tagged in a worker, or queued as a job), read, delete, and the videos most like one."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from service.api.answers import Explain, FastJSON
from service.api.deps import IngestDep, KnownVideo, RecommenderDep, RequireApiKey, StoreDep, VideoId
from service.api.schemas import (
    JobAccepted,
    SameSound,
    SameSoundVideo,
    SimilarVideos,
    UploadResult,
    VideoDeleted,
    VideoView,
    error_responses,
)
from service.errors import NotFoundError

router = APIRouter(prefix="/videos", tags=["videos"])

UPLOAD_FORM: dict[str, Any] = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "MP4/MOV, Matroska/WebM or AVI"},
        "title": {"type": "string", "example": "Creamy garlic pasta in 10 minutes"},
        "description": {"type": "string"},
        "hashtags": {"type": "string", "example": "#food #pasta"},
        "creator": {"type": "string"}}}}}}}
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": UploadResult, "description": "the same content was already stored"},
    202: {"model": JobAccepted, "description": "large file (or mode=async): queued as a job, poll `location`"},
    **error_responses(400, 401, 409, 413, 415, 422, 503, 504, codes={409: "space_mismatch", 422: "corrupt"}),
}
Mode = Annotated[str, Query(pattern="^(auto|sync|async)$", description="async: always answer 202 with a job; "
                                                                        "auto: only for files over the async size")]
Top = Annotated[int, Query(ge=1, le=100, description="how many tags")]
K = Annotated[int, Query(ge=1, le=100)]
FrameIndex = Annotated[int, Path(ge=0, le=100_000, description="the frame's `index` in the video's `frames`")]
JPEG_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"description": "the thumbnail", "content": {
    "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}}


@router.post("", status_code=201, response_model=UploadResult, dependencies=[RequireApiKey],
             openapi_extra=UPLOAD_FORM, responses=UPLOAD_RESPONSES, response_description="analysed and stored")
async def upload_video(request: Request, response: Response, ingest: IngestDep,
                       mode: Mode = "auto") -> UploadResult | JSONResponse:
    """Upload a video (multipart `file` plus optional title, description, hashtags, creator) and get its tags."""
    upload = await ingest.receive(request)
    if mode == "async" or (mode == "auto" and ingest.is_large(upload)):
        job = ingest.start_job(upload)
        location = f"/jobs/{job.id}"
        accepted = JobAccepted(job_id=job.id, status=job.status, video_id=upload.sha256, location=location)
        return JSONResponse(accepted.model_dump(), 202, headers={"Location": location})
    result = await ingest.analyse(upload)
    response.status_code = 201 if result.created else 200
    return result


@router.get("/{video_id}", responses=error_responses(404, 422))
async def get_video(video: KnownVideo, top: Top = 12) -> VideoView:
    """A stored video's tags, stats, modality weights and embedding-space id."""
    return VideoView.from_record(video, top)


@router.delete("/{video_id}", dependencies=[RequireApiKey], responses=error_responses(401, 404, 422))
def delete_video(video_id: VideoId, store: StoreDep, recommender: RecommenderDep) -> VideoDeleted:
    """Remove a video from the store and the index."""
    if not store.delete(video_id):
        raise NotFoundError("video_not_found", f"no video with id {video_id}")
    recommender.video_deleted(video_id)
    return VideoDeleted(id=video_id, deleted=True)


@router.get("/{video_id}/similar", response_model=SimilarVideos, responses=error_responses(404, 409, 422))
def similar_videos(video: KnownVideo, recommender: RecommenderDep, k: K = 10, explain: Explain = "brief") -> FastJSON:
    """Nearest videos by fused-vector cosine, with per-modality contributions. 409 `not_indexed`: stored, but
    not yet in the index (try again shortly)."""
    return FastJSON({"video_id": video.id, "items": recommender.similar(video.id, k, explain)})


@router.get("/{video_id}/frames/{index}.jpg", response_class=Response,
            responses={**JPEG_RESPONSE, **error_responses(404, 422, codes={404: "frame_not_found"})})
def frame_thumbnail(video_id: VideoId, index: FrameIndex, store: StoreDep) -> Response:
    """A small JPEG of one sampled frame (stored at analysis time), as listed in the video's `frames`."""
    jpeg = store.frame_jpeg(video_id, index)
    if jpeg is None:
        if not store.has(video_id):
            raise NotFoundError("video_not_found", f"no video with id {video_id}")
        raise NotFoundError("frame_not_found", f"video {video_id} has no sampled frame {index}")
    # the same id and index name the same picture until a re-index, so browsers may keep it a while
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/{video_id}/same-sound", responses=error_responses(404, 422))
def same_sound(video: KnownVideo, store: StoreDep, k: K = 20) -> SameSound:
    """Up to `k` other videos using this video's sound (newest first), each with the time offset between the two."""
    link, items = store.same_sound(video.id, k)
    return SameSound(video_id=video.id, sound_id=link["sound_id"] if link else None,
                     items=[SameSoundVideo(**item) for item in items])
