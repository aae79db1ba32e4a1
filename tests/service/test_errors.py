"""Every error code maps to one HTTP status and one CLI exit code, decided by its class (the contract)."""
from __future__ import annotations

import pytest

from extractors.errors import MediaError, ModelUnavailableError, ReelsenseError, TopicError
from service.errors import (
    AuthError,
    CommandError,
    ConfigError,
    EventError,
    InternalError,
    NotFoundError,
    QueryError,
    RequestError,
    SpaceMismatchError,
    UploadError,
    WorkerError,
)

CONTRACT = [
    # (error, HTTP status, CLI exit code)
    (MediaError("not_found", "x"), 404, 1),
    (MediaError("empty_file", "x"), 422, 1),
    (MediaError("not_media", "x"), 415, 1),
    (MediaError("no_video_stream", "x"), 422, 1),
    (MediaError("corrupt", "x"), 422, 1),
    (MediaError("unsupported_codec", "x"), 415, 1),
    (MediaError("too_large", "x"), 413, 1),
    (MediaError("too_long", "x"), 422, 1),
    (MediaError("resolution_too_high", "x"), 422, 1),
    (MediaError("unreadable", "x"), 422, 1),
    (ModelUnavailableError("REELSENSE_CLIP_PRETRAINED", "x"), 503, 3),
    (TopicError("not_fitted", "x"), 409, 1),
    (TopicError("too_few_documents", "x"), 422, 1),
    (TopicError("unreadable", "x"), 503, 1),
    (EventError("unknown_video", "x", index=3), 422, 1),
    (EventError("bad_completion", "x"), 422, 1),
    (QueryError("empty_query", "x"), 422, 1),
    (QueryError("bad_diversity", "x"), 422, 1),
    (QueryError("not_indexed", "x"), 409, 1),
    (QueryError("not_enough_events", "x"), 409, 1),
    (QueryError("no_text_model", "x"), 503, 1),
    (NotFoundError("video_not_found", "x"), 404, 1),
    (NotFoundError("job_not_found", "x"), 404, 1),
    (SpaceMismatchError("x"), 409, 4),
    (UploadError("not_multipart", "x"), 415, 1),
    (UploadError("unsupported_format", "x"), 415, 1),
    (UploadError("too_large", "x"), 413, 1),
    (UploadError("bad_multipart", "x"), 400, 1),
    (UploadError("missing_file", "x"), 422, 1),
    (UploadError("empty_file", "x"), 422, 1),
    (UploadError("field_too_large", "x"), 413, 1),
    (UploadError("too_many_files", "x"), 422, 1),
    (WorkerError("busy", "x"), 503, 5),
    (WorkerError("timeout", "x"), 504, 5),
    (WorkerError("decoder_crashed", "x"), 422, 5),
    (WorkerError("unavailable", "x"), 503, 5),
    (WorkerError("not_ready", "x"), 503, 5),
    (WorkerError("queue_full", "x"), 503, 5),
    (AuthError("unauthorized", "x"), 401, 3),
    (AuthError("forbidden", "x"), 403, 3),
    (RequestError("rate_limited", "x"), 429, 1),
    (RequestError("tokens_disabled", "x"), 404, 1),
    (RequestError("invalid_request", "x"), 422, 1),
    (RequestError("too_many_events", "x"), 413, 1),
    (RequestError("method_not_allowed", "x"), 405, 1),
    (RequestError("not_found", "x"), 404, 1),
    (RequestError("too_large", "x"), 413, 1),
    (RequestError("bad_request", "x"), 400, 1),
    (InternalError("internal_error", "x"), 500, 1),
    (ConfigError("invalid_setting", "x"), 500, 3),
    (CommandError("no_videos", "x"), 422, 1),
    (MediaError("decoder_crashed", "x"), 422, 1),
    (MediaError("file_timeout", "x"), 422, 1),
    (MediaError("too_many_streams", "x"), 422, 1),
    (MediaError("extreme_aspect_ratio", "x"), 422, 1),
    (MediaError("too_many_frames", "x"), 422, 1),
    (MediaError("out_of_memory", "x"), 422, 1),
    (MediaError("analysis_failed", "x"), 422, 1),
    (MediaError("sidecar_invalid", "x"), 422, 1),
]


@pytest.mark.parametrize(("error", "status", "exit_code"), CONTRACT, ids=lambda v: getattr(v, "code", str(v)))
def test_error_code_maps_to_status_and_exit_code(error, status, exit_code):
    assert isinstance(error, ReelsenseError)
    assert (error.http_status, error.exit_code) == (status, exit_code)


def test_error_body_carries_code_message_and_details():
    error = EventError("bad_completion", "completion must be in [0, 1]", index=2)
    assert error.to_dict() == {"code": "bad_completion", "message": "completion must be in [0, 1]", "index": 2}


def test_every_declared_code_is_in_the_contract():
    """A new code must be added to CONTRACT (and so decided on) before it ships."""
    covered = {(type(e), e.code) for e, _, _ in CONTRACT}
    declared = {(cls, code) for cls in _subclasses(ReelsenseError) for code in cls.http_statuses}
    assert declared - covered == set()


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_errors_cross_process_boundaries_intact():
    """Batch workers hand errors back pickled; every class keeps its type, code, message and details."""
    import pickle

    for error in (MediaError("corrupt", "bad file", at=3), ModelUnavailableError("REELSENSE_X", "missing")):
        copy = pickle.loads(pickle.dumps(error))
        assert (type(copy), copy.code, copy.message, copy.details, str(copy)) == (
            type(error), error.code, error.message, error.details, str(error))


def test_space_mismatch_has_one_class():
    """A store write and a search both refuse another embedding space with the same class (one exit code)."""
    assert {type(e) for e, _, _ in CONTRACT if e.code == "space_mismatch"} == {SpaceMismatchError}
    assert "space_mismatch" not in QueryError.http_statuses
