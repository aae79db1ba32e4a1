"""One file's failure, whatever raised it, as the stable error of that file alone, and the one shape it has
wherever it goes (`FileFailure`).

A batch must outlive any one file: a deliberate MediaError keeps its code; an unreadable file, a file that
exhausts memory or recursion, and any unexpected exception become a MediaError with a stable code, so the
file gets its error row and the run goes on. Other ReelsenseErrors (a model or setting that is unavailable)
concern every file and still stop the run.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from extractors.errors import MediaError, ReelsenseError
from service.errors import WorkerError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileFailure:
    """One file that was not embedded, the same in every engine and on every wire: a local batch's report, a Ray
    run's report and `_errors.jsonl` (its actors' rows carry the same code and message), and an analysis worker's
    reply to the server. `worker`: the worker failed (a model, its memory cap, a bug), not the file's content;
    raised again as a WorkerError, else as a MediaError."""

    path: Path | str  # a local path, or the URI a Ray run read
    code: str
    message: str
    video_id: str | None = None
    worker: bool = False

    @classmethod
    def of(cls, path: Path | str, error: ReelsenseError, video_id: str | None = None) -> FileFailure:
        return cls(path, error.code, error.message, video_id, isinstance(error, WorkerError))

    def error(self) -> ReelsenseError:
        """The error to raise for it where the file's caller waits (the server's upload path)."""
        return (WorkerError if self.worker else MediaError)(self.code, self.message)

    def row(self) -> dict[str, str | None]:
        """Its line of `_errors.jsonl`."""
        return {"path": str(self.path), "id": self.video_id, "code": self.code, "message": self.message}


def file_error(path: Path, exc: BaseException) -> MediaError:
    """The error row for `path` that `exc` stands for; raises `exc` again when it is not about this file."""
    name = Path(path).name
    if isinstance(exc, MediaError):
        return exc
    if isinstance(exc, ReelsenseError) or not isinstance(exc, Exception):
        raise exc
    if isinstance(exc, OSError):
        return MediaError("unreadable", f"{name} cannot be read ({exc.strerror or type(exc).__name__})")
    if isinstance(exc, MemoryError):
        return MediaError("out_of_memory", f"analysing {name} needed more memory than is available")
    if isinstance(exc, RecursionError):
        return MediaError("analysis_failed", f"analysing {name} went too deep (RecursionError)")
    log.error("analysing %s failed unexpectedly", path, exc_info=exc)
    return MediaError("analysis_failed", f"analysing {name} failed ({type(exc).__name__}: {str(exc)[:200]})")
