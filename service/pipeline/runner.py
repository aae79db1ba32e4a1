"""`Analyzer.analyze_many`'s machinery: keep every core busy and CLIP fed.

The CPU stage (decode, frame statistics, OCR, audio) of the next files runs in worker processes while this
process embeds the text and the frames of the files already done. Whatever has finished when CLIP is free is
taken together, so one forward pass holds frames of several videos (`clip_batch` frames at most per pass).
Results come out in input order. When a GPU decodes (NVDEC), threads here decode each file's video first
and hand the frames to the CPU stage, which then decodes only the audio.

A worker process that dies (a decoder crash, the memory limit) breaks the whole pool and it is not known
which file did it: the pool is restarted and the files that were in flight run one at a time, so a file that
breaks it again is the one reported (`decoder_crashed`); the others go on. A file whose CPU stage overruns
`file_timeout_s` (counted from when this process starts waiting for it, so never less than its own run) is
reported as `file_timeout`: the workers are replaced and the other files in flight run again.
"""
from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from extractors.errors import MediaError
from service.pipeline.failures import file_error
from service.pipeline.pool import BrokenProcessPool, MediaPool, ThreadMedia, crashed, timed_out
from service.pipeline.stages import MediaResult

if TYPE_CHECKING:
    from service.pipeline.analyzer import Analyzer, BatchOptions, Prepared
    from service.records import VideoRecord

log = logging.getLogger(__name__)
NVDEC_THREADS = 8  # files decoded on the GPU at once (the probe: 8 threads kept NVDEC busy on an H200)
Outcome = tuple[Path, "VideoRecord | None", MediaError | None, dict[str, float]]


