"""The one way a helper process of reelsense dies with the process that started it.

Helper processes (the server's analysis workers, a batch's media workers, the numba warm-up child) are started by
`reelsense serve` or `reelsense embed`; when that process is killed with SIGKILL nothing tells them, and they would
go on decoding or compiling for nobody (and a restarted server would find the last one's). Each of them watches
its parent id instead: it changes (to the reaper's) when the parent dies. Polling needs no file descriptor handed
through an executor's start-up, works for a plain `python -c` child as for a multiprocessing one, and works
whatever thread started the process, unlike Linux's parent-death signal (prctl(PR_SET_PDEATHSIG)), which fires
when the starting *thread* exits: workers are started from short-lived threads. Proven by the kill tests
(tests/service/api/test_server_kill.py, tests/service/pipeline/test_pool_parent.py).
"""
from __future__ import annotations

import os
import threading
import time


def exit_with_parent(parent: int | None = None, every_s: float = 0.2) -> None:
    """Exit this process (without clean-up: nobody waits for its results) once `parent` (default: the current
    parent) is no longer its parent. Given by the starting process, `parent` also covers a parent that died
    before this process got here."""
    parent = os.getppid() if parent is None else parent

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
