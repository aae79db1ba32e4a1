"""What the app holds between requests: one store connection per thread. The recommender is shared without a
lock: it keeps its own connection per thread and its catalogue takes concurrent reads (see service.recommend)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from service.storage.threads import ThreadStores

if TYPE_CHECKING:
    from service.records import VideoRecord
    from service.storage import Store


class ThreadLocalStore(ThreadStores):
    """The video store as seen by request handlers: each call runs on the calling thread's own connection.

    FastAPI may run a dependency and the route that uses it on different pool threads, so handlers get this
    object and each call picks its thread's Store (opened on first use) at the moment it runs.
    """

    def __init__(self, open_store: Callable[[], Store]):
        super().__init__(None, open_store)

    def get(self, video_id: str) -> VideoRecord | None:
        return self.current().get(video_id)

    def has(self, video_id: str) -> bool:
        return self.current().has(video_id)

    def add(self, record: VideoRecord) -> bool:
        return self.current().add(record)

    def delete(self, video_id: str) -> bool:
        return self.current().delete(video_id)

    def frame_jpeg(self, video_id: str, index: int) -> bytes | None:
        return self.current().frame_jpeg(video_id, index)

    def moments_of(self, video_ids: list[str]) -> dict:
        return self.current().moments_of(video_ids)

    def set_show_sensitive(self, user_id: str, show: bool) -> None:
        self.current().set_show_sensitive(user_id, show)

    def shows_sensitive(self, user_id: str) -> bool:
        return self.current().shows_sensitive(user_id)
