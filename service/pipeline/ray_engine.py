"""`reelsense embed --engine ray`: the batch pipeline on Ray Data, from one laptop to a cluster of GPU nodes.

    list media (driver) -> MediaActor pool (CPU: fetch, hash, skip, decode, frame stats, OCR, audio)
                        -> ModelActor pool (a GPU each when there are GPUs: text, CLIP, fusion, one shard a batch)
                        -> one summary row a file back to the driver (progress, errors file)

The stages are the local engine's (stages.py, pool.py, runner.py), so a file gets the same id and vectors
either way; the shards have the schema of `reelsense embed --out` and `reelsense import` loads them. Ray
Data schedules the actors and holds decoding back when the model actors fall behind (`ray_in_flight` calls
queued per actor, and its object-store budget). A rerun skips ids already in the output's shards or in the
store given with `--db`; files that failed are tried again.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from extractors.errors import ReelsenseError
from service.errors import CommandError, ConfigError
from service.options import RayOptions
from service.pipeline.batch import EmbedReport, OnFailure, Progress
from service.pipeline.embed import EmbedEngine
from service.pipeline.failures import FileFailure
from service.pipeline.pool import StageBuilder
from service.pipeline.ray_actors import MediaActor, ModelActor
from service.pipeline.shards import shard_ids, write_errors
from service.pipeline.sources import list_media

log = logging.getLogger(__name__)
INSTALL_HINT = "pip install 'reelsense[ray]'"


def require_ray():
    """The `ray` module, or a ConfigError saying how to install it."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise ConfigError("ray_missing", f"`--engine ray` needs Ray Data, which is not installed: {INSTALL_HINT}"
                          ) from None
    return ray


@dataclass(frozen=True)
class ActorPlan:
    """How many actors of each kind and what each reserves: a model actor a GPU (when there are GPUs) and
    `model_cpus` CPUs, a CPU-stage actor `media_cpus` CPUs."""

    media_actors: int
    media_cpus: float
    model_actors: int
    model_gpus: int
    model_cpus: float


def plan_actors(options: RayOptions, resources: dict[str, float]) -> ActorPlan:
    """Model actors: one per GPU (one without GPUs) unless set. CPU-stage actors: one per CPU the model actors
    leave free with GPUs; without GPUs one per CPU, sharing the model actors' reservation, because CLIP on a
    CPU waits for the CPU stage most of the time (as the local engine's main process does beside its pool)."""
    gpus, cpus = int(resources.get("GPU", 0)), resources.get("CPU", 1.0)
    models = options.model_actors or max(1, gpus)
    free = max(cpus - models * options.model_cpus, 0.0)
    media = options.media_actors or max(1, int(free if gpus else cpus))
    media_cpus = round(min(1.0, max(free / media, 0.01)), 3)
    return ActorPlan(media, media_cpus, models, 1 if gpus else 0, options.model_cpus)


@dataclass(frozen=True)
class RayStages:
    """What the actors build, from the factory: the CPU stage (`media`), an analyzer whose CPU stage runs
    elsewhere (`models`), both picklable builders taking a thread cap; and what the CPU-stage actor reads beside
    its stage (the sidecar limit, the numba cache folder its node's first actor fills alone)."""

    media: StageBuilder
    models: Callable
    sidecar_max_bytes: int
    numba_cache: str
    file_timeout_s: float | None = None


