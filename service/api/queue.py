"""The analysis queue: uploads admitted for analysis, apart from the threads that answer requests.

An upload takes a place before its body is read and keeps it until its analysis ends. At most one analysis per
worker process runs at a time, each waiting on its worker in a thread of this queue's own executor, never in the
request thread pool; the others wait on the event loop, holding nothing but their connection. When every worker
and `queue` waiting places are taken, an upload is answered 503 `queue_full` at once, with Retry-After estimated
from recent analysis times, instead of being held: reads never wait behind uploads.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from service.errors import WorkerError

MAX_RETRY_AFTER_S = 300.0


class AnalysisQueue:
    def __init__(self, workers: int, queue: int, first_estimate_s: float = 5.0):
        self.workers = max(1, workers)
        self.capacity = self.workers + queue
        self.admitted = 0  # uploads holding a place: being received, waiting, or analysed
        self.mean_s = first_estimate_s  # moving average of one analysis, for Retry-After
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="analysis")
        self._lock = threading.Lock()

    def admit(self) -> None:
        """Take a place, or raise WorkerError `queue_full` (503, with `retry_after_s`)."""
        with self._lock:
            if self.admitted >= self.capacity:
                ahead = self.admitted - self.workers + 1
                retry = min(MAX_RETRY_AFTER_S, max(1.0, self.mean_s * ahead / self.workers))
                raise WorkerError("queue_full", f"{self.admitted} uploads are being analysed or waiting; "
                                                "retry later", retry_after_s=round(retry, 1))
            self.admitted += 1

    def release(self) -> None:
        with self._lock:
            self.admitted = max(0, self.admitted - 1)

    def observe(self, seconds: float) -> None:
        """Note how long one analysis took (an exponential moving average over about the last ten)."""
        with self._lock:
            self.mean_s += 0.1 * (seconds - self.mean_s)

    async def run(self, analyse: Callable[..., Any], *args: Any) -> Any:
        """`analyse(*args)` in one of the queue's own threads (one per worker); awaits its result."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, analyse, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
