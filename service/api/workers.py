"""Worker processes that decode and analyse uploads, so a crash, hang or memory blow-up costs one request.

Each worker loads the models once (CLIP, MiniLM, librosa warmed up), then caps its own address space
(resource.setrlimit) at what the loaded models use plus a headroom. The pool hands a job to one idle
worker and waits on that worker's pipe with a wall-clock timeout: a worker that dies fails only its own
job (`decoder_crashed`), one that overruns is killed (`timeout`), and either way a fresh worker is
started in the background. Workers are also replaced after `max_jobs` jobs (recycling).

A worker dies with the server: it holds the read end of a pipe (its lifeline) whose only write end is the
server's, and a thread in the worker exits the process as soon as that end closes, which the kernel does when the
server exits in any way, SIGKILL included. So a killed server leaves no worker decoding for nobody, and a
restarted one never finds the last one's. (Linux's parent-death signal, prctl(PR_SET_PDEATHSIG), would not do:
it fires when the *thread* that started the child exits, and workers are started from short-lived threads; it is
also Linux-only, where a pipe works on every POSIX system.)
"""
from __future__ import annotations

import itertools
import logging
import multiprocessing as mp
import os
import queue
import resource
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from extractors.errors import MediaError, ReelsenseError
from service.errors import WorkerError

log = logging.getLogger(__name__)


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


def _exit_with_parent(lifeline) -> None:
    """Exit this process at once when the parent's end of `lifeline` closes (the parent exited or let go)."""

    def watch() -> None:
        try:
            lifeline.recv()  # nothing is ever sent: this returns only by EOF
        except (EOFError, OSError):
            pass
        os._exit(0)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def worker_main(conn, settings, memory_mb: int, lifeline=None) -> None:
    """Entry point of a worker process: load models, report ready, then serve jobs until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    if lifeline is not None:
        _exit_with_parent(lifeline)
    from service.factory import Components

    try:
        analyzer = Components(settings).analyzer
        cap = _limit_memory(memory_mb)
    except Exception as exc:  # reported once to the parent, which logs it
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
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
        except MediaError as exc:  # the message names our temporary file; the client knows it as "the upload"
            conn.send(("error", job_id, "media", exc.code, exc.message.replace(Path(path).name, "the upload")))
        except ReelsenseError as exc:
            conn.send(("error", job_id, "worker", exc.code, exc.message))
        except MemoryError:
            conn.send(("error", job_id, "worker", "out_of_memory",
                       "analysing this file needed more memory than a worker may use"))
            return  # leave a clean process behind: the pool starts a fresh one
        except Exception as exc:  # one bad file must not take the worker down
            conn.send(("error", job_id, "worker", "analysis_failed", f"{type(exc).__name__}: {exc}"))


@dataclass
class _Worker:
    process: mp.process.BaseProcess
    conn: object
    pid: int
    lifeline: object  # the write end of the worker's lifeline: closing it ends the worker
    jobs: int = 0
    info: dict = field(default_factory=dict)


class WorkerPool:
    """A fixed number of worker processes; `run` blocks the calling thread until its job is done."""

    def __init__(self, settings, size: int = 2, timeout_s: float = 120.0, max_jobs: int = 200,
                 memory_mb: int = 2048, startup_timeout_s: float = 300.0):
        self.settings = settings
        self.size = max(1, size)
        self.timeout_s = timeout_s
        self.max_jobs = max(1, max_jobs)
        self.memory_mb = memory_mb
        self.startup_timeout_s = startup_timeout_s
        self._ctx = mp.get_context("spawn")  # no fork of a process holding threads and model weights
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
        """Start the first worker, then the others once it is up (it fills librosa's JIT cache for them)."""

        def staggered() -> None:
            self._spawn()
            for _ in range(self.size - 1):
                self._spawn_in_background()

        threading.Thread(target=staggered, name="worker-start", daemon=True).start()

    def _spawn_in_background(self) -> None:
        threading.Thread(target=self._spawn, name="worker-spawn", daemon=True).start()

    def _spawn(self) -> None:
        if self._closed:
            return
        parent, child = self._ctx.Pipe()
        lifeline_end, lifeline = self._ctx.Pipe(duplex=False)  # (read end for the worker, write end kept here)
        process = self._ctx.Process(target=worker_main, args=(child, self.settings, self.memory_mb, lifeline_end),
                                    name="reelsense-worker", daemon=True)
        process.start()
        child.close()
        lifeline_end.close()
        try:
            message = parent.recv() if parent.poll(self.startup_timeout_s) else ("failed", "startup timed out")
        except (EOFError, OSError):
            message = ("failed", f"worker exited during startup (exit code {process.exitcode})")
        if message[0] != "ready" or self._closed:
            self.last_error = message[1] if message[0] != "ready" else None
            if self.last_error:
                log.error("worker failed to start: %s", self.last_error)
            self._kill(process)
            parent.close()
            lifeline.close()
            return
        worker = _Worker(process, parent, process.pid, lifeline, info=message[1])
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
        worker.lifeline.close()
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
            worker.lifeline.close()
        for worker in list(self._busy.values()):
            self._kill(worker.process)
            worker.lifeline.close()

    # -- state -----------------------------------------------------------------------------------
    @property
    def ready_workers(self) -> int:
        return max(0, self._ready)

    def busy_pids(self) -> list[int]:
        with self._lock:
            return list(self._busy)

    # -- jobs ------------------------------------------------------------------------------------
    def run(self, path: str | os.PathLike, meta: dict, video_id: str, timeout_s: float | None = None,
            wait_s: float | None = None):
        """Analyse one file in a worker and return its VideoRecord; WorkerError or MediaError-coded failures."""
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
        if message[0] == "error" and message[3] == "out_of_memory":
            self._retire(worker, graceful=False)
        elif worker.jobs >= self.max_jobs:
            self._retire(worker, graceful=True)
        else:
            self._idle.put(worker)
        if message[0] == "ok":
            return message[2]
        _, _, kind, code, text = message
        raise (MediaError if kind == "media" else WorkerError)(code, text)
