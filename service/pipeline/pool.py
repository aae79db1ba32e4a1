"""Where a batch runs the CPU stage (stages.MediaStage): worker processes, one per core by default, or threads
of this process. Both hand back futures of `MediaResult`; a MediaError raised in a worker comes back as itself.

Processes, because decoding, face detection, OCR and librosa each hold the GIL for part of their work and
threads of one process could not keep the cores busy. Each worker builds its stage once (librosa warmed up,
no CLIP, no text encoder) with its libraries capped at its share of the cores, so N workers do not start
N x cores threads. Workers are spawned, never forked from a process holding model weights and threads.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from extractors.errors import MediaError
from extractors.media import DecodedMedia
from extractors.parent import exit_with_parent
from service.pipeline.processes import SPAWN, start_staggered
from service.pipeline.stages import MediaResult, MediaStage

StageBuilder = Callable[[int], MediaStage]  # the factory's picklable builder: thread cap -> the CPU stage
_WORKER_STAGE: MediaStage | None = None  # the stage of this worker process (set by _start_worker)
_WORKER_ERROR: Exception | None = None  # why it could not be built (raised with every task, in the caller)


def _start_worker(build: StageBuilder, threads: int, parent: int) -> None:
    """Initializer of a worker process: build its stage once, with every library capped at `threads`."""
    global _WORKER_STAGE, _WORKER_ERROR
    exit_with_parent(parent)  # a killed batch takes its workers with it
    try:
        _WORKER_STAGE = build(threads)
    except Exception as exc:  # e.g. a missing model: reported to the caller, not as a broken pool
        _WORKER_ERROR = exc


def _run_in_worker(path: Path, video: DecodedMedia | None) -> MediaResult:
    _started()
    return _WORKER_STAGE.run(path, video)


def _started() -> bool:
    if _WORKER_ERROR is not None:
        raise _WORKER_ERROR
    return True


class MediaPool:
    """`processes` spawned workers running the CPU stage that `build` makes (the factory's builder); `restart`
    replaces a pool a crashed worker broke."""

    def __init__(self, build: StageBuilder, processes: int, threads_per_process: int | None = None):
        self.build, self.processes = build, processes
        self.threads = threads_per_process or max(1, len(os.sched_getaffinity(0)) // processes)
        self._executor = self._start()
        self._first: Future | None = None

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.processes, mp_context=SPAWN, initializer=_start_worker,
                                   initargs=(self.build, self.threads, os.getpid()))

    def submit(self, path: Path, video: DecodedMedia | None = None) -> Future[MediaResult]:
        self._wait_for_first()
        try:
            return self._executor.submit(_run_in_worker, path, video)
        except BrokenProcessPool:  # a worker died while the pool was idle (the files in flight report it)
            self.restart()
            self._wait_for_first()
            return self._executor.submit(_run_in_worker, path, video)

    def _wait_for_first(self) -> None:
        """No second worker may start before the first has filled the JIT cache; its start-up error is raised."""
        if self._first is not None:
            try:
                self._first.result()
            except BrokenProcessPool:
                pass  # the next submit finds the pool broken and replaces it

    def warm(self) -> MediaPool:
        """Start the workers now (they spawn on demand), so they load while the caller loads its models: the
        first alone, the others once it is ready (processes.start_staggered)."""
        first = self._first = self._executor.submit(_started)
        executor = self._executor

        def start_another() -> None:
            try:
                executor.submit(_started)
            except (BrokenProcessPool, RuntimeError):  # the pool broke or was shut down meanwhile
                pass

        start_staggered(first.result, start_another, self.processes, "media-pool")
        return self

    def ready(self) -> MediaPool:
        """Block until the first worker is up (after `warm`); its start-up error is raised here."""
        self._wait_for_first()
        return self

    def restart(self) -> None:
        """Replace the pool when a dead worker broke it (nothing happens while it works)."""
        try:
            self._executor.submit(_started)
            return
        except BrokenProcessPool:
            pass
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = self._start()
        self.warm()

    def replace(self) -> None:
        """Stop every worker now (one is stuck on a file that overran its time) and start fresh ones; what the
        others had in flight is lost, and the caller submits it again."""
        for process in list(self._executor._processes.values()):  # no public kill before Python 3.14
            process.kill()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = self._start()
        self.warm()

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


class ThreadMedia:
    """The CPU stage in `workers` threads of this process (`media_processes=1`, and single-core machines)."""

    def __init__(self, stage: MediaStage, workers: int):
        self.stage, self.workers = stage, max(1, workers)
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="prepare")

    def submit(self, path: Path, video: DecodedMedia | None = None) -> Future[MediaResult]:
        return self._executor.submit(self.stage.run, path, video)

    def restart(self) -> None:  # threads cannot break the way a process pool does
        pass

    def replace(self) -> None:
        """A thread cannot be stopped: the one stuck on an overrunning file is left to finish on its own, and new
        threads take the files that follow."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="prepare")

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def timed_out(path: Path, seconds: float) -> MediaError:
    """The error reported for a file whose CPU stage overran the batch's per-file limit."""
    return MediaError("file_timeout", f"{Path(path).name}: analysis took longer than {seconds:g} s "
                      "(REELSENSE_FILE_TIMEOUT_S); its worker was stopped")


def crashed(path: Path) -> MediaError:
    """The error reported for a file whose worker process died (a decoder crash or the memory limit)."""
    return MediaError("decoder_crashed", f"{Path(path).name}: the worker process decoding it stopped abruptly")


__all__ = ["BrokenProcessPool", "MediaPool", "ThreadMedia", "crashed", "timed_out"]
