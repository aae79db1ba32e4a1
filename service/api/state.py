"""What the app holds between requests: one store connection per thread. The recommender is shared without a
lock: it keeps its own connection per thread and its catalogue takes concurrent reads (see service.recommend)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from service.storage.threads import ThreadStores

if TYPE_CHECKING:
    from service.storage import Store


class ThreadLocalStore(ThreadStores):
    """The video store as seen by request handlers: every store method, run on the calling thread's own
    connection.

    FastAPI may run a dependency and the route that uses it on different pool threads, so handlers get this
    object and each call picks its thread's Store (opened on first use) at the moment it runs. Any public
    Store method is reachable (`store.get(...)`, `store.same_sound(...)`): one mechanism, no list to keep in step.
    """

    def __init__(self, open_store: Callable[[], Store]):
        super().__init__(None, open_store)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.current(), name)
