"""SQLite storage: one `Store` per connection, its methods grouped by entity (videos, events, users, fitted)."""
from __future__ import annotations

from service.storage.events import EventTable
from service.storage.fitted import FittedTable
from service.storage.moments import MomentTable, PreferenceTable
from service.storage.sounds import SoundTable
from service.storage.users import UserTable
from service.storage.videos import VideoTable


class Store(VideoTable, EventTable, UserTable, FittedTable, SoundTable, MomentTable, PreferenceTable):
    """The store of one embedding space: videos with their features, media prints and moments, events, users and
    their content preferences, fitted parameters, and the sound and copy queries over the prints.

    One connection per Store; share a Store between threads only behind its lock (the API keeps one per thread).
    """


__all__ = ["Store"]
