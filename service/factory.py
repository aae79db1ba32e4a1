"""The one composition root: every component built from Settings, the same way for CLI, API, workers and
benchmarks (device, topics folder, CLIP strictness and options applied everywhere).

Models load lazily on first use of a property and are then shared, so a command that only reads the
store never loads a model, and one that needs the text encoder twice loads it once.
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from service.config import Settings

if TYPE_CHECKING:
    from extractors.audio import AudioExtractor
    from extractors.text import TextExtractor
    from extractors.visual import VisualExtractor
    from service.api.workers import WorkerPool
    from service.moments import MomentSearch
    from service.pipeline import Analyzer
    from service.recommend import Recommender
    from service.storage import Store


class Components:
    """Builds and caches the components of one process."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def text(self) -> TextExtractor:
        """MiniLM (or the configured model) on the configured device, with the fitted topics when present."""
        from extractors.text import TextExtractor

        s = self.settings
        return TextExtractor(s.text_model, topics_dir=s.topics_dir, device=s.torch_device)

    @cached_property
    def visual(self) -> VisualExtractor:
        """CLIP (or the weight-free fallback) with frame statistics and OCR, for analysing videos."""
        from extractors.visual import ClipSpec, VisualExtractor

        s = self.settings
        self._configure_torch()
        spec = ClipSpec(s.clip_model, s.clip_pretrained, s.clip_allow_download, s.torch_device)
        return VisualExtractor(spec, strict=s.clip_strict, options=s.visual)

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

            from extractors.visual import ClipSpec, VisualExtractor

            s = self.settings
            spec = ClipSpec(s.clip_model, s.clip_pretrained, s.clip_allow_download, s.torch_device)
            options = replace(s.visual, ocr=False, safety=replace(s.visual.safety, enabled=False))
            visual = VisualExtractor(spec, strict=s.clip_strict, options=options)
        return visual if visual.clip is not None else None

    @cached_property
    def audio(self) -> AudioExtractor:
        """librosa analysis, JIT-warmed once (cache folder from the settings)."""
        from extractors.audio import AudioExtractor, configure_numba_cache

        configure_numba_cache(self.settings.numba_cache)
        return AudioExtractor(warm_up=True)

    @cached_property
    def analyzer(self) -> Analyzer:
        from service.pipeline import Analyzer

        return Analyzer(self.settings, text=self.text, visual=self.visual, audio=self.audio)

    def store(self) -> Store:
        """A new connection to the configured store (one per thread; the caller closes it)."""
        from service.storage import Store

        return Store(self.settings.database, counters_half_life_days=self.settings.popularity_half_life_days)

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
        from service.api.workers import WorkerPool

        s = self.settings
        return WorkerPool(s, s.workers, s.job_timeout_s, s.worker_max_jobs, s.worker_memory_mb)

    def _configure_torch(self) -> None:
        if self.settings.torch_threads > 0:
            import torch

            torch.set_num_threads(self.settings.torch_threads)
