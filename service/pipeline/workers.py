"""The server's analysis worker processes, which decode and analyse uploads, so that a crash, hang or memory
blow-up costs one request. They hold no HTTP: the API's upload path (service/api/ingest.py) and `serve --index`
(folder.py) hand them files.

Each worker builds the analyzer once from the factory's picklable builder (CLIP, MiniLM, librosa warmed up),
then caps its own address space (resource.setrlimit) at what the loaded models use plus a headroom. The pool
hands a job to one idle worker and waits on that worker's pipe with a wall-clock timeout: a worker that dies
fails only its own job (`decoder_crashed`), one that overruns is killed (`timeout`), and either way a fresh worker
is started in the background. Workers are also replaced after `max_jobs` jobs (recycling). A job that fails
comes back as a failures.FileFailure and is raised again as its error.

A worker dies with the server, SIGKILL included (extractors.parent: it watches its parent id), so a killed server
leaves no worker decoding for nobody, and a restarted one never finds the last one's.
"""
from __future__ import annotations

import itertools
import logging
import os
import queue
import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from extractors.errors import MediaError, ReelsenseError
from extractors.parent import exit_with_parent
from service.errors import WorkerError
from service.options import WorkerOptions
from service.pipeline.failures import FileFailure
from service.pipeline.processes import SPAWN, start_staggered

if TYPE_CHECKING:
    from service.pipeline.analyzer import Analyzer
    from service.records import VideoRecord

log = logging.getLogger(__name__)
AnalyzerBuilder = Callable[[], "Analyzer"]  # the factory's picklable builder of the analyzer


def _virtual_memory_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit_memory(headroom_mb: int) -> int:
    """Cap this process's address space at its current size plus `headroom_mb`; returns the cap."""
    if headroom_mb <= 0:
        return 0
    cap = _virtual_memory_bytes() + headroom_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    return cap


def _analyze(analyzer, path: str, meta: dict, video_id: str):
    from extractors.base import VideoMeta

    # media.decode refuses playlists and other demuxers itself, before FFmpeg reads anything but the file
    return analyzer.finish(analyzer.prepare(Path(path), VideoMeta(**meta), video_id))


def worker_main(conn, build: AnalyzerBuilder, memory_mb: int, parent: int) -> None:
    """Entry point of a worker process: build the analyzer, report ready, then serve jobs until told to stop.
    Replies: ("ready", info) or ("broken", why) once; then ("ok", job id, record) or ("failed", job id, FileFailure)
    per job."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    exit_with_parent(parent)
    try:
        analyzer = build()
        cap = _limit_memory(memory_mb)
    except Exception as exc:  # reported once to the parent, which logs it
        conn.send(("broken", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", {"pid": os.getpid(), "space_id": analyzer.space_id, "memory_cap": cap}))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        job_id, path, meta, video_id = message
        try:
            conn.send(("ok", job_id, _analyze(analyzer, path, meta, video_id)))
        except MemoryError:
            conn.send(("failed", job_id, failure_reply(path, WorkerError(
                "out_of_memory", "analysing this file needed more memory than a worker may use"))))
            return  # leave a clean process behind: the pool starts a fresh one
        except Exception as exc:  # one bad file must not take the worker down
            conn.send(("failed", job_id, failure_reply(path, exc)))


def failure_reply(path: str, exc: Exception) -> FileFailure:
    """The reply for a failed job: a MediaError as itself, with our temporary file's name (the client knows it as
    "the upload"); another deliberate error, or any other exception, as the worker's failure."""
    if isinstance(exc, MediaError):
        return FileFailure(path, exc.code, exc.message.replace(Path(path).name, "the upload"))
    if not isinstance(exc, ReelsenseError):
        exc = WorkerError("analysis_failed", f"{type(exc).__name__}: {exc}")
    return FileFailure(path, exc.code, exc.message, worker=True)


@dataclass
class _Worker:
    process: object  # a multiprocessing process of the spawn context
    conn: object
    pid: int
    jobs: int = 0
    info: dict = field(default_factory=dict)


