"""The web page at `/`: static HTML, CSS and JavaScript shipped in the package (service/api/static), no build step.

The page calls the same HTTP API as any client; it is left out of the OpenAPI document.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def index_page() -> FileResponse:
    """The page; `no-cache` makes the browser ask again after an upgrade instead of running stale JavaScript."""
    return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


class RevalidatedStaticFiles(StaticFiles):
    """Static files the browser revalidates on each load (ETag), for the same reason as the page."""

    def file_response(self, *args, **kwargs) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def mount_static(app: FastAPI) -> None:
    """Serve the page's assets at /static."""
    app.mount("/static", RevalidatedStaticFiles(directory=STATIC_DIR), name="static")
