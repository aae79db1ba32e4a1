"""The one error body (`{"error": {"code", "message"}}`) and the error statuses each route documents."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.api.schemas.base import VIDEO_ID_EXAMPLE, ResponseModel, with_examples


class ErrorDetail(BaseModel):
    """A stable `code` for programs and a `message` for people; some codes add details (e.g. `index`)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={
        "examples": [{"code": "bad_completion", "message": "event 1: completion must be in [0, 1]", "index": 1}]})
    code: str = Field(description="stable machine-readable code, never renamed")
    message: str = Field(description="what went wrong, for people")


class ErrorBody(ResponseModel):
    model_config = with_examples({"error": {"code": "video_not_found",
                                            "message": f"no video with id {VIDEO_ID_EXAMPLE}"}})
    error: ErrorDetail


ERROR_STATUSES: dict[int, tuple[str, str]] = {  # status -> (description, a typical code)
    400: ("the multipart body could not be parsed", "bad_multipart"),
    401: ("no valid credential: an admin X-API-Key, or for a user's data also that user's token", "unauthorized"),
    403: ("a user token used for another user's data", "forbidden"),
    404: ("no such video, frame or job, or a feature this server has turned off (`tokens_disabled`)",
          "video_not_found"),
    409: ("conflicts with the store's state: another embedding space, or not yet in the index", "not_indexed"),
    413: ("body, form field or file over its size limit, or too many events", "too_large"),
    415: ("not multipart, or not an accepted video container or codec", "unsupported_format"),
    422: ("invalid parameters, body, event or media content", "invalid_request"),
    429: ("too many requests for this key, token or address: retry after `Retry-After` seconds", "rate_limited"),
    503: ("not ready, analysis queue full (see Retry-After), or a model is missing: retry later or fix the settings",
          "busy"),
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
