"""The one exception root of reelsense, and the errors the extractors raise.

Every error the project raises on purpose is a `ReelsenseError`: a stable `code` (part of the public
contract: CLI output, HTTP error bodies; never renamed), a human `message`, and optional `details`
(e.g. the index of a bad event in a batch). Each class declares which HTTP status and CLI exit code its
codes map to, so the API's one exception handler and the CLI's one error handler just read them.
"""
from __future__ import annotations

from typing import Any, ClassVar

# CLI exit codes: 1 bad input, 2 usage (argparse's own), 3 a model or setting is unavailable,
# 4 a conflict with the store's state, 5 a temporary condition worth retrying.
EXIT_BAD_INPUT = 1
EXIT_UNAVAILABLE = 3
EXIT_CONFLICT = 4
EXIT_RETRY = 5


class ReelsenseError(Exception):
    """Root of every deliberate error: `code` (stable), `message` (for people), `details` (JSON-ready)."""

    http_status_default: ClassVar[int] = 400
    http_statuses: ClassVar[dict[str, int]] = {}  # code -> HTTP status, where it differs from the default
    exit_code: ClassVar[int] = EXIT_BAD_INPUT

    def __init__(self, code: str, message: str, **details: Any):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details

    @property
    def http_status(self) -> int:
        return self.http_statuses.get(self.code, self.http_status_default)

    def to_dict(self) -> dict[str, Any]:
        """The body of `{"error": ...}` in HTTP answers and in the CLI's JSON output."""
        return {"code": self.code, "message": self.message, **self.details}

    def __reduce__(self):
        """Pickle by state, whatever the subclass's constructor takes (errors cross process pools)."""
        return _restore_error, (type(self), self.args, self.__dict__)


def _restore_error(cls: type[ReelsenseError], args: tuple, state: dict[str, Any]) -> ReelsenseError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class MediaError(ReelsenseError):
    """A file we cannot or will not decode."""

    http_status_default = 422
    http_statuses: ClassVar[dict[str, int]] = {
        "not_found": 404,
        "empty_file": 422,
        "not_media": 415,
        "no_video_stream": 422,
        "corrupt": 422,
        "unsupported_codec": 415,
        "too_large": 413,
        "too_long": 422,
        "resolution_too_high": 422,
        "unreadable": 422,
        "decoder_crashed": 422,  # batch runs: the worker process decoding the file died (pipeline/runner.py)
        "file_timeout": 422,  # batch runs: the file's CPU stage overran REELSENSE_FILE_TIMEOUT_S; its worker stopped
        "too_many_streams": 422,
        "extreme_aspect_ratio": 422,
        "too_many_frames": 422,  # more frames or pixels decoded than the limits allow (media/budget.py)
        "out_of_memory": 422,  # batch runs: analysing the file exhausted memory (pipeline/failures.py)
        "analysis_failed": 422,  # batch runs: an unexpected error while analysing this one file
        "sidecar_invalid": 422,  # a NAME.json that was ignored (a warning: the video is embedded without it)
    }


class ModelUnavailableError(ReelsenseError):
    """Configured weights cannot be loaded here; the message names the setting to change."""

    http_status_default = 503
    exit_code = EXIT_UNAVAILABLE

    def __init__(self, setting: str, message: str):
        super().__init__("model_unavailable", f"{message} (setting: {setting})", setting=setting)
        self.setting = setting


class TopicError(ReelsenseError):
    """Fitting, saving or loading the LDA topic model failed; `not_fitted` means none was fitted yet."""

    http_status_default = 422
    http_statuses: ClassVar[dict[str, int]] = {"not_fitted": 409, "unreadable": 503}
