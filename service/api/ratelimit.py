"""Rate limiting: a token bucket per principal (admin key, user token's user, or client address).

Each principal's bucket holds up to `burst` tokens and refills at `rate` tokens a second; a request takes one, and
a request finding the bucket empty is answered 429 `rate_limited` with `Retry-After` (the seconds until a token is
back) without reaching the app. Buckets live in this process: behind several server processes the limit applies
per process. Probes, metrics and the page's static files are not limited.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from service.api.auth import principal
from service.api.handlers import error_response
from service.api.middleware import Receive, Send
from service.errors import RequestError
from service.options import ApiOptions

UNLIMITED_PATHS = ("/healthz", "/readyz", "/metrics", "/")
UNLIMITED_PREFIXES = ("/static/",)
MAX_BUCKETS = 100_000  # least recently used ones are dropped past this (a dropped bucket was refilling anyway)


class TokenBuckets:
    """Buckets by principal; `take` answers 0 when a request may go on, else the seconds to wait."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # principal -> (tokens, as of)
        self._lock = threading.Lock()

    def take(self, who: str) -> float:
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.pop(who, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate
            self._buckets[who] = (tokens - 1.0 if wait == 0.0 else tokens, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
        return wait


class RateLimitMiddleware:
    """Answer 429 before the app when the request's principal has no token left (limiting off at rate 0)."""

    def __init__(self, app, options: ApiOptions):
        self.app, self.options = app, options
        self.buckets = TokenBuckets(options.rate_limit_per_s, options.rate_limit_burst)

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or self.options.rate_limit_per_s <= 0 or path in UNLIMITED_PATHS
                or path.startswith(UNLIMITED_PREFIXES)):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.buckets.take(principal(self.options, headers, client))
        if wait > 0:
            error = RequestError("rate_limited", f"more than {self.options.rate_limit_burst} requests at once or "
                                                 f"{self.options.rate_limit_per_s:g} a second; retry later",
                                 retry_after_s=round(wait, 3))
            return await error_response(error)(scope, receive, send)
        await self.app(scope, receive, send)
