"""The one composition root: every component built from Settings, the same way for CLI, API, workers and
benchmarks (device, topics folder, CLIP strictness and options applied everywhere).

Models load lazily on first use of a property and are then shared, so a command that only reads the
store never loads a model, and one that needs the text encoder twice loads it once. Worker processes and Ray
actors build theirs from a `Builder` this module hands their pool: nothing below this module imports it
(tests/test_structure.py holds that).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from service.config import Settings

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from extractors.audio import AudioExtractor
    from extractors.media.nvdec import NvdecDecoder
    from extractors.text import TextExtractor
    from extractors.visual import ClipSpec, VisualExtractor
    from extractors.visual.frames import FrameAnalyzer
    from service.moments import MomentSearch
    from service.pipeline import Analyzer
    from service.pipeline.embed import EmbedEngine
    from service.pipeline.pool import MediaPool
    from service.pipeline.stages import MediaStage
    from service.pipeline.workers import WorkerPool
    from service.recommend import Recommender
    from service.storage import Store


@dataclass(frozen=True)
class Builder:
    """A picklable recipe for one component of this composition, for processes that build their own: the batch's
    and the server's worker processes, Ray's actors. Called (with the process's thread cap), it builds `part`
    ("analyzer" or "media_stage") as `Components(settings, process_threads)` would here; `media_elsewhere`: an
    analyzer whose CPU stage other processes run (see `Components.media_elsewhere`). The pools call it without
    importing this module (pickle brings the class along)."""

    settings: Settings
    part: Literal["analyzer", "media_stage"]
    media_elsewhere: bool = False

    def __call__(self, process_threads: int = 0):
        components = Components(self.settings, process_threads)
        if self.media_elsewhere:
            components.media_elsewhere()
        return getattr(components, self.part)


class Components:
    """Builds and caches the components of one process. `process_threads` > 0 caps the threads of every library
    (decoder, OCR, OpenCV, torch) in this process: a batch's worker processes each get their share of the cores."""

    def __init__(self, settings: Settings, process_threads: int = 0):
        self.settings = settings
        self.process_threads = process_threads
        self._pooled = False  # media_pool() was called: the CPU stage of batches runs in its workers
        if process_threads > 0:
            import cv2
            from threadpoolctl import threadpool_limits

            cv2.setNumThreads(process_threads)
            threadpool_limits(process_threads)  # BLAS (numpy, librosa) and OpenMP pools already loaded

    @cached_property
    def text(self) -> TextExtractor:
        """MiniLM (or the configured model) on the configured device, with the fitted topics when present."""
        from extractors.text import TextExtractor

        s = self.settings
        return TextExtractor(s.text_model, topics_dir=s.topics_dir, device=s.torch_device)

    @cached_property
    def frame_analyzer(self) -> FrameAnalyzer:
        """Frame statistics, OCR and the sensitive-content flag: the visual work without CLIP (shared by `visual`
        and `media_stage`)."""
        from extractors.visual.frames import FrameAnalyzer

        o = self.settings.visual
        return FrameAnalyzer(o.ocr, o.ocr_max_frames, o.ocr_min_score, self.process_threads, o.safety)

    @cached_property
    def visual(self) -> VisualExtractor:
        """CLIP (or the weight-free fallback) with frame statistics and OCR, for analysing videos."""
        from extractors.visual import VisualExtractor

        s = self.settings
        self._configure_torch()
        return VisualExtractor(self._clip_spec(), strict=s.clip_strict, options=s.visual, frames=self.frame_analyzer,
                               cache_dir=s.cache)

    def _clip_spec(self) -> ClipSpec:
        from extractors.visual import ClipSpec
        from extractors.visual.clip import resolve_precision
        from extractors.visual.runtime import resolve_runtime

        s = self.settings
        device = s.torch_device
        runtime = resolve_runtime(s.clip_runtime, device)
        # ONNX Runtime runs its own fp32/int8 graph: torch keeps fp32 weights for the text tower and the probe
        precision = "fp32" if runtime != "torch" else resolve_precision(s.clip_precision, device)
        return ClipSpec(s.clip_model, s.clip_pretrained, s.clip_allow_download, device, precision, runtime)

    @cached_property
    def media_stage(self) -> MediaStage:
        """The CPU stage of one file (decode, frame statistics, OCR, audio, thumbnails, prints, the sensitive-content
        flag), as a pool worker runs it."""
        from dataclasses import replace

        from service.pipeline.stages import MediaStage

        s = self.settings
        sampling = replace(s.sampling, decoder_threads=self.process_threads)
        return MediaStage(s.media_limits, sampling, self.frame_analyzer, self.audio, s.thumbnails)

    def media_pool(self) -> MediaPool | None:
        """Worker processes for a batch's CPU stage, started now so they load while this process loads its
        models (None when `media_processes` resolves to 1); the caller closes it."""
        from service.pipeline.pool import MediaPool

        processes = self.settings.media_process_count
        if processes <= 1:
            return None
        self._pooled = True  # the analyzer built after this leaves librosa to the workers (see `analyzer`)
        return MediaPool(self.builder("media_stage"), processes).warm()

    def builder(self, part: Literal["analyzer", "media_stage"], media_elsewhere: bool = False) -> Builder:
        """The picklable builder of `part` for another process. Its paths are resolved here: a Ray actor may run
        on another node, in another working folder."""
        settings = self.settings.model_copy(update={"data_dir": self.settings.data_dir.absolute()})
        return Builder(settings, part, media_elsewhere)

    def media_elsewhere(self) -> Components:
        """Say that other processes run this process's CPU stage (a Ray model actor, fed by CPU-stage actors):
        its analyzer then skips librosa's JIT warm-up, as after `media_pool()`. Call before `analyzer`."""
        self._pooled = True
        return self

    @cached_property
    def gpu_decoder(self) -> NvdecDecoder | None:
        """NVDEC through PyNvVideoCodec when `gpu_decode` allows and CUDA and the package are present, else None."""
        from extractors.media.nvdec import NvdecDecoder, nvdec_status

        s = self.settings
        use, reason = nvdec_status(s.gpu_decode, s.torch_device)
        log.info("video decoding: %s", reason if use else f"PyAV ({reason})")
        if not use:
            return None
        gpu = int(s.torch_device.partition(":")[2] or 0)
        return NvdecDecoder(s.media_limits, s.sampling, gpu_id=gpu)

    @cached_property
    def query_visual(self) -> VisualExtractor | None:
        """CLIP's text tower for queries and stated interests, when enabled and weights load; else None.

        Reuses the analysis CLIP when this process already built one."""
        if not self.settings.clip_text_search:
            return None
        if "visual" in self.__dict__:
            visual = self.visual
        else:
            from dataclasses import replace

            from extractors.visual import VisualExtractor

            s = self.settings
            options = replace(s.visual, ocr=False, safety=replace(s.visual.safety, enabled=False))
            visual = VisualExtractor(self._clip_spec(), strict=s.clip_strict, options=options)
        return visual if visual.clip is not None else None

    @cached_property
    def audio(self) -> AudioExtractor:
        """librosa analysis, JIT-warmed once (cache folder from the settings)."""
        from extractors.audio import AudioExtractor, configure_numba_cache

        configure_numba_cache(self.settings.numba_cache)
        return AudioExtractor(warm_up=True)

    @cached_property
    def analyzer(self) -> Analyzer:
        """The pipeline; its batches run the CPU stage in `media_processes` workers and CLIP here."""
        from service.pipeline import Analyzer
        from service.pipeline.analyzer import BatchOptions

        s = self.settings
        processes = s.media_process_count
        batch = BatchOptions(processes, max(s.prepare_workers, 2 * processes if processes > 1 else 0),
                             s.clip_batch_size, self.gpu_decoder, self.builder("media_stage"), s.file_timeout_s)
        if self._pooled:  # the workers run librosa: no JIT warm-up here (a stray `prepare` warms up lazily)
            from extractors.audio import AudioExtractor

            return Analyzer(s, text=self.text, visual=self.visual, audio=AudioExtractor(warm_up=False), batch=batch)
        return Analyzer(s, text=self.text, visual=self.visual, audio=self.audio, media=self.media_stage, batch=batch)

    def store(self) -> Store:
        """A new connection to the configured store (one per thread; the caller closes it): the PostgreSQL
        database of REELSENSE_DATABASE_URL when set (a small pool per store), else the SQLite file."""
        s = self.settings
        if s.database_url:
            from service.storage.postgres import PostgresStore

            # what a replica caches and may rebuild (the in-process vector index) goes under data_dir
            return PostgresStore(s.database_url, cache_dir=s.data_dir,
                                 counters_half_life_days=s.popularity_half_life_days, pool_size=s.database_pool_size,
                                 timeout_s=s.database_busy_timeout_s)
        from service.storage import Store

        return Store(s.database, timeout_s=s.database_busy_timeout_s,
                     counters_half_life_days=s.popularity_half_life_days)

    def recommender(self, store: Store | None = None, with_models: bool = True) -> Recommender:
        """A recommender over `store` (default: a new connection); with the text encoder and CLIP's text tower
        for stated interests and search unless `with_models` is False."""
        from service.recommend import Recommender

        text = self.text if with_models else None
        visual = self.query_visual if with_models else None
        return Recommender(store or self.store(), self.settings, text=text, visual=visual)

    def moment_search(self, store) -> MomentSearch:
        """Ranks stored moments against queries: `store` is anything with `moments_of` (a Store, or the API's
        per-thread store); the text encoder and CLIP's text tower are the recommender's."""
        from service.moments import MomentSearch

        return MomentSearch(store, text=self.text, visual=self.query_visual,
                            min_score=self.settings.moment_min_score)

    def worker_pool(self) -> WorkerPool:
        """The server's analysis worker processes (not started: the caller starts and closes them)."""
        from service.pipeline.workers import WorkerPool

        return WorkerPool(self.builder("analyzer"), self.settings.analysis_workers)

    def embed_engine(self, engine: Literal["local", "ray"], out: str | None = None, address: str | None = None,
                     read_store: bool = False) -> EmbedEngine:
        """`reelsense embed`'s engine: local (into the store, and Parquet at `out`) or Ray (shards into `out`,
        skipping the ids of the store when `read_store` and it exists)."""
        s = self.settings
        if engine == "local":
            from service.pipeline.embed import LocalEngine

            return LocalEngine(lambda: self.analyzer, self.store, self.media_pool, s.database, out)
        from service.pipeline.ray_engine import RayEngine, RayStages

        media = self.builder("media_stage")
        stages = RayStages(media, self.builder("analyzer", media_elsewhere=True), s.sidecar_max_kb * 1024,
                           str(media.settings.numba_cache), s.file_timeout_s)
        return RayEngine(s.ray, stages, out, address, self._stored_ids if read_store else None)

    def _stored_ids(self) -> list[str]:
        if not self.settings.database.is_file():
            return []
        with self.store() as store:
            return store.ids()

    def _configure_torch(self) -> None:
        """Threads for torch: the setting; else this worker's share; else, when batches run the CPU stage in a
        pool and CLIP runs on the CPU, a quarter of the cores (at least one): more threads than cores made
        torch's spinning threads burn the CPU the workers needed (+45% CPU time on the 2-core bench machine)."""
        s = self.settings
        threads = s.torch_threads or self.process_threads
        if not threads and s.media_process_count > 1 and s.torch_device == "cpu":
            threads = max(1, s.media_process_count // 4)
        if threads > 0:
            import torch

            torch.set_num_threads(threads)
