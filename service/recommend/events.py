"""Interaction events: parsing, validation of a whole batch before anything is stored, and their signal.

Event signal weights are settings (`EventSignals`); a view counts more the more of it was watched.
"""
from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from service.errors import EventError
from service.options import EventSignals

EVENT_TYPES = ("impression", "view", "like", "share", "comment", "follow", "skip", "not_interested")
MAX_COMPLETION = 1.0  # the share of the video watched; replays are separate view events
# The one pattern of a user id, wherever one is accepted (events, interests, settings, feeds, erasure): ASCII
# letters and digits first, then also _ . : @ - (e-mail-like and namespaced ids). No spaces, slashes or
# dot-only names, so every id written can be put in a URL path as it is and later read or erased there.
USER_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"
_USER_ID = re.compile(USER_ID)


def check_user_id(user_id: str, index: int = 0) -> None:
    """Refuse a user id outside USER_ID (EventError `bad_user_id`, 422)."""
    if not isinstance(user_id, str) or not _USER_ID.match(user_id):
        raise EventError("bad_user_id", f"user_id {str(user_id)[:140]!r} does not match {USER_ID}", index)


@dataclass
class Event:
    user_id: str
    video_id: str
    type: str
    timestamp: float
    watch_seconds: float | None = None
    completion: float | None = None

    @classmethod
    def from_dict(cls, data: Any, index: int = 0) -> Event:
        """Parse one JSON object; a missing or mistyped field raises EventError(missing_field)."""
        if not isinstance(data, dict):
            raise EventError("missing_field", "an event must be a JSON object", index)
        for name in ("user_id", "video_id", "type"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise EventError("missing_field", f"field {name!r} is required (non-empty string)", index)
        ts = data.get("timestamp", data.get("ts"))
        if ts is None:
            ts = time.time()
        try:
            return cls(data["user_id"], data["video_id"], data["type"], float(ts),
                       _optional_float(data.get("watch_seconds")), _optional_float(data.get("completion")))
        except (TypeError, ValueError):
            raise EventError("missing_field", "timestamp, watch_seconds and completion must be numbers",
                             index) from None

    def row(self) -> tuple:
        """The store's row: (user_id, video_id, type, ts, watch_seconds, completion)."""
        return (self.user_id, self.video_id, self.type, float(self.timestamp), self.watch_seconds, self.completion)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def validate_events(events: Iterable[Event], video_exists: Callable[[str], bool]) -> list[Event]:
    """Check a whole batch before anything is stored; the first bad event raises EventError."""
    checked = []
    for i, e in enumerate(events):
        _check_event(e, i)
        if not video_exists(e.video_id):
            raise EventError("unknown_video", f"video {e.video_id!r} is not in the store", i)
        checked.append(e)
    return checked


def _check_event(e: Event, i: int) -> None:
    if not isinstance(e.user_id, str) or not e.user_id or not isinstance(e.video_id, str) or not e.video_id:
        raise EventError("missing_field", "user_id and video_id are required", i)
    check_user_id(e.user_id, i)
    if e.type not in EVENT_TYPES:
        raise EventError("unknown_event_type", f"{e.type!r} is not one of {', '.join(EVENT_TYPES)}", i)
    if e.timestamp is None or not _finite(e.timestamp):
        raise EventError("missing_field", "timestamp must be a finite number (seconds since the epoch)", i)
    if e.watch_seconds is not None and (not _finite(e.watch_seconds) or e.watch_seconds < 0):
        raise EventError("bad_watch_time", f"watch_seconds must be >= 0, got {e.watch_seconds!r}", i)
    if e.completion is not None and (not _finite(e.completion) or not 0 <= e.completion <= MAX_COMPLETION):
        raise EventError("bad_completion", f"completion must be in [0, {MAX_COMPLETION:g}], got {e.completion!r}", i)


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def signal(kind: str, completion: float | None, signals: EventSignals) -> float:
    """How much one event says about interest: positive for engagement, negative for rejection."""
    if kind == "view":
        c = 0.0 if completion is None else min(1.0, max(0.0, completion))
        return signals.view_base + signals.view_completion * c
    return float(getattr(signals, kind, 0.0))
