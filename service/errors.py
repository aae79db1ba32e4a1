"""The service's errors, all under the one root (`extractors.errors.ReelsenseError`).

Each class lists the codes it raises with their HTTP status; the API's exception handler and the CLI's
error handler read `http_status` and `exit_code` and decide nothing themselves.
"""
from __future__ import annotations

from typing import ClassVar

from extractors.errors import EXIT_CONFLICT, EXIT_RETRY, EXIT_UNAVAILABLE, ReelsenseError


class EventError(ReelsenseError):
    """A bad event in a batch; `details["index"]` is its position in the batch."""

    http_status_default = 422

    def __init__(self, code: str, message: str, index: int = 0):
        super().__init__(code, message, index=index)
        self.index = index


class QueryError(ReelsenseError):
    """A request the recommender cannot answer as asked (bad parameter, missing model, too little data)."""

    http_status_default = 422
    http_statuses: ClassVar[dict[str, int]] = {
        "no_text_model": 503,
        "not_enough_events": 409,
        "not_indexed": 409,
    }


class NotFoundError(ReelsenseError):
    """An id that names nothing stored (video, job)."""

    http_status_default = 404


class SpaceMismatchError(ReelsenseError):
    """Vectors of another embedding space than the store's: never mixed, re-index instead. The one class of the
    code `space_mismatch`, whether a write brings such vectors or a query's encoder does not match the store's."""

    http_status_default = 409
    exit_code = EXIT_CONFLICT

    def __init__(self, message: str):
        super().__init__("space_mismatch", message)


class UploadError(ReelsenseError):
    """An HTTP upload refused while it streams in (limits, multipart shape, container sniffing)."""

    http_status_default = 422
    http_statuses: ClassVar[dict[str, int]] = {
        "not_multipart": 415,
        "unsupported_format": 415,
        "too_large": 413,
        "field_too_large": 413,
        "bad_multipart": 400,
        "too_many_files": 422,
        "missing_file": 422,
        "empty_file": 422,
    }


class WorkerError(ReelsenseError):
    """A job that failed in, or because of, an analysis worker process."""

    http_status_default = 422
    http_statuses: ClassVar[dict[str, int]] = {"busy": 503, "timeout": 504, "unavailable": 503, "not_ready": 503,
                                               "queue_full": 503}
    exit_code = EXIT_RETRY


class AuthError(ReelsenseError):
    """Missing or wrong credentials (401), or a user token used for another user's data (403)."""

    http_status_default = 401
    http_statuses: ClassVar[dict[str, int]] = {"forbidden": 403}
    exit_code = EXIT_UNAVAILABLE


class RequestError(ReelsenseError):
    """A request malformed at the HTTP level (validation, size, method)."""

    http_status_default = 422
    http_statuses: ClassVar[dict[str, int]] = {
        "too_large": 413,
        "too_many_events": 413,
        "bad_request": 400,
        "not_found": 404,
        "method_not_allowed": 405,
        "rate_limited": 429,
        "tokens_disabled": 404,  # a feature this server has off: retrying never helps, so no 5xx
    }


class ConfigError(ReelsenseError):
    """A setting with an invalid value (the message names the REELSENSE_* variable)."""

    http_status_default = 500
    exit_code = EXIT_UNAVAILABLE


class CommandError(ReelsenseError):
    """A command that cannot run as asked (no such folder, no store yet, files gone for a re-index)."""

    http_status_default = 422


class StoreBusyError(ReelsenseError):
    """The store stayed locked by other writers for the whole busy timeout (REELSENSE_DATABASE_BUSY_TIMEOUT_S): a
    passing state, so 503 `store_busy` with Retry-After, never a 500; nothing of the request was written."""

    http_status_default = 503
    exit_code = EXIT_RETRY

    def __init__(self, code: str = "store_busy",
                 message: str = "the store is busy with other writes: retry in a second"):
        super().__init__(code, message, retry_after_s=1)


class InternalError(ReelsenseError):
    """A failure of the server itself (a bug, an unexpected condition), never caused by what the client sent."""

    http_status_default = 500
