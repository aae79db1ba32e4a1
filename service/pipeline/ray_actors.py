"""The two kinds of Ray Data actors of `reelsense embed --engine ray` (ray_engine.py wires them). Both are plain
classes: Ray builds one per actor, so models load once per actor, and they do not import ray themselves.

- `MediaActor` (CPU): copies a file to the node when it is remote, hashes it, skips ids already embedded, and
  runs the CPU stage (stages.MediaStage: decode, frame statistics, OCR, audio) in one spawned worker process,
  the local engine's pool.MediaPool, so a file that crashes the decoder is a `decoder_crashed` row, not a
  lost actor.
- `ModelActor` (a GPU each when the cluster has them): text encoder, CLIP on the frames of the whole batch,
  fusion, then one Parquet shard per batch, written straight to the output folder (never next to shards of
  another embedding space).

Between them each file is one row of `STAGE_SCHEMA`; the job's output is one row of `SUMMARY_SCHEMA` a file.
"""
from __future__ import annotations

import fcntl
import json
import os
import pickle
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from extractors.base import VideoMeta
from extractors.errors import MediaError
from service.pipeline.failures import file_error
from service.pipeline.pool import BrokenProcessPool, MediaPool, StageBuilder, crashed, timed_out
from service.pipeline.shards import write_shard
from service.pipeline.sidecar import read_sidecar
from service.pipeline.sources import local_copy

if TYPE_CHECKING:
    from service.pipeline.analyzer import Analyzer


def sidecar_warning(problem: MediaError) -> str:
    from service.pipeline.analyzer import sidecar_warning as warning  # the analyzer's models load lazily

    return warning(problem)

STAGE_SCHEMA = pa.schema([
    ("path", pa.string()), ("id", pa.string()),
    ("status", pa.string()),  # "ok", "skipped" (already embedded) or "failed"
    ("code", pa.string()), ("message", pa.string()),
    ("meta", pa.string()),  # the sidecar's words, JSON
    ("sidecar_warning", pa.string()),  # why the sidecar was ignored (analyzer.sidecar_warning), or null
    ("result", pa.large_binary()),  # the pickled stages.MediaResult
])
SUMMARY_SCHEMA = pa.schema([
    ("path", pa.string()), ("id", pa.string()),
    ("status", pa.string()),  # "written", "skipped" or "failed"
    ("code", pa.string()), ("message", pa.string()),
    ("shard", pa.string()),  # the shard's name, for written rows
    ("seconds", pa.string()),  # seconds per stage, JSON
    ("warnings", pa.string()),  # JSON list of {"code", "message"}: embedded, but e.g. without its sidecar's words
])
Claim = Callable[[str, str], "str | None"]  # (id, path) -> None when this file claims the id, else the claimant


