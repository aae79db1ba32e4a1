"""FastAPI app: tag uploads, record events, recommend, search. Errors are {"error": {"code", "message"}}.

A thin layer over `uploads` (streamed, limited, sniffed), `workers` (decoding and extraction in
resource-limited processes), `store` (SQLite, one connection per thread) and `matcher`.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import threading
import time
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Path as PathParam, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from extractors.errors import MediaError, ReelsenseError
from service.config import Settings
from service.errors import AuthError, NotFoundError, RequestError, SpaceMismatchError, UploadError, WorkerError
from service.jobs import JobRegistry
from service.recommend import Event
from service.records import VideoRecord
from service.storage import Store
from service.uploads import Upload, receive_upload
from service.factory import Components
from service.workers import WorkerPool

log = logging.getLogger(__name__)
VIDEO_ID = r"^[0-9a-f]{64}$"
USER_ID = r"^[A-Za-z0-9_.:@-]{1,128}$"


def error_body(code: str, message: str, **extra: Any) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


# -- request / response models (with examples for the OpenAPI docs) -------------------------------
class EventIn(BaseModel):
    user_id: str = Field("", max_length=128)
    video_id: str = Field("", max_length=128)
    type: str = Field("", max_length=32)
    timestamp: float | None = Field(None, description="Unix seconds; default: when the server received it")
    watch_seconds: float | None = None
    completion: float | None = Field(None, description="Fraction of the video watched, in [0, 1]")


class EventBatch(BaseModel):
    events: list[EventIn] = Field(..., min_length=1, max_length=10_000)
    model_config = {"json_schema_extra": {"examples": [{"events": [
        {"user_id": "u1", "video_id": "<64-hex video id>", "type": "view", "watch_seconds": 4.2, "completion": 0.85},
        {"user_id": "u1", "video_id": "<64-hex video id>", "type": "like"}]}]}}


class InterestsIn(BaseModel):
    text: str = Field("", max_length=2000)
    tags: list[str] = Field(default_factory=list, max_length=50)
    model_config = {"json_schema_extra": {"examples": [{"text": "home cooking and quick pasta recipes", "tags": ["#food"]}]}}


ERRORS = {
    401: {"description": "missing or wrong API key", "content": {"application/json": {"example": error_body("unauthorized", "...")}}},
    404: {"description": "unknown id", "content": {"application/json": {"example": error_body("video_not_found", "...")}}},
    422: {"description": "invalid input", "content": {"application/json": {"example": error_body("corrupt", "...")}}},
}
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "MP4/MOV, Matroska/WebM or AVI"},
        "title": {"type": "string", "example": "Creamy garlic pasta in 10 minutes"},
        "description": {"type": "string"},
        "hashtags": {"type": "string", "example": "#food #pasta"},
        "creator": {"type": "string"}}}}}}}
VIDEO_EXAMPLE = {"id": "9f2c…", "title": "Creamy garlic pasta", "duration_s": 6.0,
                 "tags": [{"label": "#pasta", "score": 1.0, "source": "hashtag"}, {"label": "food", "score": 0.31, "source": "visual"}],
                 "weights": {"text": 0.4, "visual": 0.35, "audio": 0.25}, "space_id": "text=…|visual=…|audio=…|fusion=…"}
RECS_EXAMPLE = {"user_id": "u1", "items": [{"video_id": "9f2c…", "score": 0.83, "rank": 1,
                                             "explanation": {"contributions": {"text": 0.4, "visual": 0.3, "audio": 0.13}}}]}


def video_view(record: VideoRecord, top: int = 12) -> dict:
    view = record.summary(top=top)
    view.pop("path", None)  # server-side detail
    view.update(description=record.description, hashtags=record.hashtags, creator=record.creator,
                created_at=record.created_at)
    return view


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("reelsense_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("reelsense_http_request_seconds", "HTTP request latency", ["method", "route"], registry=self.registry)
        self.uploads = Counter("reelsense_uploads_total", "Uploads by outcome code", ["outcome"], registry=self.registry)
        self.analysis = Histogram("reelsense_analysis_seconds", "Worker analysis time per upload", registry=self.registry,
                                  buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120))
        self.workers = Gauge("reelsense_workers_ready", "Analysis workers ready", registry=self.registry)
        self.restarts = Gauge("reelsense_worker_restarts", "Workers replaced (recycled, crashed, timed out)", registry=self.registry)


class ThreadStores:
    """One Store (SQLite connection) per thread: connections are never shared between threads."""

    def __init__(self, path):
        self.path = path
        self._local = threading.local()
        self._all: list[Store] = []
        self._lock = threading.Lock()

    def get(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.path)
            with self._lock:
                self._all.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            for store in self._all:
                try:
                    store.close()
                except Exception:  # noqa: BLE001 - closing from another thread may be refused; the process ends anyway
                    pass


class BodyLimitMiddleware:
    """Read non-upload request bodies up to `max_bytes`, counted as they arrive (Content-Length is not trusted),
    and answer 413 past it; within the limit the body is replayed to the app."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or (scope["path"] == "/videos" and scope["method"] == "POST"):
            return await self.app(scope, receive, send)
        chunks, total, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay([message]), send)
            total += len(message.get("body", b""))
            if total > self.max_bytes:
                response = JSONResponse(error_body("too_large", f"the request body exceeds {self.max_bytes} bytes"), 413)
                return await response(scope, receive, send)
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        await self.app(scope, _replay([{"type": "http.request", "body": b"".join(chunks), "more_body": False}], receive), send)


