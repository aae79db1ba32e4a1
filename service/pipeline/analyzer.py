"""analyze(file, meta) -> VideoRecord: media -> extractors -> fusion.

The work is split in two so a batch can overlap them: `prepare` (hash, decode, frame statistics,
on-screen text, audio, text: all outside the CLIP model) runs ahead in a small thread pool while
`finish` (CLIP inference, fusion) runs for the current file. Models are loaded once per `Analyzer`.
"""
from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from extractors.audio import AudioExtractor
from extractors.audio.fingerprint import SoundPrint, fingerprint
from extractors.base import ModalityFeatures, VideoMeta
from extractors.media import DecodedMedia, MediaError, decode
from extractors.pacing import PacingInput, describe_pacing
from extractors.text import TextExtractor
from extractors.visual import SafetyReport, VisualAnalysis, VisualExtractor
from extractors.visual.frame_stats import FrameStats
from extractors.visual.framehash import FramePrint, frame_print
from extractors.visual.ocr import OnScreenText
from service.config import Settings
from service.fusion import FUSION_VERSION, MODALITIES, fuse
from service.moments.build import MomentSources, build_moments
from service.pipeline.files import file_sha256
from service.pipeline.thumbnails import make_thumbnails
from service.records import FrameThumbnail, Moment, VideoRecord

log = logging.getLogger(__name__)


def read_sidecar(video_path: Path) -> VideoMeta:
    """The words in NAME.json next to NAME.mp4 when it exists; a malformed sidecar is ignored with a warning."""
    sidecar = Path(video_path).with_suffix(".json")
    if not sidecar.is_file():
        return VideoMeta()
    try:
        data = json.loads(sidecar.read_text())
        tags = data.get("hashtags", [])
        tags = tags.split() if isinstance(tags, str) else [str(t) for t in tags]
        return VideoMeta(str(data.get("title", "")), str(data.get("description", "")), tags,
                         str(data.get("creator", "")))
    except (ValueError, AttributeError) as exc:
        log.warning("ignoring malformed sidecar %s: %s", sidecar, exc)
        return VideoMeta()


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


class Analyzer:
    """Turns a file plus its words into a VideoRecord, in two stages: `prepare` (decode, frame statistics,
    OCR, audio, text: CPU work) and `finish` (CLIP, fusion), so a batch can prepare ahead of inference.
    Build it with `service.factory.Components(settings).analyzer`."""

    def __init__(self, settings: Settings, text: TextExtractor, visual: VisualExtractor, audio: AudioExtractor):
        self.settings = settings
        self.text, self.visual, self.audio = text, visual, audio
        self.dims = {"text": self.text.dim, "visual": self.visual.dim, "audio": self.audio.dim}
        self.space_id = "|".join(
            [f"text={self.text.model}:{self.text.dim}", f"visual={self.visual.model}:{self.visual.dim}",
             f"audio={self.audio.model}:{self.audio.dim}", f"fusion={FUSION_VERSION}:t{settings.fusion_temperature:g}"]
        )

    def prepare(self, path: Path, meta: VideoMeta | None = None, video_id: str | None = None) -> Prepared:
        path = Path(path)
        meta = meta or read_sidecar(path)
        t0 = time.perf_counter()
        media = decode(path, self.settings.media_limits, self.settings.sampling)
        video_id = video_id or file_sha256(path)
        t1 = time.perf_counter()
        stats = self.visual.frame_stats(media)
        t2 = time.perf_counter()
        onscreen = self.visual.read_text(media)
        t3 = time.perf_counter()
        audio = self.audio.extract(meta, media)
        t4 = time.perf_counter()
        text = self.text.extract(replace(meta, onscreen_text=onscreen.text) if onscreen else meta)
        t5 = time.perf_counter()
        thumbnails = make_thumbnails(media.frames, media.frame_times, self.settings.thumbnails)
        t6 = time.perf_counter()
        sound, frames = fingerprint(media.audio, media.sample_rate), frame_print(media.frames, media.frame_times)
        t7 = time.perf_counter()
        safety = self.visual.check_safety(media)
        t8 = time.perf_counter()
        seconds = {"decode": t1 - t0, "frame_stats": t2 - t1, "ocr": t3 - t2, "audio": t4 - t3, "text": t5 - t4,
                   "thumbnails": t6 - t5, "prints": t7 - t6, "safety": t8 - t7}
        return Prepared(video_id, path, meta, media, text, audio, seconds, stats, onscreen, thumbnails, sound, frames,
                        safety)

    def finish(self, prepared: Prepared) -> VideoRecord:
        t0 = time.perf_counter()
        media = prepared.media
        analysis = self.visual.analyze(media.frames, media.frame_times, prepared.frame_stats, prepared.onscreen,
                                       prepared.safety)
        visual = analysis.features
        prepared.seconds["visual"] = time.perf_counter() - t0
        self._add_pacing(prepared, visual)
        moments = self._moments(prepared, analysis)
        features = {"text": prepared.text, "visual": visual, "audio": prepared.audio}
        fused = fuse(features, self.dims, self.settings.fusion_temperature)
        warnings = list(prepared.media.warnings)
        if self.visual.unavailable_reason:
            reason = self.visual.unavailable_reason
            warnings.append(f"visual: no CLIP weights, using weight-free frame statistics: {reason}")
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
        stats, tags = describe_pacing(PacingInput(
            media.info.duration_s, media.frame_times, media.frames, media.shot_starts,
            prepared.frame_stats.faces_per_frame if prepared.frame_stats else [],
            list(zip(onscreen.lines, onscreen.times, strict=True)) if onscreen else [], prepared.audio.stats))
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
        self, paths: Iterable[Path], lookahead: int | None = None, ids: dict[Path, str] | None = None
    ) -> Iterator[tuple[Path, VideoRecord | None, MediaError | None, dict[str, float]]]:
        """Analyse files in order, preparing up to `lookahead` files ahead of the one in CLIP inference
        (default: the `prepare_workers` setting). `ids`: content hashes the caller already computed.

        Yields (path, record, error, stage_seconds); a bad file yields its MediaError and the batch goes on.
        """
        lookahead = lookahead or self.settings.prepare_workers
        pending: deque[tuple[Path, Future]] = deque()
        source = iter(paths)
        with ThreadPoolExecutor(max_workers=max(1, lookahead), thread_name_prefix="prepare") as pool:
            def refill() -> None:
                while len(pending) < max(1, lookahead):
                    nxt = next(source, None)
                    if nxt is None:
                        return
                    pending.append((nxt, pool.submit(self.prepare, nxt, None, (ids or {}).get(nxt))))

            refill()
            while pending:
                path, future = pending.popleft()
                refill()
                try:
                    prepared = future.result()
                except MediaError as exc:
                    yield path, None, exc, {}
                    continue
                record = self.finish(prepared)
                yield path, record, None, prepared.seconds
