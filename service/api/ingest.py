"""From an upload to a stored, indexed video: analysed in a worker process (service.pipeline.workers), stored,
added to the live index.

Concurrent uploads of the same bytes share one analysis (they wait on the first one's future). Large uploads,
or those asked to, become background jobs polled at /jobs/{id}. Errors are raised as ReelsenseErrors; a job
records the error with the status the exception maps to.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from extractors.errors import MediaError, ReelsenseError
from service.api.jobs import Job, JobRegistry
from service.api.metrics import Metrics
from service.api.queue import AnalysisQueue
from service.api.schemas import UploadResult
from service.api.state import ThreadLocalStore
from service.api.uploads import Upload, receive_upload, remove_stale_uploads
from service.errors import InternalError, UploadError, WorkerError
from service.options import ApiOptions
from service.pipeline.kept import KeptMedia
from service.pipeline.workers import WorkerPool

if TYPE_CHECKING:
    from service.recommend import Recommender
    from service.records import VideoRecord

log = logging.getLogger(__name__)


class Ingest:
    """The upload path of one app: receive, analyse once per content, store, and run background jobs.

    Every upload holds a place in the analysis queue from before its body is read until `analyse` ends; built at
    startup, it first removes the temporary files a killed server left in the incoming folder."""

    def __init__(self, options: ApiOptions, store: ThreadLocalStore, pool: WorkerPool, recommender: Recommender,
                 metrics: Metrics, jobs: JobRegistry):
        self.options, self.store, self.pool, self.recommender = options, store, pool, recommender
        self.metrics, self.jobs = metrics, jobs
        self.queue = AnalysisQueue(pool.size, options.analysis_queue)
        self.incoming = options.uploads / ".incoming"
        removed = remove_stale_uploads(self.incoming)
        if removed:
            log.info("removed %d temporary upload files left by a stopped server", removed)
        self._inflight: dict[str, asyncio.Future[UploadResult]] = {}
        self._background: set[asyncio.Task] = set()

    async def receive(self, request: Request) -> Upload:
        """A place in the analysis queue (WorkerError `queue_full` otherwise, before reading anything), then the
        multipart body streamed to a temporary file within the upload limit (UploadError otherwise)."""
        try:
            self.queue.admit()
        except WorkerError as exc:
            self.metrics.uploads.labels(exc.code).inc()
            raise
        try:
            return await receive_upload(request.headers.get("content-type"), request.stream(), self.incoming,
                                        self.options.max_upload_bytes)
        except BaseException as exc:
            self.queue.release()
            if isinstance(exc, UploadError):
                self.metrics.uploads.labels(exc.code).inc()
            raise

    def close(self) -> None:
        self.queue.close()

    def is_large(self, upload: Upload) -> bool:
        return upload.size > self.options.async_upload_bytes

    async def analyse(self, upload: Upload) -> UploadResult:
        """Analyse and store a received upload, then give its place in the queue back."""
        try:
            return await self._analyse_shared(upload)
        finally:
            self.queue.release()

    async def _analyse_shared(self, upload: Upload) -> UploadResult:
        """The same content already in flight is waited for, not analysed again."""
        pending = self._inflight.get(upload.sha256)
        if pending is not None:
            upload.discard()
            result = await asyncio.shield(pending)
            return result.model_copy(update={"created": False})
        future: asyncio.Future[UploadResult] = asyncio.get_running_loop().create_future()
        self._inflight[upload.sha256] = future
        try:
            result = await self._analyse_once(upload)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waits
            raise
        else:
            future.set_result(result)
        finally:
            self._inflight.pop(upload.sha256, None)
        return result

    async def _analyse_once(self, upload: Upload) -> UploadResult:
        existing = await run_in_threadpool(self.store.get, upload.sha256)
        if existing is not None:
            upload.discard()
            self.metrics.uploads.labels("existing").inc()
            return UploadResult.from_record(existing, created=False)
        fields = upload.fields
        meta = {"title": fields.get("title", ""), "description": fields.get("description", ""),
                "hashtags": fields.get("hashtags", "").replace(",", " ").split(), "creator": fields.get("creator", "")}
        started = time.perf_counter()
        try:
            record = await self.queue.run(self.pool.run, upload.path, meta, upload.sha256)
        except (WorkerError, MediaError) as exc:
            self.metrics.uploads.labels(exc.code).inc()
            raise
        finally:
            self.metrics.analysis.observe(time.perf_counter() - started)
            self.queue.observe(time.perf_counter() - started)
            if not (self.options.keep_uploads or self.options.kept_media):
                upload.discard()
        record.path = self._keep(upload)
        added = await run_in_threadpool(self._persist, record)
        self.metrics.uploads.labels("created" if added else "existing").inc()
        stored = await run_in_threadpool(self.store.get, record.id)
        return UploadResult.from_record(stored, created=added)

    def _keep(self, upload: Upload) -> str:
        """The stored path of an analysed upload: its kept file (REELSENSE_KEEP_MEDIA, content-addressed under the
        data dir, so `reindex` can re-embed it; or REELSENSE_KEEP_UPLOADS), else "" (the file is gone)."""
        if self.options.kept_media is not None:
            return str(upload.keep(KeptMedia(self.options.kept_media).folder_for(upload.sha256)).absolute())
        return str(upload.keep(self.options.uploads)) if self.options.keep_uploads else ""

    def _persist(self, record: VideoRecord) -> bool:
        """Store the record, then add it to the live catalogue and index (runs on a pool thread)."""
        added = self.store.add(record)
        self.recommender.video_added(record.id)
        return added

    # -- background jobs ---------------------------------------------------------------------------
    def start_job(self, upload: Upload) -> Job:
        """Analyse the upload in the background; the job records the result or the error."""
        job = self.jobs.create(upload.sha256)
        task = asyncio.create_task(self._run_job(job, upload))
        self._background.add(task)  # a reference, so the task is not collected while it runs
        task.add_done_callback(self._background.discard)
        return job

    async def _run_job(self, job: Job, upload: Upload) -> None:
        job.status = "running"
        try:
            result = await self.analyse(upload)
        except ReelsenseError as exc:
            self.jobs.finish(job, exc.http_status, error=exc.to_dict())
        except Exception:
            log.exception("job %s failed", job.id)
            error = InternalError("internal_error", "the server failed to analyse this upload")
            self.jobs.finish(job, error.http_status, error=error.to_dict())
        else:
            self.jobs.finish(job, 201 if result.created else 200, result=result.model_dump(mode="json"))
