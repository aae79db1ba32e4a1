"""The HTTP API: `create_app` builds the FastAPI app (see `service.api.app`). Nothing outside HTTP lives here: the
analysis workers the upload path hands files to are service.pipeline.workers."""
from __future__ import annotations

from service.api.app import create_app

__all__ = ["create_app"]
