"""Exception handlers: every error answer is `{"error": {"code", "message", ...}}` with its code's HTTP status.

`error_response` is the only place that turns an error into a response, and it takes the status from the
error (`ReelsenseError.http_status`). FastAPI's validation errors, Starlette's HTTP errors and unexpected
exceptions are first converted into ReelsenseErrors (`RequestError`, `InternalError`) and go the same way.
"""
from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from extractors.errors import ReelsenseError
from service.errors import InternalError, RequestError

log = logging.getLogger(__name__)

HTTP_STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
SERVER_PATH = "<server path>"


def error_response(exc: ReelsenseError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The error's body and status; an error that says when to retry (`retry_after_s`) also sets Retry-After."""
    headers = dict(headers or {})
    retry = exc.details.get("retry_after_s")
    if retry is not None:
        headers["Retry-After"] = str(max(1, math.ceil(retry)))
    return JSONResponse({"error": exc.to_dict()}, exc.http_status, headers=headers)


def server_paths(settings: object) -> list[str]:
    """The filesystem paths in the settings (data dir, store, uploads, model files), longest first: a client's
    error message never shows where the server keeps its files."""
    paths: set[str] = set()
    for value in vars(settings).values():
        if isinstance(value, Path) or (isinstance(value, str) and "/" in value):
            paths |= {str(value), str(Path(value).resolve()), str(Path(value).absolute())}
    for name in ("database", "uploads", "numba_cache", "cache", "topics_dir"):
        paths |= {str(getattr(settings, name)), str(Path(getattr(settings, name)).resolve())}
    return sorted((p for p in paths if len(p) > 1), key=len, reverse=True)


def without_paths(exc: ReelsenseError, paths: list[str]) -> ReelsenseError:
    """The error with every server path in its message replaced (the CLI shows them; HTTP clients never do)."""
    message = exc.message
    for path in paths:
        message = message.replace(path, SERVER_PATH)
    if message != exc.message:
        exc.message = message
    return exc


def validation_error(exc: RequestValidationError) -> RequestError:
    """The first problem FastAPI found, located like `query.k` or `body.events.0.type`."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return RequestError("invalid_request", f"{where}: {first.get('msg', 'invalid')}")


def http_error(exc: StarletteHTTPException) -> ReelsenseError:
    """Starlette's routing and body errors (unknown path, wrong method, unreadable body) as our codes. A body
    that cannot be decoded at all (not UTF-8) is invalid like malformed JSON: 422, not a bare 400."""
    if exc.status_code >= 500:
        return InternalError("internal_error", str(exc.detail))
    if exc.status_code == 400:
        return RequestError("invalid_request", f"body: {exc.detail}")
    return RequestError(HTTP_STATUS_CODES.get(exc.status_code, "bad_request"), str(exc.detail))


def allowed_methods(request: Request) -> str | None:
    """Every method the OpenAPI document lists at this path (Starlette names only the first matching route's);
    None for a path outside the document."""
    table = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        table = request.app.state.allowed_methods = [
            (re.compile("^" + "".join("[^/]+" if part.startswith("{") else re.escape(part)
                                      for part in re.split(r"(\{[^}]+\})", path)) + "$"),
             {method.upper() for method in item})
            for path, item in request.app.openapi()["paths"].items()]
    methods = set().union(*(m for pattern, m in table if pattern.match(request.url.path)))
    return ", ".join(sorted(methods)) if methods else None


async def _on_reelsense_error(request: Request, exc: ReelsenseError) -> JSONResponse:
    state = request.app.state
    paths = getattr(state, "server_paths", None)
    if paths is None and getattr(state, "settings", None) is not None:
        paths = state.server_paths = server_paths(state.settings)  # once per app: the settings are frozen
    return error_response(without_paths(exc, paths) if paths else exc)


async def _on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    return error_response(validation_error(exc))


async def _on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    return error_response(http_error(exc), headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(InternalError("internal_error", "the server failed to handle this request"))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ReelsenseError, _on_reelsense_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
