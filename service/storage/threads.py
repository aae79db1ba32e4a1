"""One store connection per thread: SQLite reads then run in parallel (WAL), each on its own connection. A store
that is safe to share between threads (the PostgreSQL store: a connection pool inside) is shared instead."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from service.storage import Store

log = logging.getLogger(__name__)


class ThreadStores:
    """The calling thread's Store: `first` (when given) for the thread that made this object, a new connection
    (`open_store`, by default to `first`'s file) opened on first use for every other thread."""

    def __init__(self, first: Store | None, open_store: Callable[[], Store] | None = None):
        if first is None and open_store is None:
            raise ValueError("ThreadStores needs a first store or a way to open one")
        self.first = first
        self._open = open_store or (lambda: Store(first.path, counters_half_life_days=first.half_life_days))
        self._local = threading.local()
        self._local.store = first
        self._opened: list[Store] = []
        self._lock = threading.Lock()

    def current(self) -> Store:
        if getattr(self.first, "thread_safe", False):  # a pooled store (PostgreSQL) serves every thread itself
            return self.first
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = self._open()
            with self._lock:
                self._opened.append(store)
        return store

    def close(self) -> None:
        """Close the connections this object opened (not `first`, which its owner closes)."""
        with self._lock:
            opened, self._opened = self._opened, []
        for store in opened:
            try:
                store.close()
            except Exception:  # closing from another thread may be refused; the process ends anyway
                log.debug("store close failed", exc_info=True)
