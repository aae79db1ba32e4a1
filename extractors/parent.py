"""Helper processes that must not outlive the process that started them.

A batch's media workers and the numba warm-up child are started by `reelsense embed` (or by a worker of it);
when that process is killed with SIGKILL nothing tells them, and they would go on decoding or compiling for
nobody. Each of them watches its parent id instead: it changes (to the reaper's) when the parent dies. Polling
needs no file descriptor handed through an executor's start-up and works whatever thread started the process,
unlike Linux's parent-death signal, which fires when the starting *thread* exits.
"""
from __future__ import annotations

import os
import threading
import time


def exit_with_parent(every_s: float = 0.2) -> None:
    """Exit this process (without clean-up: nobody waits for its results) once its current parent is gone."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
