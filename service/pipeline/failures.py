"""One file's failure, whatever raised it, as the stable error of that file alone.

A batch must outlive any one file: a deliberate MediaError keeps its code; an unreadable file, a file that
exhausts memory or recursion, and any unexpected exception become a MediaError with a stable code, so the
file gets its error row and the run goes on. Other ReelsenseErrors (a model or setting that is unavailable)
concern every file and still stop the run.
"""
from __future__ import annotations

import logging
from pathlib import Path

from extractors.errors import MediaError, ReelsenseError

log = logging.getLogger(__name__)


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