def _replay(messages: list[dict], then=None):
    """An ASGI receive that yields the buffered messages, then defers to the real one (for disconnects)."""
    pending = list(messages)

    async def receive():
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


def create_app(settings: Settings | None = None, start_workers: bool = True, index_folder=None) -> FastAPI:
    """The app; `index_folder` (optional) is embedded through the workers in the background at startup."""
    from service.config import get_settings

    settings = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state = app.state
        state.stores = ThreadStores(settings.database)
        state.pool = Components(settings).worker_pool()
        if start_workers:
            state.pool.start()
        state.recommender = await run_in_threadpool(_load_recommender, settings)
        if index_folder is not None and start_workers:
            threading.Thread(target=_index_folder, args=(app, index_folder), name="index", daemon=True).start()
        yield
        state.pool.close()
        state.stores.close()
        state.recommender.store.close()

    app = FastAPI(title="reelsense", version="0.1.0", lifespan=lifespan,
                  description="Multimodal short-video tagging and cold-start recommendation. Write endpoints need "
                              "an `X-API-Key` header; errors are `{\"error\": {\"code\", \"message\"}}`.")
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.jobs = JobRegistry()
    app.state.inflight = {}
    app.state.rec_lock = threading.RLock()
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_json_kb * 1024)
    if settings.cors_origin_list:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list,
                           allow_methods=["GET", "POST", "PUT", "DELETE"], allow_headers=["X-API-Key", "Content-Type"])

    # -- errors and metrics ------------------------------------------------------------------------
    @app.exception_handler(ReelsenseError)
    async def _reelsense_error(_request: Request, exc: ReelsenseError):
        return JSONResponse({"error": exc.to_dict()}, exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse(error_body("invalid_request", f"{where}: {first.get('msg', 'invalid')}"), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(error_body(codes.get(exc.status_code, "http_error"), str(exc.detail)), exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception):
        log.exception("unhandled error")
        return JSONResponse(error_body("internal_error", "the server failed to handle this request"), 500)

    @app.middleware("http")
    async def _measure(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.requests.labels(request.method, path, str(response.status_code)).inc()
        metrics.latency.labels(request.method, path).observe(time.perf_counter() - started)
        return response

    key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="required by write endpoints")

    def require_key(key: str | None = Depends(key_header)) -> None:
        keys = settings.api_key_list
        if not keys:
            raise AuthError("unauthorized", "write endpoints are disabled until an API key is configured "
                                                "(set REELSENSE_API_KEYS)")
        if not key or not any(hmac.compare_digest(key.encode(), k.encode()) for k in keys):
            raise AuthError("unauthorized", "a valid X-API-Key header is required for this endpoint")

    def store() -> Store:
        return app.state.stores.get()

    def recommender_call(method: str, *args, **kwargs):
        with app.state.rec_lock:
            return getattr(app.state.recommender, method)(*args, **kwargs)

    def known_video(video_id: str) -> VideoRecord:
        record = store().get(video_id)
        if record is None:
            raise NotFoundError("video_not_found", f"no video with id {video_id}")
        return record

    # -- health ----------------------------------------------------------------------------------
    @app.get("/healthz", tags=["health"], responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})
    async def healthz():
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={
        200: {"content": {"application/json": {"example": {"status": "ready", "workers_ready": 2}}}},
        503: {"content": {"application/json": {"example": error_body("not_ready", "models are loading")}}}})
    async def readyz():
        """Readiness: at least one worker has loaded and warmed its models, and the recommender is loaded."""
        pool: WorkerPool = app.state.pool
        body = {"status": "ready", "workers_ready": pool.ready_workers, "workers": pool.size, "space_id": pool.space_id}
        if pool.ready_workers < 1 or getattr(app.state, "recommender", None) is None:
            detail = f"{pool.ready_workers}/{pool.size} workers ready" + (f"; last error: {pool.last_error}" if pool.last_error else "")
            return JSONResponse(error_body("not_ready", detail), 503)
        return body

    @app.get("/metrics", tags=["health"], response_class=Response,
             responses={200: {"content": {"text/plain": {"example": "reelsense_http_requests_total{...} 3.0"}}}})
    async def prometheus_metrics():
        """Prometheus text format."""
        metrics.workers.set(app.state.pool.ready_workers)
        metrics.restarts.set(app.state.pool.restarts)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # -- videos ----------------------------------------------------------------------------------
    async def analyse(upload: Upload) -> tuple[int, dict]:
        """Analyse an upload in a worker and store it; (status, body). Same content in flight is done once."""
        inflight: dict[str, asyncio.Future] = app.state.inflight
        if upload.sha256 in inflight:
            upload.discard()
            status, body = await asyncio.shield(inflight[upload.sha256])
            return (200, {**body, "created": False}) if status == 201 else (status, body)
        future = asyncio.get_running_loop().create_future()
        inflight[upload.sha256] = future
        try:
            status, body = await _analyse_once(upload)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved
            raise
        else:
            future.set_result((status, body))
        finally:
            inflight.pop(upload.sha256, None)
        return status, body

    async def _analyse_once(upload: Upload) -> tuple[int, dict]:
        existing = await run_in_threadpool(lambda: store().get(upload.sha256))
        if existing is not None:
            upload.discard()
            metrics.uploads.labels("existing").inc()
            return 200, {**video_view(existing), "created": False}
        fields = upload.fields
        meta = {"title": fields.get("title", ""), "description": fields.get("description", ""),
                "hashtags": fields.get("hashtags", "").replace(",", " ").split(), "creator": fields.get("creator", "")}
        started = time.perf_counter()
        try:
            record = await run_in_threadpool(app.state.pool.run, upload.path, meta, upload.sha256)
        except (WorkerError, MediaError) as exc:
            metrics.uploads.labels(exc.code).inc()
            return exc.http_status, {"error": exc.to_dict()}
        finally:
            metrics.analysis.observe(time.perf_counter() - started)
            if not settings.keep_uploads:
                upload.discard()
        record.path = str(upload.keep(settings.uploads)) if settings.keep_uploads else ""

        def persist() -> bool:
            added = store().add(record)
            with app.state.rec_lock:
                app.state.recommender.invalidate()
            return added

        try:
            added = await run_in_threadpool(persist)
        except SpaceMismatchError as exc:
            return exc.http_status, {"error": exc.to_dict()}
        metrics.uploads.labels("created" if added else "existing").inc()
        stored = await run_in_threadpool(lambda: store().get(record.id))
        return (201 if added else 200), {**video_view(stored), "created": added}

    @app.post("/videos", tags=["videos"], dependencies=[Depends(require_key)], openapi_extra=UPLOAD_BODY,
              responses={201: {"description": "analysed and stored", "content": {"application/json": {"example": VIDEO_EXAMPLE}}},
                         200: {"description": "the same content was already stored"},
                         202: {"description": "large file: queued as a job",
                               "content": {"application/json": {"example": {"job_id": "a1b2c3d4e5f60718", "status": "queued"}}}},
                         413: {"description": "file over the size limit"}, 415: {"description": "not an accepted container"},
                         504: {"description": "analysis timed out"}, **ERRORS})
    async def upload_video(request: Request, mode: str = Query("auto", pattern="^(auto|sync|async)$",
                                                               description="async: always answer 202 with a job")):
        """Upload a video (multipart `file` plus optional title, description, hashtags, creator) and get its tags."""
        max_bytes = int(settings.max_upload_mb * 1024 * 1024)
        try:
            upload = await receive_upload(request.headers.get("content-type"), request.stream(),
                                          settings.uploads / ".incoming", max_bytes)
        except UploadError as exc:
            metrics.uploads.labels(exc.code).inc()
            return JSONResponse({"error": exc.to_dict()}, exc.http_status)
        large = upload.size > settings.async_upload_mb * 1024 * 1024
        if mode == "async" or (mode == "auto" and large):
            job = app.state.jobs.create(upload.sha256)

            async def background() -> None:
                job.status = "running"
                try:
                    status, body = await analyse(upload)
                except Exception as exc:  # noqa: BLE001 - the job reports it
                    log.exception("job %s failed", job.id)
                    status, body = 500, error_body("internal_error", str(exc))
                app.state.jobs.finish(job, status, result=None if "error" in body else body, error=body.get("error"))

            app.state.background = getattr(app.state, "background", set())
            task = asyncio.create_task(background())
            app.state.background.add(task)
            task.add_done_callback(app.state.background.discard)
            return JSONResponse({"job_id": job.id, "status": job.status, "video_id": upload.sha256,
                                 "location": f"/jobs/{job.id}"}, 202, headers={"Location": f"/jobs/{job.id}"})
        status, body = await analyse(upload)
        return JSONResponse(body, status)

    @app.get("/jobs/{job_id}", tags=["videos"], responses={200: {"content": {"application/json": {"example": {
        "id": "a1b2c3d4e5f60718", "status": "done", "video_id": "9f2c…", "result": VIDEO_EXAMPLE, "error": None, "http_status": 201}}}}, **ERRORS})
    async def get_job(job_id: str = PathParam(..., max_length=64)):
        """Status of an upload job: queued, running, done (with the video) or failed (with the error)."""
        job = app.state.jobs.get(job_id)
        if job is None:
            raise NotFoundError("job_not_found", f"no job with id {job_id}")
        return job.to_dict()

    @app.get("/videos/{video_id}", tags=["videos"], responses={200: {"content": {"application/json": {"example": VIDEO_EXAMPLE}}}, **ERRORS})
    def get_video(video_id: str = PathParam(..., max_length=64), top: int = Query(12, ge=1, le=100)):
        """A stored video's tags, stats, modality weights and embedding-space id."""
        return video_view(known_video(video_id), top)

    @app.delete("/videos/{video_id}", tags=["videos"], dependencies=[Depends(require_key)],
                responses={200: {"content": {"application/json": {"example": {"id": "9f2c…", "deleted": True}}}}, **ERRORS})
    def delete_video(video_id: str = PathParam(..., max_length=64)):
        """Remove a video from the store and the index."""
        if not store().delete(video_id):
            raise NotFoundError("video_not_found", f"no video with id {video_id}")
        recommender_call("invalidate")
        return {"id": video_id, "deleted": True}

    @app.get("/videos/{video_id}/similar", tags=["videos"],
             responses={200: {"content": {"application/json": {"example": {"video_id": "9f2c…", "items": RECS_EXAMPLE["items"]}}}}, **ERRORS})
    def similar_videos(video_id: str = PathParam(..., max_length=64), k: int = Query(10, ge=1, le=100)):
        """Nearest videos by fused-vector cosine, with per-modality contributions."""
        known_video(video_id)
        return {"video_id": video_id, "items": recommender_call("similar", video_id, k)}

    @app.get("/search", tags=["videos"], responses={200: {"content": {"application/json": {"example": {
        "query": "cat running", "items": [{"video_id": "9f2c…", "score": 0.61, "rank": 1, "explanation": {}}]}}}}, **ERRORS})
    def search(q: str = Query(..., min_length=1, max_length=500, examples=["cat running around"]), k: int = Query(10, ge=1, le=100)):
        """Text-to-video search."""
        return {"query": q, "items": recommender_call("search", q, k)}

    # -- events and users ------------------------------------------------------------------------
    @app.post("/events", tags=["users"], dependencies=[Depends(require_key)],
              responses={200: {"content": {"application/json": {"example": {"accepted": 2}}}},
                         422: {"content": {"application/json": {"example": error_body("bad_completion", "event 1: ...", index=1)}}},
                         401: ERRORS[401]})
    def post_events(batch: EventBatch):
        """Record a batch of interaction events; the whole batch is stored or (on any invalid event) none of it."""
        if len(batch.events) > settings.max_events_per_batch:
            raise RequestError("too_many_events", f"at most {settings.max_events_per_batch} events per batch")
        now = time.time()
        events = [Event(e.user_id, e.video_id, e.type, now if e.timestamp is None else e.timestamp,
                        e.watch_seconds, e.completion) for e in batch.events]
        accepted = recommender_call("record_events", events)
        return {"accepted": accepted}

    @app.put("/users/{user_id}/interests", tags=["users"], dependencies=[Depends(require_key)], responses=ERRORS)
    def put_interests(body: InterestsIn, user_id: str = PathParam(..., pattern=USER_ID)):
        """State a user's interests in words and tags (cold start before any event)."""
        return recommender_call("set_interests", user_id, body.text, list(body.tags))

    @app.get("/users/{user_id}/profile", tags=["users"], responses=ERRORS)
    def get_profile(user_id: str = PathParam(..., pattern=USER_ID)):
        """What the recommender knows about a user: event counts, stated interests, interest tags."""
        return recommender_call("profile", user_id)

    @app.delete("/users/{user_id}/history", tags=["users"], dependencies=[Depends(require_key)],
                responses={200: {"content": {"application/json": {"example": {"user_id": "u1", "history_cleared": True}}}}, **ERRORS})
    def delete_history(user_id: str = PathParam(..., pattern=USER_ID)):
        """Forget a user's interaction history (their profile starts over)."""
        recommender_call("refresh", user_id)
        return {"user_id": user_id, "history_cleared": True}

    @app.get("/users/{user_id}/recommendations", tags=["users"],
             responses={200: {"content": {"application/json": {"example": RECS_EXAMPLE}}}, **ERRORS})
    def recommendations(user_id: str = PathParam(..., pattern=USER_ID), k: int = Query(10, ge=1, le=100),
                        diversity: float | None = Query(None, ge=0.0, le=1.0)):
        """Ranked video ids with scores and explanations (per-modality contributions)."""
        return {"user_id": user_id, "items": recommender_call("recommend", user_id, k, diversity)}

    return app


def _load_recommender(settings: Settings):
    """The recommender gets its own Store connection; every call to it holds the app's lock."""
    from service.factory import Components

    recommender = Components(settings).recommender()
    if recommender.text is not None:
        _ = recommender.text.categories  # embed the taxonomy prototypes now, not on the first feed request
    recommender.catalogue()  # and build the index over what is already stored
    return recommender


def _index_folder(app: FastAPI, folder) -> None:
    """Embed every video under `folder` not yet stored, through the worker pool (used by `serve --index`)."""
    from pathlib import Path

    from service.pipeline import file_sha256, find_videos, read_sidecar

    store = Store(app.state.settings.database)
    try:
        for path in find_videos(Path(folder)):
            video_id = file_sha256(path)
            if store.has(video_id):
                continue
            m = read_sidecar(path)
            try:
                record = app.state.pool.run(path, {"title": m.title, "description": m.description,
                                                   "hashtags": m.hashtags, "creator": m.creator}, video_id)
            except (WorkerError, MediaError) as exc:
                log.warning("index: %s failed: %s", path.name, exc)
                continue
            store.add(record)
            with app.state.rec_lock:
                app.state.recommender.invalidate()
            log.info("index: stored %s", path.name)
    finally:
        store.close()
