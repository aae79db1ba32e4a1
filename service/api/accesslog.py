"""Access logs without user ids: uvicorn's access lines name the path of every request, and a path such as
`/users/alice/recommendations` or a query with `user_id=` ties a person to what they watched. The filter rewrites
those parts to `~` before any handler sees the record, unless REELSENSE_LOG_USER_IDS=true (a debugging setting)."""
from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "~"
_USER_SEGMENT = re.compile(r"(/users/)[^/?#]+")
_PRIVATE_QUERY = re.compile(r"([?&](?:user_id|user|token|api_key|key)=)[^&#]*", re.IGNORECASE)


def redact_path(path: str) -> str:
    """The path and query with user ids and credentials replaced by `~`."""
    return _PRIVATE_QUERY.sub(rf"\g<1>{REDACTED}", _USER_SEGMENT.sub(rf"\g<1>{REDACTED}", path))


class UserIdRedaction(logging.Filter):
    """Rewrites the path argument of uvicorn's access records (client, method, path, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


def configure_access_log(keep_user_ids: bool) -> None:
    """Install (or, with `keep_user_ids`, remove) the redaction on uvicorn's access logger, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    for existing in [f for f in logger.filters if isinstance(f, UserIdRedaction)]:
        logger.removeFilter(existing)
    if not keep_user_ids:
        logger.addFilter(UserIdRedaction())
