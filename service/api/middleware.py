"""ASGI middleware: a byte limit on request bodies (uploads have their own, streamed), and request metrics."""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from service.api.handlers import error_response
from service.api.metrics import Metrics
from service.errors import RequestError

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
UPLOAD_ROUTE = ("POST", "/videos")  # streamed and limited by service.api.uploads instead


class BodyLimitMiddleware:
    """Read non-upload request bodies up to `max_bytes`, counted as they arrive (Content-Length is not trusted),
    and answer 413 past it; within the limit the body is replayed to the app."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) == UPLOAD_ROUTE:
            return await self.app(scope, receive, send)
        chunks, total, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay([message]), send)
            total += len(message.get("body", b""))
            if total > self.max_bytes:
                error = RequestError("too_large", f"the request body exceeds {self.max_bytes} bytes")
                return await error_response(error)(scope, receive, send)
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    """An ASGI receive that yields the buffered messages, then defers to the real one (for disconnects)."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


class RequestMetricsMiddleware:
    """Count requests by method, route template (not the raw path: ids would explode the label set) and status,
    and time them."""

    def __init__(self, app, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500  # unless the app starts a response

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")  # set in this scope by the router
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - started)
