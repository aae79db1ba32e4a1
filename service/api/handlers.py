"""Exception handlers: every error answer is `{"error": {"code", "message", ...}}` with its code's HTTP status.

`error_response` is the only place that turns an error into a response, and it takes the status from the
error (`ReelsenseError.http_status`). FastAPI's validation errors, Starlette's HTTP errors and unexpected
exceptions are first converted into ReelsenseErrors (`RequestError`, `InternalError`) and go the same way.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from extractors.errors import ReelsenseError
from service.errors import InternalError, RequestError

log = logging.getLogger(__name__)

HTTP_STATUS_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def error_response(exc: ReelsenseError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": exc.to_dict()}, exc.http_status, headers=headers)


def validation_error(exc: RequestValidationError) -> RequestError:
    """The first problem FastAPI found, located like `query.k` or `body.events.0.type`."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return RequestError("invalid_request", f"{where}: {first.get('msg', 'invalid')}")


def http_error(exc: StarletteHTTPException) -> ReelsenseError:
    """Starlette's routing and body errors (unknown path, wrong method, unreadable body) as our codes."""
    if exc.status_code >= 500:
        return InternalError("internal_error", str(exc.detail))
    return RequestError(HTTP_STATUS_CODES.get(exc.status_code, "bad_request"), str(exc.detail))


async def _on_reelsense_error(_request: Request, exc: ReelsenseError) -> JSONResponse:
    return error_response(exc)


async def _on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    return error_response(validation_error(exc))


async def _on_http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return error_response(http_error(exc), headers=exc.headers)  # keeps e.g. the Allow header of a 405


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(InternalError("internal_error", "the server failed to handle this request"))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ReelsenseError, _on_reelsense_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
