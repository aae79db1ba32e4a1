"""Rate limiting: a token bucket per principal (admin key, user token's user, or client address).

Each principal's bucket holds up to `burst` tokens and refills at `rate` tokens a second; a request takes one, and
a request finding the bucket empty is answered 429 `rate_limited` with `Retry-After` (the seconds until a token is
back) without reaching the app. Buckets live in this process: behind several server processes the limit applies
per process. Probes, metrics and the page's static files are not limited.

Admin keys belong to the platform's backend, which asks on behalf of all of its users: they are not limited unless
`admin_rate_limit_per_s` is set. A client's address is the connection's peer, or, when that peer is one of the
trusted proxies, the last address in X-Forwarded-For that is not itself a trusted proxy (the entries to the left of
it were written by the client and prove nothing).
"""
from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict

from service.api.auth import ADMIN_PREFIX, principal
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


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _within(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(peer: str, forwarded_for: str, proxies: list[Network]) -> str:
    """The client's address: the peer itself unless it is a trusted proxy; then, reading X-Forwarded-For from the
    right (the hop nearest to us first), the first address that is not a trusted proxy."""
    if not proxies or not _within(peer, proxies):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _within(hop, proxies):
            return hop
    return hops[0] if hops else peer


class RateLimitMiddleware:
    """Answer 429 before the app when the request's principal has no token left (limiting off at rate 0)."""

    def __init__(self, app, options: ApiOptions):
        self.app, self.options = app, options
        self.proxies = [ipaddress.ip_network(p, strict=False) for p in options.trusted_proxies]
        self.buckets = TokenBuckets(options.rate_limit_per_s, options.rate_limit_burst)
        self.admin_buckets = TokenBuckets(options.admin_rate_limit_per_s, options.rate_limit_burst)

    def _buckets(self, who: str) -> TokenBuckets | None:
        """The buckets a principal draws from; None: not limited."""
        buckets = self.admin_buckets if who.startswith(ADMIN_PREFIX) else self.buckets
        return buckets if buckets.rate > 0 else None

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in UNLIMITED_PATHS or path.startswith(UNLIMITED_PREFIXES):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        peer = (scope.get("client") or ("unknown", 0))[0]
        who = principal(self.options, headers, client_address(peer, headers.get("x-forwarded-for", ""), self.proxies))
        buckets = self._buckets(who)
        wait = buckets.take(who) if buckets is not None else 0.0
        if wait > 0:
            error = RequestError("rate_limited", f"more than {self.options.rate_limit_burst} requests at once or "
                                                 f"{buckets.rate:g} a second; retry later",
                                 retry_after_s=round(wait, 3))
            return await error_response(error)(scope, receive, send)
        await self.app(scope, receive, send)
