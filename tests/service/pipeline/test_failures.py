"""One per-file failure type: what an analysis worker replies for a failed upload, and the error the server raises
from it, keep the code, the HTTP status and the exit code the error had where it was raised."""
from __future__ import annotations

import pickle

import pytest

from extractors.errors import MediaError, ModelUnavailableError
from service.errors import WorkerError
from service.pipeline.failures import FileFailure
from service.pipeline.workers import failure_reply

UPLOAD = "/srv/data/uploads/.incoming/upload-4242-abcd.part"


@pytest.mark.parametrize("raised, kind, code, status", [
    (MediaError("not_media", "upload-4242-abcd.part is not a video file"), MediaError, "not_media", 415),
    (ModelUnavailableError("REELSENSE_CLIP_MODEL", "no weights"), WorkerError, "model_unavailable", 422),
    (TypeError("'NoneType' object is not iterable"), WorkerError, "analysis_failed", 422),
])
def test_a_worker_reply_raises_the_error_of_its_kind_again(raised, kind, code, status):
    failure = pickle.loads(pickle.dumps(failure_reply(UPLOAD, raised)))  # it crosses the worker's pipe pickled
    error = failure.error()
    assert (type(error), error.code, error.http_status) == (kind, code, status)
    assert "upload-4242" not in error.message  # the client never sees the server's temporary file name


def test_a_media_failure_names_the_upload_not_the_temporary_file():
    failure = failure_reply(UPLOAD, MediaError("not_media", "upload-4242-abcd.part is not a video file"))
    assert failure.message == "the upload is not a video file"


def test_a_failure_row_has_the_errors_file_keys():
    failure = FileFailure.of("s3://bucket/a.mp4", MediaError("corrupt", "a.mp4 cannot be read"), "ab" * 32)
    assert failure.row() == {"path": "s3://bucket/a.mp4", "id": "ab" * 32, "code": "corrupt",
                             "message": "a.mp4 cannot be read"}
    assert not failure.worker and type(failure.error()) is MediaError
