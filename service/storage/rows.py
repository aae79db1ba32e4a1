"""Named rows that cross the storage boundary. They are tuples (a row goes straight into `executemany`), and
callers read them by name: a column added or reordered in a query cannot silently shift what a caller reads."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class EventRow(NamedTuple):
    """One interaction event as stored (and as `add_events` takes it)."""

    user_id: str
    video_id: str
    type: str
    ts: float
    watch_seconds: float | None
    completion: float | None


class CatalogueRow(NamedTuple):
    """What the live catalogue loads per video: its stable slot, who made it, when, its ranking category and
    its fused vector (None when the read asked for no vectors)."""

    slot: int
    video_id: str
    creator: str | None
    created_at: float
    category: str | None
    fused: bytes | None


class RankingInfo(NamedTuple):
    """A video's serving row: slot, fused vector blob, ranking tags and category."""

    slot: int
    fused: bytes
    tags: dict[str, float]
    category: str | None


class HistoryRow(NamedTuple):
    """A video the user has seen: its slot, whether they rejected it, and its effective decayed signal."""

    video_id: str
    slot: int
    rejected: bool
    signal: float


class UnitsRow(NamedTuple):
    """What a profile needs of a video: its fused vector blob and ranking tags (JSON)."""

    video_id: str
    fused: bytes
    tags: str


class Neighbour(NamedTuple):
    """A video near a query vector: its id and cosine similarity (1 is the same direction)."""

    video_id: str
    similarity: float


@dataclass
class StateRow:
    ref_ts: float
    vectors: bytes
    scalars: str
    settings_key: str
    stale: bool


@dataclass
class VideoSignalRow:
    signal: float  # decayed signal as of ref_ts
    floor: float | None  # decayed "not interested" floor as of ref_ts (None: never rejected)
    ref_ts: float
    seen: bool
    applied: int  # -1, 0, 1: which profile sum the video's signal is in


def event_rows(rows) -> list[EventRow]:
    """Rows of any tuple shape (user, video, type, ts, watch_seconds, completion) as EventRow."""
    return [r if isinstance(r, EventRow) else EventRow(*r) for r in rows]
