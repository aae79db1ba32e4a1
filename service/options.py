"""Typed settings groups of the recommender (ranking, cold start, staged exposure), the process layer (analysis
workers, the Ray engine) and the HTTP layer (the API).

`service.config.Settings` builds them from its flat fields (whose `REELSENSE_*` names stay what they are), and the
factory and the app hand each component its group, so a component declares what it depends on instead of reading
loose fields of the whole settings object. They are plain frozen dataclasses (no pydantic), picklable into worker
processes and Ray actors; their defaults are the Settings' (no second copy here).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ExposureOptions:
    """Staged exposure of new videos: cumulative impression budget per stage, and the engagement rate a
    stage's impressions must reach for promotion to the next."""

    stages: tuple[int, ...]
    thresholds: tuple[float, ...]


@dataclass(frozen=True)
class RankingOptions:
    """One feed request (recommend/feed.py): candidates retrieved, MMR lambda (1: relevance only), per-category and
    per-creator caps, the share of exploration slots, staged exposure, the popularity prior's half-life, and the
    sound-affinity term (its top weight and the liked videos from which it is all there)."""

    candidate_pool: int
    mmr_lambda: float
    max_per_category: int
    max_per_creator: int
    exploration_share: float
    exposure: ExposureOptions
    popularity_half_life_days: float
    sound_affinity_weight: float
    sound_affinity_saturation: int


@dataclass(frozen=True)
class ColdStartOptions:
    """The cold-start pools (recommend/coldstart.py): staged exposure (which videos still explore), the pool size,
    how old (seconds) pools may get before a request refreshes them behind, and the popularity prior's half-life
    (the same one the feed scores with)."""

    exposure: ExposureOptions
    pool_size: int
    refresh_s: float
    half_life_days: float


@dataclass(frozen=True)
class WorkerOptions:
    """The server's analysis worker processes (pipeline/workers.py): how many, the wall-clock limit of one job, the
    address-space headroom each may use above its loaded models (0: no cap), and the jobs after which one is
    replaced (recycling)."""

    count: int
    job_timeout_s: float
    memory_mb: int
    max_jobs: int


@dataclass(frozen=True)
class RayOptions:
    """`reelsense embed --engine ray` (pipeline/ray_engine.py): CPU-stage actors (0: one per CPU the model actors
    leave free with GPUs, one per CPU without), model actors (0: one per GPU, or one), the CPUs a model actor
    reserves, videos per model batch (= rows per shard), and calls queued per actor (how far decoding may run ahead
    of the models)."""

    media_actors: int
    model_actors: int
    model_cpus: float
    batch_size: int
    in_flight: int


@dataclass(frozen=True)
class ApiOptions:
    """What the HTTP layer reads (`reelsense serve`, service/api/): admin keys and CORS origins; body limits (an
    upload's bytes, the size over which an upload becomes a background job, a JSON body, events per batch); the
    uploads waiting for a worker beyond those analysed; where uploads go and whether they are kept; user tokens'
    secret (empty: off) and lifetime; the rate limit (0: off) and its burst, the admin keys' own (0: unlimited), the
    proxies whose X-Forwarded-For is believed; how often the server reads other
    processes' writes (0: never)."""

    api_keys: tuple[str, ...]
    cors_origins: tuple[str, ...]
    max_upload_bytes: int
    async_upload_bytes: int
    max_json_bytes: int
    max_events_per_batch: int
    analysis_queue: int
    uploads: Path
    keep_uploads: bool
    user_token_secret: str
    user_token_ttl_s: int
    rate_limit_per_s: float
    rate_limit_burst: int
    admin_rate_limit_per_s: float
    trusted_proxies: tuple[str, ...]
    change_poll_s: float
    kept_media: Path | None = None  # REELSENSE_KEEP_MEDIA: uploads kept by content hash here (pipeline/kept.py)


@dataclass(frozen=True)
class ThumbnailOptions:
    """Frame thumbnails stored at analysis time: longest side in pixels (0: none) and JPEG quality (1-100)."""

    max_side: int = 160
    quality: int = 70


@dataclass(frozen=True)
class IndexOptions:
    """Vector index: exact search up to `exact_max` videos, HNSW above with these parameters."""

    exact_max: int
    m: int
    ef_construction: int
    ef_search: int


@dataclass(frozen=True)
class EventSignals:
    """How much one event says about interest (negative = disinterest); a view counts
    view_base + view_completion * completion."""

    impression: float
    view_base: float
    view_completion: float
    like: float
    share: float
    comment: float
    follow: float
    skip: float
    not_interested: float


@dataclass(frozen=True)
class CoOptions:
    """Online co-engagement (service.recommend.cofold; the REELSENSE_CO_* settings)."""

    co_recent: int = 20
    co_half_life_days: float = 90.0
    co_neighbours: int = 200
    co_skip: float = -0.5
    co_not_interested: float = -1.0
    co_alpha: float = 0.5
    co_shrink: float = 2.0

    @property
    def half_life_s(self) -> float:
        return self.co_half_life_days * 86400.0
