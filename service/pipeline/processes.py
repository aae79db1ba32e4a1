"""What the two process pools of reelsense share: the batch's CPU-stage pool (pool.MediaPool) and the server's
analysis workers (workers.WorkerPool).

- Workers are spawned, never forked from a process holding model weights and threads (`SPAWN`).
- Each builds its component itself from a picklable builder that the factory hands the pool (`Builder` in
  service/factory.py): the pool never imports the factory, and pickle brings the recipe along.
- Each dies with the process that started it (extractors.parent, given that process's id).
- The first worker of a pool starts alone, the others once it is up (`start_staggered`).

The pools differ where their callers differ: a batch wants futures and a library pool (a worker that dies breaks
it, and the runner re-runs the files in flight); the server wants one job per worker under a wall-clock limit and
a memory cap, a crash or a timeout failing that one upload.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
SPAWN = mp.get_context("spawn")


def start_staggered(first: Callable[[], object], other: Callable[[], object], count: int,
                    name: str) -> threading.Thread:
    """Run `first` in a background thread and, once it returned, `other` `count - 1` times, each in a thread of
    its own. The first worker of a pool fills librosa's JIT cache on a machine's first run and numba's cache is
    not safe for concurrent writers, so the others start only when it is up. When `first` raises (the pool was
    shut down meanwhile), no other starts."""

    def run() -> None:
        try:
            first()
        except Exception as exc:  # the pool reports its start-up errors to its callers itself
            log.debug("%s: the first worker did not start (%s); not starting the others", name, exc)
            return
        for _ in range(count - 1):
            threading.Thread(target=other, name=f"{name}-spawn", daemon=True).start()

    thread = threading.Thread(target=run, name=f"{name}-start", daemon=True)
    thread.start()
    return thread
