"""The HTTP API: `create_app` builds the FastAPI app (see `service.api.app`).

`create_app` is imported on first use rather than here, so that importing a submodule alone (the analysis
worker processes import `service.api.workers`) does not load FastAPI and every route.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from service.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
