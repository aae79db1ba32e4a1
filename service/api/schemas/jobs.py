"""Upload jobs (`GET /jobs/{id}`)."""
from __future__ import annotations

from pydantic import Field

from service.api.schemas.base import VIDEO_ID_EXAMPLE, ResponseModel, with_examples
from service.api.schemas.errors import ErrorDetail
from service.api.schemas.videos import VIDEO_EXAMPLE, UploadResult


class JobView(ResponseModel):
    """An upload job: queued, running, done (with the video) or failed (with the error and its HTTP status)."""

    model_config = with_examples({"id": "a1b2c3d4e5f60718", "status": "done", "video_id": VIDEO_ID_EXAMPLE,
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
