"""analyze(file, meta) -> VideoRecord: media -> extractors -> fusion.

The work is split in two so a batch can overlap them: `prepare` (the CPU stage of stages.py — decode,
frame statistics, on-screen text, audio, thumbnails, sound and picture prints, the sensitive-content flag —
then text) runs ahead, in worker processes for a batch, while `finish` (CLIP inference, hook and pacing
statistics, moments, fusion) runs for files already prepared. Models are loaded once per `Analyzer`.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from extractors.audio import AudioExtractor
from extractors.audio.fingerprint import SoundPrint
from extractors.base import ModalityFeatures, VideoMeta
from extractors.media import DecodedMedia, MediaError
from extractors.pacing import PacingInput, describe_pacing
from extractors.text import TextExtractor
from extractors.visual import SafetyReport, VisualAnalysis, VisualExtractor
from extractors.visual.frame_stats import FrameStats
from extractors.visual.framehash import FramePrint
from extractors.visual.ocr import OnScreenText
from service.config import Settings
from service.fusion import FUSION_VERSION, MODALITIES, fuse
from service.moments.build import MomentSources, build_moments
from service.pipeline.files import file_sha256
from service.pipeline.sidecar import Sidecar, read_sidecar
from service.pipeline.stages import MediaResult, MediaStage
from service.records import FrameThumbnail, Moment, VideoRecord

if TYPE_CHECKING:
    from service.pipeline.pool import MediaPool

log = logging.getLogger(__name__)


def sidecar_warning(problem: MediaError) -> str:
    """A record's warning for an ignored sidecar; `batch.EmbedReport` lists these by their code prefix."""
    return f"[{problem.code}] {problem.message}"


@dataclass(frozen=True)
class BatchOptions:
    """How `analyze_many` runs: CPU-stage worker processes (1: threads of this process instead), files in
    flight, frames per CLIP forward pass, the GPU decoder when one is in use (pool.py, runner.py), and the
    factory's picklable builder of the CPU stage that worker processes run (needed with processes > 1)."""

    processes: int = 1
    lookahead: int = 2
    clip_batch: int = 64
    gpu_decoder: object | None = None  # extractors.media.nvdec.NvdecDecoder
    media_builder: Callable[[int], MediaStage] | None = None
    file_timeout_s: float | None = None  # one file's CPU stage, counted from when the batch waits for it

    def __post_init__(self) -> None:
        if self.processes > 1 and self.media_builder is None:
            raise ValueError("CPU-stage worker processes need the builder of their stage (media_builder)")


@dataclass
class Prepared:
    """A file decoded and analysed up to (not including) CLIP inference."""

    video_id: str
    path: Path
    meta: VideoMeta
    media: DecodedMedia
    text: ModalityFeatures
    audio: ModalityFeatures
    seconds: dict[str, float]
    frame_stats: FrameStats | None = None
    onscreen: OnScreenText | None = None
    thumbnails: list[FrameThumbnail] | None = None
    sound_print: SoundPrint | None = None
    frame_print: FramePrint | None = None
    safety: SafetyReport | None = None
    warnings: list[str] = field(default_factory=list)  # e.g. a sidecar that was ignored