class RayEngine(EmbedEngine):
    """Every media file under a folder or URI into Parquet shards under `out`, skipping ids in `out`'s shards or
    in `known_ids()` (the store given with `--db`, only read); this run's failures are written to
    `out`/_errors.jsonl. `address`: a running cluster ("auto", "ray://HOST:PORT"); None starts Ray on this machine
    unless this process already joined one."""

    def __init__(self, options: RayOptions, stages: RayStages, out: str | None, address: str | None = None,
                 known_ids: Callable[[], list[str]] | None = None):
        self.ray = require_ray()
        if not out:
            raise CommandError("no_output", "--engine ray writes Parquet shards: give the folder or URI with --out")
        self.options, self.stages, self.out, self.address = options, stages, out, address
        self.known_ids = known_ids or list

    def list_media(self, source: str) -> list[str]:
        return list_media(source)

    def run(self, files: list[str], progress: Progress | None = None, on_failure: OnFailure | None = None
            ) -> EmbedReport:
        ray = self.ray
        written, spaces = shard_ids(self.out)
        done = frozenset(written) | frozenset(self.known_ids())
        started = _connect(ray, self.address)
        report = EmbedReport(files, on_failure=on_failure)
        try:
            claims = ClaimClient(ray.remote(num_cpus=0)(IdClaims).remote())
            dataset = self._dataset(files, done, spaces, claims)
            for batch in dataset.iter_batches(batch_format="pyarrow", batch_size=None):
                for row in batch.to_pylist():
                    _add(report, row)
                    if progress:
                        progress(1)
        except ray.exceptions.RayError as exc:
            raise _reason(exc) from None
        finally:
            if started:
                ray.shutdown()
        write_errors([f.row() | {"level": "error"} for f in report.failures]
                     + [w.row() | {"level": "warning"} for w in report.warnings], self.out)
        return report

    def describe(self, report: EmbedReport) -> str:
        return (f"{len(report.files)} files: {report.embedded} embedded into {len(report.shards)} shard(s), "
                f"{report.skipped} already embedded, {len(report.failures)} failed; output {self.out} "
                f"(load it with `reelsense import {self.out}`)")

    def _dataset(self, files: list[str], done: frozenset[str], spaces: set[str], claims: ClaimClient):
        """The lazy Ray Data pipeline; nothing runs until it is iterated."""
        ray, o, stages = self.ray, self.options, self.stages
        verbose = log.isEnabledFor(logging.INFO)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = verbose  # the CLI shows its own bar
        logging.getLogger("ray.data").setLevel(logging.INFO if verbose else logging.WARNING)
        plan = plan_actors(o, ray.cluster_resources())
        log.info("ray engine: %s", plan)
        pool = ray.data.ActorPoolStrategy
        gpu = {"num_gpus": plan.model_gpus} if plan.model_gpus else {}
        return (
            ray.data.from_items([{"path": f} for f in files], override_num_blocks=min(len(files), 10_000))
            .map_batches(MediaActor, batch_size=1, batch_format="pyarrow", num_cpus=plan.media_cpus,
                         compute=pool(size=plan.media_actors, max_tasks_in_flight_per_actor=o.in_flight),
                         fn_constructor_kwargs={"build": stages.media, "done": done,
                                                "sidecar_max_bytes": stages.sidecar_max_bytes,
                                                "numba_cache": stages.numba_cache, "claim": claims,
                                                "file_timeout_s": stages.file_timeout_s})
            .map_batches(ModelActor, batch_size=o.batch_size, batch_format="pyarrow", num_cpus=plan.model_cpus, **gpu,
                         compute=pool(size=plan.model_actors, max_tasks_in_flight_per_actor=o.in_flight),
                         fn_constructor_kwargs={"build": stages.models, "out": self.out, "spaces": frozenset(spaces),
                                                "threads": 0 if plan.model_gpus else max(1, int(plan.model_cpus))})
        )


class IdClaims:
    """The ids this run has begun to embed (a Ray actor of no CPU, one per run): the first file with a content
    claims its id, an identical file after it is skipped, so one content is one row of the output."""

    def __init__(self):
        self.first: dict[str, str] = {}

    def claim(self, video_id: str, path: str) -> str | None:
        """None when `path` is the first with this content, else the path that was."""
        first = self.first.setdefault(video_id, path)
        return None if first == path else first


class ClaimClient:
    """The picklable callable that CPU-stage actors ask (ray_actors stays free of ray imports)."""

    def __init__(self, handle):
        self.handle = handle

    def __call__(self, video_id: str, path: str) -> str | None:
        import ray

        return ray.get(self.handle.claim.remote(video_id, path))


def _add(report: EmbedReport, row: dict) -> None:
    """One summary row (ray_actors.SUMMARY_SCHEMA) into the report."""
    if row["status"] == "written":
        report.embedded += 1
        report.shards.add(row["shard"])
        report.add_seconds(json.loads(row["seconds"]))
        report.warnings.extend(FileFailure(row["path"], w["code"], w["message"], row["id"])
                               for w in json.loads(row["warnings"] or "[]"))
    elif row["status"] == "skipped":
        report.skipped += 1
        if row["code"]:  # the same content as another file of this run
            report.warnings.append(FileFailure(row["path"], row["code"], row["message"], row["id"]))
    else:
        report.fail(FileFailure(row["path"], row["code"], row["message"], row["id"]))


def _connect(ray, address: str | None) -> bool:
    """Join the cluster at `address` (or start one here); False when this process had joined one already."""
    if ray.is_initialized():
        return False
    ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING,
             log_to_driver=log.isEnabledFor(logging.INFO))
    return True


def _reason(exc: BaseException) -> ReelsenseError:
    """The ReelsenseError behind a failed Ray job when it came back whole, else a CommandError quoting the
    first exception of the remote traceback (Ray Data hands user-code errors back as text)."""
    seen = exc
    while seen is not None:
        if isinstance(seen, ReelsenseError):
            return seen
        seen = getattr(seen, "cause", None) or seen.__cause__
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    raised = [m for m in re.finditer(r"^([\w.]+(?:Error|Exception)): (.+)$", text, re.M)
              if not m.group(1).startswith("ray.")]
    why = f"{raised[0].group(1)}: {raised[0].group(2)}" if raised else (text.strip().splitlines() or ["?"])[-1]
    return CommandError("ray_failed", f"the Ray job failed: {why}")
