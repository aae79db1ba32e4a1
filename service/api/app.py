"""The FastAPI app: tag uploads, record events, recommend, search. Errors are {"error": {"code", "message"}}.
The web page at `/` (service/api/static) calls the same API.

`create_app` wires what the routes (`service.api.routes`) depend on: at startup the lifespan builds one store
connection per thread, the worker pool that decodes and analyses uploads in resource-limited processes
(service.pipeline.workers), and the recommender, all through `service.factory.Components`; then middleware (body
limit, metrics, CORS) and the exception handlers that give every error its `{"error": ...}` body and status. The
HTTP layer reads its settings as one group, `settings.api` (service.options.ApiOptions), kept on `app.state.api`.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from service.api.handlers import install_error_handlers
from service.api.ingest import Ingest
from service.api.jobs import JobRegistry
from service.api.metrics import Metrics
from service.api.middleware import BodyLimitMiddleware, RequestMetricsMiddleware
from service.api.ratelimit import RateLimitMiddleware
from service.api.routes import api_router
from service.api.routes.page import mount_static
from service.api.state import ThreadLocalStore
from service.config import Settings
from service.factory import Components
from service.pipeline.folder import index_folder_in_background

DESCRIPTION = ("Multimodal short-video tagging and cold-start recommendation. Write endpoints need an admin "
               "`X-API-Key`; a user's own data (profile, feed, interests, settings, erasure) needs an admin key or "
               "that user's token (`Authorization: Bearer`). Requests are rate-limited per key, token or address "
               "(429 with Retry-After). Errors are `{\"error\": {\"code\", \"message\"}}` with a stable `code`.")


def create_app(settings: Settings | None = None, start_workers: bool = True,
               index_folder: str | Path | None = None) -> FastAPI:
    """The app; `index_folder` (optional) is embedded through the workers in the background at startup."""
    if settings is None:
        from service.config import get_settings

        settings = get_settings()
    api = settings.api

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from threadpoolctl import threadpool_limits

        # Requests run in parallel threads: a multi-threaded BLAS inside each one only oversubscribes the cores
        # (measured: a feed's matrix products took 5x longer with OpenBLAS's default threads under load).
        blas = threadpool_limits(limits=1, user_api="blas")
        torch_threads = _one_torch_thread()
        state = app.state
        components = Components(settings)
        state.store = ThreadLocalStore(components.store)
        state.pool = components.worker_pool()
        if start_workers:
            state.pool.start()
        state.recommender = await run_in_threadpool(load_recommender, components)
        state.follower = _follow_changes(components, state.recommender, api.change_poll_s)
        state.moments = components.moment_search(state.store)
        state.ingest = Ingest(api, state.store, state.pool, state.recommender, state.metrics, state.jobs)
        if index_folder is not None and start_workers:
            index_folder_in_background(Path(index_folder), components.store, state.pool, state.recommender)
        yield
        if state.follower is not None:
            state.follower.stop()
        state.pool.close()
        state.ingest.close()
        await run_in_threadpool(state.recommender.save_index)  # a restart loads it instead of rebuilding
        state.store.close()
        state.recommender.close()
        state.recommender.store.close()
        blas.restore_original_limits()
        _one_torch_thread(torch_threads)

    app = FastAPI(title="reelsense", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.api = api
    app.state.metrics = Metrics()
    app.state.jobs = JobRegistry()
    install_error_handlers(app)
    app.include_router(api_router)
    mount_static(app)  # the web page's assets; the page itself is GET /
    # added last = outermost: metrics see every answer, including the body limit's 413
    app.add_middleware(BodyLimitMiddleware, max_bytes=api.max_json_bytes)
    app.add_middleware(RateLimitMiddleware, options=api)  # outside the body limit: a 429 reads no body
    if api.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(api.cors_origins),
                           allow_methods=["GET", "POST", "PUT", "DELETE"], allow_headers=["X-API-Key", "Content-Type"])
    app.add_middleware(RequestMetricsMiddleware, metrics=app.state.metrics)
    return app


def _one_torch_thread(restore: int | None = None) -> int:
    """Query encoding (search, stated interests) in one torch thread per request, as requests already run in
    parallel; returns the previous count (and sets `restore` instead when given, at shutdown)."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(restore or 1)
    return previous


def _follow_changes(components: Components, recommender, every_s: float):
    """Apply other processes' writes to the store (service.recommend.follow) in a background thread."""
    if every_s <= 0:
        return None
    from service.recommend.follow import ChangeFollower

    return ChangeFollower(recommender, components.store(), every_s).start()


def load_recommender(components: Components):
    """The recommender with its own Store connection, warmed so the first feed request pays no start-up cost."""
    recommender = components.recommender()
    if recommender.text is not None:
        _ = recommender.text.categories  # embed the taxonomy prototypes now, not on the first feed request
    recommender.live.cold.current(recommender.catalogue())  # load the index and the cold-start pools now
    return recommender
