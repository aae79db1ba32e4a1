"""`reelsense serve --processes N`: N processes serve HTTP on one host:port over one store.

The parent builds no app. It opens the store once (so a new store's schema is created by one process, not raced
by N), binds the listening socket once and runs uvicorn's own supervisor (`uvicorn.supervisors.Multiprocess`),
which starts N spawned children on that socket, pings them, replaces one that dies or hangs, and on SIGINT or
SIGTERM stops them all (SIGTERM each, then waits: each child's lifespan shuts down cleanly, pool, index save and
all). `uvicorn.run()` refuses a non-string app with several workers; the supervisor used directly does not, so the
app is a picklable factory (`child_app` with the settings, `factory=True`), built in each child.

In each child: the access-log redaction (service/api/accesslog.py) is installed by the factory, after uvicorn has
configured the child's logging from the Config; the child exits once the supervisor is gone (SIGKILL included),
taking its analysis workers with it; its share of the analysis workers is REELSENSE_WORKERS / N (at least 1), so
the host runs about as many as with one process. What one process writes reaches the others through the store's
change log, as any other writer's would (service/recommend/follow.py). Each process holds its own index.
"""
from __future__ import annotations

import functools
import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from service.config import Settings

HEALTHCHECK_S = 30  # a child that does not answer the supervisor's ping for this long is replaced (uvicorn: 5)


def process_count(requested: int) -> int:
    """The number of serving processes for `--processes`/REELSENSE_SERVE_PROCESSES (0: one per core)."""
    return requested if requested > 0 else (os.cpu_count() or 1)


def workers_per_process(workers: int, processes: int) -> int:
    """Each process's analysis workers: the configured count divided among the processes, at least one each."""
    return max(1, workers // processes)


def child_app(settings: Settings, verbose: bool) -> FastAPI:
    """The app of one serving process, called in the child by uvicorn (its Config has `factory=True`)."""
    from extractors.parent import exit_with_parent
    from service.api import create_app
    from service.api.accesslog import configure_access_log

    exit_with_parent()  # the supervisor killed: nobody would stop or replace this process
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s [%(process)d]: %(message)s")
    configure_access_log(keep_user_ids=settings.log_user_ids)
    return create_app(settings)


def serve_processes(settings: Settings, processes: int, host: str, port: int, verbose: bool) -> int:
    """Serve on host:port from `processes` child processes until SIGINT/SIGTERM; the exit code (3 when a child
    failed to start: then the supervisor stops the others instead of restarting it forever)."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from service.factory import Components

    Components(settings).store().close()  # create or migrate the store here, once
    share = settings.model_copy(update={"workers": workers_per_process(settings.workers, processes)})
    # X-Forwarded-For is read by the app from REELSENSE_TRUSTED_PROXIES only, not also by uvicorn's own default.
    config = uvicorn.Config(functools.partial(child_app, share, verbose), factory=True, host=host, port=port,
                            workers=processes, log_level="info" if verbose else "warning", proxy_headers=False,
                            timeout_worker_healthcheck=HEALTHCHECK_S)
    sock = config.bind_socket()
    supervisor = Multiprocess(config, sockets=[sock])
    try:
        supervisor.run()
    finally:
        sock.close()
    return STARTUP_FAILURE if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes) else 0