class WorkerPool:
    """`options.count` worker processes running the analyzer that `build` makes; `run` blocks the calling thread
    until its job is done."""

    def __init__(self, build: AnalyzerBuilder, options: WorkerOptions, startup_timeout_s: float = 300.0):
        self.build = build
        self.size = max(1, options.count)
        self.timeout_s = options.job_timeout_s
        self.max_jobs = max(1, options.max_jobs)
        self.memory_mb = options.memory_mb
        self.startup_timeout_s = startup_timeout_s
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._busy: dict[int, _Worker] = {}
        self._lock = threading.Lock()
        self._job_ids = itertools.count(1)
        self._closed = False
        self._ready = 0
        self.space_id: str | None = None
        self.last_error: str | None = None
        self.restarts = 0

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the first worker, then the others once it is up (processes.start_staggered)."""
        start_staggered(self._spawn, self._spawn, self.size, "worker")

    def _spawn_in_background(self) -> None:
        threading.Thread(target=self._spawn, name="worker-spawn", daemon=True).start()

    def _spawn(self) -> None:
        if self._closed:
            return
        parent, child = SPAWN.Pipe()
        process = SPAWN.Process(target=worker_main, args=(child, self.build, self.memory_mb, os.getpid()),
                                name="reelsense-worker", daemon=True)
        process.start()
        child.close()
        try:
            message = parent.recv() if parent.poll(self.startup_timeout_s) else ("broken", "startup timed out")
        except (EOFError, OSError):
            message = ("broken", f"worker exited during startup (exit code {process.exitcode})")
        if message[0] != "ready" or self._closed:
            self.last_error = message[1] if message[0] != "ready" else None
            if self.last_error:
                log.error("worker failed to start: %s", self.last_error)
            self._kill(process)
            parent.close()
            return
        worker = _Worker(process, parent, process.pid, info=message[1])
        self.space_id = message[1]["space_id"]
        with self._lock:
            self._ready += 1
        self._idle.put(worker)

    @staticmethod
    def _kill(process) -> None:
        if process.is_alive():
            process.kill()
        process.join(timeout=5)

    @staticmethod
    def _stop(worker: _Worker) -> None:
        """Ask a worker to exit after its current job (a None job), and give it a moment to do so."""
        try:
            worker.conn.send(None)
        except OSError:
            pass
        worker.process.join(timeout=5)

    def _retire(self, worker: _Worker, graceful: bool) -> None:
        with self._lock:
            self._ready -= 1
        if graceful:
            self._stop(worker)
        self._kill(worker.process)
        worker.conn.close()
        self.restarts += 1
        self._spawn_in_background()

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            self._stop(worker)
            self._kill(worker.process)
        for worker in list(self._busy.values()):
            self._kill(worker.process)

    # -- state -----------------------------------------------------------------------------------
    @property
    def ready_workers(self) -> int:
        return max(0, self._ready)

    def busy_pids(self) -> list[int]:
        with self._lock:
            return list(self._busy)

    # -- jobs ------------------------------------------------------------------------------------
    def run(self, path: str | os.PathLike, meta: dict, video_id: str, timeout_s: float | None = None,
            wait_s: float | None = None) -> VideoRecord:
        """Analyse one file in a worker and return its VideoRecord; a failure is raised as its error (MediaError
        for the file, WorkerError for the worker: `busy`, `decoder_crashed`, `timeout`, ...)."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        try:
            worker = self._idle.get(timeout=self.startup_timeout_s if wait_s is None else wait_s)
        except queue.Empty:
            raise WorkerError("busy", "no analysis worker became free in time; try again later") from None
        job_id = next(self._job_ids)
        with self._lock:
            self._busy[worker.pid] = worker
        started = time.monotonic()
        try:
            try:
                worker.conn.send((job_id, str(path), meta, video_id))
                finished = worker.conn.poll(timeout)
                message = worker.conn.recv() if finished else None
            except (EOFError, OSError):
                self._retire(worker, graceful=False)
                raise WorkerError("decoder_crashed", "the analysis worker died while processing this file "
                                  f"(exit code {worker.process.exitcode})") from None
            if message is None:
                self._retire(worker, graceful=False)
                raise WorkerError("timeout", f"analysis did not finish within {timeout:g} s and was stopped")
        finally:
            with self._lock:
                self._busy.pop(worker.pid, None)
        worker.jobs += 1
        log.debug("job %s done in %.2f s by worker %s", job_id, time.monotonic() - started, worker.pid)
        self._after_job(worker, message)
        if message[0] == "ok":
            return message[2]
        raise message[2].error()

    def _after_job(self, worker: _Worker, message: tuple) -> None:
        """Back to the idle workers, or replaced: after running out of memory, or after `max_jobs` jobs."""
        if message[0] == "failed" and message[2].code == "out_of_memory":
            self._retire(worker, graceful=False)
        elif worker.jobs >= self.max_jobs:
            self._retire(worker, graceful=True)
        else:
            self._idle.put(worker)
