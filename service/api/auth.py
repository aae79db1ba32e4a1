"""Who may call what: admin keys, per-user tokens, and the principal a request's rate limit is counted against.

Two credentials (the model is described in the README, "Keys, user tokens and rate limits"):

- an admin key (one of REELSENSE_API_KEYS) in `X-API-Key`: the platform's backend; every endpoint.
- a user token in `Authorization: Bearer <token>`: issued for one user by the platform's backend
  (`POST /users/{user_id}/token` with an admin key) and handed to that user's app; it opens that user's own
  routes only (profile, recommendations, interests, content settings, history, erasure) until it expires.

A token is `<user_id>.<expires, unix seconds>.<signature>`, the signature an HMAC-SHA256 of the first two parts
under REELSENSE_USER_TOKEN_SECRET. Nothing is stored: every server holding the secret verifies it, and a new
secret revokes every token issued before.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

from service.errors import AuthError
from service.options import ApiOptions


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_token(secret: str, user_id: str, ttl_s: float, now: float | None = None) -> tuple[str, int]:
    """A token for `user_id` valid `ttl_s` seconds from `now`, and its expiry (unix seconds)."""
    expires = int((time.time() if now is None else now) + ttl_s)
    payload = f"{user_id}.{expires}"
    return f"{payload}.{_signature(secret, payload)}", expires


def token_user(secret: str, token: str, now: float | None = None) -> str | None:
    """The user a token was issued for, or None when it is malformed, forged or expired (or tokens are off)."""
    if not secret or token.count(".") < 2:
        return None
    payload, _, signature = token.rpartition(".")
    user_id, _, expires = payload.rpartition(".")
    if not user_id or not expires.isdigit():
        return None
    if not hmac.compare_digest(signature.encode(), _signature(secret, payload).encode()):
        return None
    return user_id if int(expires) > (time.time() if now is None else now) else None


def is_admin_key(api: ApiOptions, key: str | None) -> bool:
    """One of the configured admin keys (compared in constant time)."""
    return bool(key) and any(hmac.compare_digest(key.encode(), k.encode()) for k in api.api_keys)


def check_user_access(api: ApiOptions, user_id: str, key: str | None, bearer: str | None) -> None:
    """An admin key, or a user token of this very user; AuthError 401 (no valid credential) or 403 otherwise."""
    if is_admin_key(api, key):
        return
    owner = token_user(api.user_token_secret, bearer) if bearer else None
    if owner == user_id:
        return
    if owner is not None:
        raise AuthError("forbidden", "this user token belongs to another user")
    raise AuthError("unauthorized", "this user's data needs an X-API-Key header or the user's own token "
                                    "(Authorization: Bearer)")


ADMIN_PREFIX = "key:"  # a principal that is an admin key


def principal(api: ApiOptions, headers: Mapping[str, str], client: str) -> str:
    """Whom a request counts against for rate limiting: its valid admin key, its valid user token's user, or
    else its client address (a made-up key or token gains nothing: it counts as the address)."""
    key = headers.get("x-api-key")
    if is_admin_key(api, key):
        return ADMIN_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:16]
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        user = token_user(api.user_token_secret, credentials.strip())
        if user is not None:
            return "user:" + user
    return "addr:" + client
