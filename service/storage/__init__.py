"""SQLite storage: one `Store` per connection, its methods grouped by entity (videos, events, users, fitted)."""
from __future__ import annotations

from pathlib import Path

from service.storage.counters import DEFAULT_HALF_LIFE_DAYS
from service.storage.events import EventTable
from service.storage.fitted import FittedTable
from service.storage.moments import MomentTable, PreferenceTable
from service.storage.nearest import NearestTable
from service.storage.schema import SCHEMA_VERSION
from service.storage.session import StateSessions
from service.storage.sounds import SoundTable
from service.storage.users import UserTable
from service.storage.userstate import UserStateTable
from service.storage.videos import VideoTable

SERVING_SCHEMA = 5  # the migration that added slots, counters and user state

class Store(VideoTable, EventTable, UserTable, UserStateTable, FittedTable, SoundTable, MomentTable,
            PreferenceTable, StateSessions, NearestTable):
    """The store of one embedding space: videos with their features, media prints and moments, events, users and
    their content preferences, serving state (slots, counters, user profiles), fitted parameters, the sound
    and copy queries over the prints, and the log of changes for other processes serving the same file.

    One connection per Store; share a Store between threads only behind its lock (the API and the recommender
    keep one per thread).
    """

    def __init__(self, path: str | Path, timeout_s: float = 30.0,
                 counters_half_life_days: float = DEFAULT_HALF_LIFE_DAYS):
        super().__init__(path, timeout_s)
        self.half_life_days = counters_half_life_days
        if 0 < self.migrated_from < SERVING_SCHEMA:  # an older store: derive the serving state once
            self.backfill_ranking()
            self.rebuild_counters()


__all__ = ["SCHEMA_VERSION", "Store"]