class BatchRunner:
    def __init__(self, analyzer: Analyzer, options: BatchOptions):
        self.analyzer, self.options = analyzer, options
        self.media: MediaPool | ThreadMedia | None = None
        self.gpu_threads: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[Path, Future]] = deque()
        self._source: Iterator[Path] = iter(())
        self._ids: dict[Path, str] = {}
        self._alone = 0  # files still to run one at a time after a worker crash

    def run(self, paths: Iterable[Path], ids: dict[Path, str] | None = None,
            pool: MediaPool | None = None) -> Iterator[Outcome]:
        """`pool`: worker processes the caller started (and closes); else one is started here for this batch."""
        self._source, self._ids = iter(paths), ids or {}
        self.media = pool or self._start_media()
        if self.options.gpu_decoder is not None:
            threads = min(self.options.lookahead, NVDEC_THREADS)
            self.gpu_threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="nvdec")
        try:
            self._refill()
            self.analyzer.visual.warm_up_background()  # the zero-shot prompts while the first files decode
            while self._pending:
                group = self._take_ready()
                self._refill()  # keep the workers busy while this process runs text and CLIP
                yield from self._finish(group)
        finally:
            if self.gpu_threads is not None:
                self.gpu_threads.shutdown(wait=True, cancel_futures=True)
            if pool is None:
                self.media.close()

    def _start_media(self) -> MediaPool | ThreadMedia:
        o = self.options
        if o.processes > 1:
            return MediaPool(o.media_builder, o.processes).warm()
        return ThreadMedia(self.analyzer.media, o.lookahead)

    def _submit(self, path: Path) -> Future[MediaResult]:
        if self.gpu_threads is None:
            return self.media.submit(path)
        decoder, media = self.options.gpu_decoder, self.media
        return self.gpu_threads.submit(lambda: media.submit(path, decoder.decode_or_none(path)).result())

    def _refill(self) -> None:
        limit = 1 if self._alone else max(1, self.options.lookahead)
        while len(self._pending) < limit:
            path = next(self._source, None)
            if path is None:
                return
            self._pending.append((path, self._submit(path)))

    def _take_ready(self) -> list[tuple[Path, MediaResult | MediaError]]:
        """The next file (waiting for it), plus those after it that are already done, up to a CLIP batch."""
        path, future = self._pending.popleft()
        group = [(path, self._result(path, future))]
        frames = _frames(group[0][1])
        while self._pending and self._pending[0][1].done() and frames < self.options.clip_batch:
            path, future = self._pending.popleft()
            group.append((path, self._result(path, future)))
            frames += _frames(group[-1][1])
        return group

    def _result(self, path: Path, future: Future[MediaResult]) -> MediaResult | MediaError:
        try:
            result = future.result(timeout=self.options.file_timeout_s)
        except TimeoutError:
            return self._after_timeout(path)
        except (BrokenProcessPool, CancelledError):  # cancelled: lost with a pool that was replaced
            return self._after_crash(path)
        except Exception as exc:  # this file's failure, whatever it is (pipeline/failures.py)
            result = file_error(path, exc)
        self._alone = max(0, self._alone - 1)
        return result

    def _after_crash(self, path: Path) -> MediaResult | MediaError:
        self.media.restart()
        if self._alone:  # it ran alone: this file broke the pool
            self._alone -= 1
            log.warning("%s stopped a worker process on its own: reported as decoder_crashed", path)
            return crashed(path)
        in_flight = [p for p, _ in self._pending]
        log.warning("a worker process died; pool restarted, %d files in flight run again one at a time",
                    len(in_flight) + 1)
        self._pending.clear()
        self._source = itertools.chain(in_flight, self._source)
        self._alone = len(in_flight) + 1
        return self._result(path, self._submit(path))

    def _after_timeout(self, path: Path) -> MediaError:
        """The file overran its limit: its worker is stopped with the others (which one runs it is not known), and
        the files they had in flight run again."""
        seconds = float(self.options.file_timeout_s or 0)
        in_flight = [p for p, _ in self._pending]
        log.warning("%s overran the per-file limit of %g s: workers replaced, %d files in flight run again",
                    path, seconds, len(in_flight))
        self._pending.clear()
        self.media.replace()
        self._source = itertools.chain(in_flight, self._source)
        self._alone = max(0, self._alone - 1)
        return timed_out(path, seconds)

    def _finish(self, group: list[tuple[Path, MediaResult | MediaError]]) -> Iterator[Outcome]:
        """Text for the group's files in one encoder call, CLIP on all their frames, then fusion; in order."""
        done = iter(self._finish_files([(path, r) for path, r in group if isinstance(r, MediaResult)]))
        for path, r in group:
            if isinstance(r, MediaError):
                yield path, None, r, {}
            else:
                outcome, seconds = next(done)
                if isinstance(outcome, MediaError):
                    yield path, None, outcome, {}
                else:
                    yield path, outcome, None, seconds

    def _finish_files(self, ok: list[tuple[Path, MediaResult]]) -> list[tuple[VideoRecord | MediaError, dict]]:
        """Each file's record or error; when the shared text or CLIP pass fails, each file is tried alone, so
        only the file that fails it gets the error."""
        try:
            prepared = self.analyzer.with_text([(path, r, None, self._ids.get(path)) for path, r in ok])
            vectors = self._embed(prepared)
        except Exception as exc:
            if len(ok) == 1:
                return [(file_error(ok[0][0], exc), {})]
            log.warning("text or CLIP failed for a group of %d files; each runs alone", len(ok))
            return [self._finish_files([item])[0] for item in ok]
        outcomes: list[tuple[VideoRecord | MediaError, dict]] = []
        for p, v in zip(prepared, vectors, strict=True):
            try:
                outcomes.append((self.analyzer.finish(p, v), p.seconds))
            except Exception as exc:
                outcomes.append((file_error(p.path, exc), {}))
        return outcomes

    def _embed(self, prepared: list[Prepared]) -> list[np.ndarray | None]:
        return embed_prepared(self.analyzer, prepared)


def embed_prepared(analyzer: Analyzer, prepared: list[Prepared]) -> list[np.ndarray | None]:
    """Per file, its frames' unit CLIP vectors from shared forward passes (None without CLIP weights); each
    file is charged its share of the time. Used by this runner and by the Ray engine's model actors."""
    visual = analyzer.visual
    if visual.clip is None or not prepared:
        return [None] * len(prepared)
    t0 = time.perf_counter()
    counts = [len(p.media.frames) for p in prepared]
    vectors = visual.embed_frames([f for p in prepared for f in p.media.frames])
    elapsed = time.perf_counter() - t0
    for p, n in zip(prepared, counts, strict=True):
        p.seconds["visual"] = elapsed * n / max(1, sum(counts))
    bounds = np.cumsum([0, *counts])
    return [vectors[a:b] for a, b in itertools.pairwise(bounds)]


def _frames(result: MediaResult | MediaError) -> int:
    return len(result.media.frames) if isinstance(result, MediaResult) else 0
