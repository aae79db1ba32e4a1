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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from extractors.errors import ReelsenseError
from service.config import Settings
from service.errors import CommandError, ConfigError
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


def plan_actors(settings: Settings, resources: dict[str, float]) -> ActorPlan:
    """Model actors: one per GPU (one without GPUs) unless set. CPU-stage actors: one per CPU the model actors
    leave free with GPUs; without GPUs one per CPU, sharing the model actors' reservation, because CLIP on a
    CPU waits for the CPU stage most of the time (as the local engine's main process does beside its pool)."""
    gpus, cpus = int(resources.get("GPU", 0)), resources.get("CPU", 1.0)
    models = settings.ray_model_actors or max(1, gpus)
    free = max(cpus - models * settings.ray_model_cpus, 0.0)
    media = settings.ray_media_actors or max(1, int(free if gpus else cpus))
    media_cpus = round(min(1.0, max(free / media, 0.01)), 3)
    return ActorPlan(media, media_cpus, models, 1 if gpus else 0, settings.ray_model_cpus)


@dataclass
class RayReport:
    files: list[str]
    written: int = 0
    skipped: int = 0
    failures: list[dict] = field(default_factory=list)  # path, id, code, message
    shards: set[str] = field(default_factory=set)
    stage_seconds: dict[str, float] = field(default_factory=dict)  # summed over files; stages overlap

    def add(self, row: dict) -> None:
        if row["status"] == "written":
            self.written += 1
            self.shards.add(row["shard"])
            for stage, seconds in json.loads(row["seconds"]).items():
                self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds
        elif row["status"] == "skipped":
            self.skipped += 1
        else:
            self.failures.append({k: row[k] for k in ("path", "id", "code", "message")})


def embed_with_ray(settings: Settings, source: str, out: str, address: str | None = None,
                   known_ids: Iterable[str] = (), progress: Callable[[int], None] | None = None,
                   on_failure: Callable[[dict], None] | None = None) -> RayReport:
    """Embed every media file under `source` into Parquet shards under `out`, skipping ids in `out`'s shards or
    in `known_ids`; this run's failures are written to `out`/_errors.jsonl. `address`: a running cluster ("auto",
    "ray://HOST:PORT"); None starts Ray on this machine unless this process already joined one."""
    ray = require_ray()
    files = list_media(source)
    if not files:
        raise CommandError("no_videos", f"no video files under {source}")
    written, spaces = shard_ids(out)
    done = frozenset(written) | frozenset(known_ids)
    started = _connect(ray, address)
    report = RayReport(files)
    try:
        dataset = _dataset(ray, settings, files, out, done, spaces)
        for batch in dataset.iter_batches(batch_format="pyarrow", batch_size=None):
            for row in batch.to_pylist():
                report.add(row)
                if on_failure and row["status"] == "failed":
                    on_failure(report.failures[-1])
                if progress:
                    progress(1)
    except ray.exceptions.RayError as exc:
        raise _reason(exc) from None
    finally:
        if started:
            ray.shutdown()
    write_errors(report.failures, out)
    return report


def _connect(ray, address: str | None) -> bool:
    """Join the cluster at `address` (or start one here); False when this process had joined one already."""
    if ray.is_initialized():
        return False
    ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING,
             log_to_driver=log.isEnabledFor(logging.INFO))
    return True


def _dataset(ray, settings: Settings, files: list[str], out: str, done: frozenset[str], spaces: set[str]):
    """The lazy Ray Data pipeline; nothing runs until it is iterated."""
    verbose = log.isEnabledFor(logging.INFO)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = verbose  # the CLI shows its own bar
    logging.getLogger("ray.data").setLevel(logging.INFO if verbose else logging.WARNING)
    plan = plan_actors(settings, ray.cluster_resources())
    log.info("ray engine: %s", plan)
    # Paths relative to the driver's folder mean nothing in an actor: send them resolved.
    settings = settings.model_copy(update={"data_dir": settings.data_dir.absolute()})
    pool = ray.data.ActorPoolStrategy
    in_flight = settings.ray_in_flight
    gpu = {"num_gpus": plan.model_gpus} if plan.model_gpus else {}
    return (
        ray.data.from_items([{"path": f} for f in files], override_num_blocks=min(len(files), 10_000))
        .map_batches(MediaActor, batch_size=1, batch_format="pyarrow", num_cpus=plan.media_cpus,
                     compute=pool(size=plan.media_actors, max_tasks_in_flight_per_actor=in_flight),
                     fn_constructor_kwargs={"settings": settings, "done": done})
        .map_batches(ModelActor, batch_size=settings.ray_batch_size, batch_format="pyarrow",
                     num_cpus=plan.model_cpus, **gpu,
                     compute=pool(size=plan.model_actors, max_tasks_in_flight_per_actor=in_flight),
                     fn_constructor_kwargs={"settings": settings, "out": out, "spaces": frozenset(spaces),
                                            "threads": 0 if plan.model_gpus else max(1, int(plan.model_cpus))})
    )


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