@contextmanager
def _node_lock(folder: Path):
    """One CPU-stage actor at a time on a node builds its stage: the first fills librosa's JIT cache alone
    (numba's cache is not safe for concurrent writers), the others then load it."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".reelsense-start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class MediaActor:
    """The CPU stage of one file per call, built in one worker process by `build` (the factory's builder). `done`:
    ids already in the output's shards or the given store; `claim`: the run's registry of ids (ray_engine.IdClaims),
    so a second file with the same content is skipped, not embedded and written again. The worker process starts
    with the first file to decode, so a rerun that skips everything starts none."""

    def __init__(self, build: StageBuilder, done: frozenset[str], sidecar_max_bytes: int, numba_cache: str,
                 threads: int = 1, claim: Claim | None = None, file_timeout_s: float | None = None):
        self.build, self.done, self.threads, self.claim = build, done, threads, claim
        self.file_timeout_s = file_timeout_s
        self.sidecar_max_bytes, self.numba_cache = sidecar_max_bytes, numba_cache
        self._pool: MediaPool | None = None

    @property
    def pool(self) -> MediaPool:
        if self._pool is None:
            with _node_lock(Path(os.environ.get("NUMBA_CACHE_DIR") or self.numba_cache)):
                self._pool = MediaPool(self.build, 1, self.threads).warm().ready()
        return self._pool

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = [self.run(location) for location in batch.column("path").to_pylist()]
        return pa.Table.from_pylist(rows, schema=STAGE_SCHEMA)

    def run(self, location: str) -> dict:
        row = dict.fromkeys(STAGE_SCHEMA.names) | {"path": location, "status": "failed"}
        try:
            copy = local_copy(location)
        except OSError as exc:
            return row | {"code": "unreadable", "message": f"{location}: {exc}"}
        try:
            row["id"] = copy.sha256
            if copy.sha256 in self.done:
                return row | {"status": "skipped"}
            first = self.claim(copy.sha256, location) if self.claim else None
            if first is not None:
                return row | {"status": "skipped", "code": "same_content", "message": f"the same content as {first}"}
            result = self.pool.submit(copy.path).result(timeout=self.file_timeout_s)
            sidecar = read_sidecar(copy.path, self.sidecar_max_bytes)
            warning = sidecar_warning(sidecar.problem) if sidecar.problem else None
            return row | {"status": "ok", "meta": json.dumps(asdict(sidecar.meta)), "sidecar_warning": warning,
                          "result": pickle.dumps(result, protocol=5)}
        except MediaError as exc:
            return row | {"code": exc.code, "message": exc.message}
        except BrokenProcessPool:
            self.pool.restart()
            error = crashed(Path(location))
            return row | {"code": error.code, "message": error.message}
        except TimeoutError:  # its worker is stuck on it: a fresh one takes the next file
            self.pool.replace()
            error = timed_out(Path(location), self.file_timeout_s or 0.0)
            return row | {"code": error.code, "message": error.message}
        except Exception as exc:  # any other failure of this one file (pipeline/failures.py)
            error = file_error(Path(location), exc)
            return row | {"code": error.code, "message": error.message}
        finally:
            copy.remove()


class ModelActor:
    """Text, CLIP and fusion for a batch of CPU-stage rows, written as one shard to `out`. `build` is the factory's
    builder of an analyzer whose CPU stage runs elsewhere; `threads` caps torch and BLAS in this actor (its CPU
    reservation; 0 on a GPU actor). Models load once, with the first batch that has a file to embed."""

    def __init__(self, build: Callable[[int], Analyzer], out: str, spaces: frozenset[str] = frozenset(),
                 threads: int = 0):
        self.build, self.threads = build, threads
        self.out, self.spaces = out, spaces
        self._analyzer: Analyzer | None = None

    @property
    def analyzer(self) -> Analyzer:
        if self._analyzer is None:
            self._analyzer = self.build(self.threads)
        return self._analyzer

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.to_pylist()
        ok = [r for r in rows if r["status"] == "ok"]
        if ok and self.spaces and self.analyzer.space_id not in self.spaces:
            refused = {"status": "failed", "code": "space_mismatch", "message": self._other_space()}
            rows = [r | refused if r["status"] == "ok" else r for r in rows]
            ok = []
        shard, seconds, warnings = self.embed(ok) if ok else ("", [], [])
        done = iter(zip(seconds, warnings, strict=True))
        summary = [
            {"path": r["path"], "id": r["id"], "code": r["code"], "message": r["message"],
             **(self._written(shard, *next(done)) if r["status"] == "ok"
                else {"status": r["status"], "shard": None, "seconds": None, "warnings": None})}
            for r in rows
        ]
        return pa.Table.from_pylist(summary, schema=SUMMARY_SCHEMA)

    @staticmethod
    def _written(shard: str, seconds: dict, warnings: list) -> dict:
        return {"status": "written", "shard": shard, "seconds": json.dumps(seconds),
                "warnings": json.dumps([{"code": w.code, "message": w.message} for w in warnings])}

    def _other_space(self) -> str:
        return (f"{self.out} holds vectors of embedding space {sorted(self.spaces)[0]}; these models make "
                f"{self.analyzer.space_id}, which are never mixed: write to another folder")

    def embed(self, rows: list[dict]) -> tuple[str, list[dict[str, float]], list[list]]:
        """The records of `rows` in one shard; returns its name, each file's seconds per stage and warnings."""
        from service.pipeline.batch import sidecar_warnings
        from service.pipeline.runner import embed_prepared

        analyzer = self.analyzer  # models load with the first batch that has files to embed
        prepared = analyzer.with_text([(Path(r["path"]), pickle.loads(r["result"]), VideoMeta(**json.loads(r["meta"])),
                                        r["id"]) for r in rows])
        for p, r in zip(prepared, rows, strict=True):
            if r["sidecar_warning"]:  # the words came from the CPU-stage actor; so does what was wrong with them
                p.warnings.append(r["sidecar_warning"])
        vectors = embed_prepared(analyzer, prepared)
        records = [replace(analyzer.finish(p, v), path=r["path"])  # a URI stays a URI
                   for p, v, r in zip(prepared, vectors, rows, strict=True)]
        warnings = [sidecar_warnings(r.path, r) for r in records]
        return write_shard(records, self.out), [p.seconds for p in prepared], warnings