class Analyzer:
    """Turns a file plus its words into a VideoRecord, in two stages: `prepare` (the CPU stage: decode, frame
    statistics, OCR, audio; then text) and `finish` (CLIP, fusion). `analyze_many` runs a batch with the CPU
    stage in worker processes and CLIP on frames of several videos at once (runner.py).
    Build it with `service.factory.Components(settings).analyzer`."""

    def __init__(self, settings: Settings, text: TextExtractor, visual: VisualExtractor, audio: AudioExtractor,
                 media: MediaStage | None = None, batch: BatchOptions | None = None):
        self.settings = settings
        self.text, self.visual, self.audio = text, visual, audio
        self.media = media or MediaStage(settings.media_limits, settings.sampling, visual.frames, audio,
                                         settings.thumbnails)
        self.batch = batch or BatchOptions(lookahead=settings.prepare_workers)
        self.dims = {"text": self.text.dim, "visual": self.visual.dim, "audio": self.audio.dim}
        self.space_id = "|".join(
            [f"text={self.text.model}:{self.text.dim}", f"visual={self.visual.model}:{self.visual.dim}",
             f"audio={self.audio.model}:{self.audio.dim}", f"fusion={FUSION_VERSION}:t{settings.fusion_temperature:g}"]
        )

    def prepare(self, path: Path, meta: VideoMeta | None = None, video_id: str | None = None) -> Prepared:
        path = Path(path)
        return self.with_text([(path, self.media.run(path), meta, video_id)])[0]

    def with_text(self, items: list[tuple[Path, MediaResult, VideoMeta | None, str | None]]) -> list[Prepared]:
        """Prepared files from CPU-stage results: (path, result, words or None for the sidecar's, id or None for
        the content hash); the text encoder runs once for all of them, with each file's on-screen text.
        A sidecar that cannot be used leaves the file without words, with a warning."""
        limit = self.settings.sidecar_max_kb * 1024
        sidecars = [Sidecar(meta) if meta is not None else read_sidecar(path, limit) for path, _, meta, _ in items]
        metas = [s.meta for s in sidecars]
        t0 = time.perf_counter()
        texts = self.text.extract_many(
            [replace(m, onscreen_text=r.onscreen.text) if r.onscreen else m
             for m, (_, r, _, _) in zip(metas, items, strict=True)])
        share = (time.perf_counter() - t0) / max(1, len(items))
        return [
            Prepared(video_id or file_sha256(path), path, meta, r.media, text, r.audio, {**r.seconds, "text": share},
                     r.frame_stats, r.onscreen, r.thumbnails, r.sound_print, r.frame_print, r.safety,
                     [sidecar_warning(sc.problem)] if sc.problem else [])
            for (path, r, _, video_id), meta, text, sc in zip(items, metas, texts, sidecars, strict=True)
        ]

    def finish(self, prepared: Prepared, frame_vectors: np.ndarray | None = None) -> VideoRecord:
        """CLIP (unless `frame_vectors` were embedded already, in a batch across videos) and fusion."""
        t0 = time.perf_counter()
        media = prepared.media
        analysis = self.visual.analyze(media.frames, media.frame_times, prepared.frame_stats, prepared.onscreen,
                                       frame_vectors, prepared.safety)
        visual = analysis.features
        prepared.seconds["visual"] = prepared.seconds.get("visual", 0.0) + time.perf_counter() - t0
        self._add_pacing(prepared, visual)
        moments = self._moments(prepared, analysis)
        features = {"text": prepared.text, "visual": visual, "audio": prepared.audio}
        fused = fuse(features, self.dims, self.settings.fusion_temperature)
        warnings = [*prepared.warnings, *prepared.media.warnings]
        if self.visual.unavailable_reason:  # the reason names the weights' path: logs only (records are public)
            warnings.append("visual: no CLIP weights, using weight-free frame statistics (REELSENSE_CLIP_PRETRAINED)")
        return VideoRecord(
            id=prepared.video_id,
            path=str(prepared.path),
            title=prepared.meta.title,
            description=prepared.meta.description,
            hashtags=prepared.meta.hashtags,
            creator=prepared.meta.creator,
            info=prepared.media.info.to_dict(),
            features={m: features[m] for m in MODALITIES},
            fused=fused,
            space_id=self.space_id,
            warnings=warnings,
            created_at=time.time(),
            frames=prepared.thumbnails or [],
            shot_starts=list(media.shot_starts),
            sound_print=prepared.sound_print,
            frame_print=prepared.frame_print,
            moments=moments,
        )

    def _add_pacing(self, prepared: Prepared, visual: ModalityFeatures) -> None:
        """Hook and pacing statistics and tags (cross-modal: cuts, frames, text, beats) join the visual modality."""
        media, onscreen = prepared.media, prepared.onscreen
        if not media.frames:
            return
        faces = prepared.frame_stats
        stats, tags = describe_pacing(PacingInput(
            media.info.duration_s, media.frame_times, media.frames, media.shot_starts,
            faces.faces_per_frame if faces else [],
            list(zip(onscreen.lines, onscreen.times, strict=True)) if onscreen else [], prepared.audio.stats,
            faces.face_times if faces else None))
        visual.stats.update(stats)
        visual.tags.extend(tags)

    def _moments(self, prepared: Prepared, analysis: VisualAnalysis) -> list[Moment]:
        """Frames (with CLIP), on-screen text and runs of sound, each with its time range, for time-coded search."""
        media = prepared.media
        sources = MomentSources(media.frame_times, media.info.duration_s, media.shot_starts, analysis.frame_vectors,
                                self.visual.model, prepared.onscreen, prepared.audio.stats)
        return build_moments(sources, self.text.embed, self.text.model)

    def analyze(self, path: Path, meta: VideoMeta | None = None) -> VideoRecord:
        return self.finish(self.prepare(path, meta))

    def analyze_many(
        self, paths: Iterable[Path], lookahead: int | None = None, ids: dict[Path, str] | None = None,
        pool: MediaPool | None = None,
    ) -> Iterator[tuple[Path, VideoRecord | None, MediaError | None, dict[str, float]]]:
        """Analyse files, yielding results in input order: the CPU stage runs ahead in worker processes
        (`media_processes`, or `pool` from `Components.media_pool()`; `lookahead` files in flight, default two
        per worker), text and CLIP run here on several videos at once. `ids`: content hashes already computed.

        Yields (path, record, error, stage_seconds); a bad file yields its MediaError and the batch goes on.
        """
        from service.pipeline.runner import BatchRunner

        options = replace(self.batch, lookahead=lookahead or self.batch.lookahead)
        yield from BatchRunner(self, options).run(paths, ids, pool)
