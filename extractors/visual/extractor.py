"""Visual features: open_clip frame embeddings, zero-shot tags, weight-free frame statistics, on-screen text.

Without CLIP weights the modality falls back to the frame-statistics vector, under its own
embedding-space id, and says so (a warning at construction, `unavailable_reason`, a note in stats).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from extractors.base import ModalityFeatures, QueryCache, Tag, VideoMeta, l2_normalize
from extractors.errors import ModelUnavailableError
from extractors.prototypes import PrototypeClassifier
from extractors.visual.clip import DEFAULT_CLIP, ClipSpec, LoadedClip, embed_images, embed_texts, load_clip
from extractors.visual.frame_stats import STATS_VERSION, VECTOR_DIM, FrameStats, compute_frame_stats, stats_tags
from extractors.visual.frames import FrameAnalyzer
from extractors.visual.ocr import OnScreenText
from extractors.visual.safety import SafetyOptions, SafetyReport
from extractors.visual.text_cache import CachedTextEmbed, weights_key
from extractors.visual.zero_shot import zero_shot_classifiers

if TYPE_CHECKING:
    from extractors.media import DecodedMedia

log = logging.getLogger(__name__)
NO_CLIP_MODEL = f"{STATS_VERSION}-noclip"  # the visual space id when CLIP weights are missing


@dataclass(frozen=True)
class VisualOptions:
    """Everything about the visual modality that is not which CLIP to load."""

    batch_size: int = 16
    zero_shot: bool = True
    tag_min_score: float = 0.12  # a zero-shot class must reach this mean probability to become a tag
    taxonomy_tags: int = 3
    scene_tags: int = 2
    ocr: bool = True
    ocr_max_frames: int = 8  # about one frame per shot (only frames that pass the text-presence gate are read)
    ocr_min_score: float = 0.6
    ocr_threads: int = 0  # ONNX Runtime threads for OCR; 0: every core
    safety: SafetyOptions = field(default_factory=SafetyOptions)  # the sensitive-content check (NudeNet, an extra)


@dataclass
class VisualAnalysis:
    """The modality features plus per-frame CLIP vectors (for time-coded search); vectors None without CLIP."""

    features: ModalityFeatures
    frame_times: list[float] = field(default_factory=list)
    frame_vectors: np.ndarray | None = None


def distinctive_pool(vectors: np.ndarray, temperature: float = 0.05) -> np.ndarray:
    """A pooling that favours frames unlike the average frame (a 2 s product shot in a 60 s talk)."""
    mean = l2_normalize(vectors.mean(axis=0))
    distance = 1.0 - vectors @ mean
    weights = np.exp((distance - distance.max()) / temperature)
    return l2_normalize((weights / weights.sum()) @ vectors)


class VisualExtractor:
    """The visual modality; follows `extractors.base.Extractor`. The weight-free parts (`frames`: a
    FrameAnalyzer, shared with the pipeline's prepare stage) run beside decoding, CLIP (`extract_frames`)
    in the finish stage."""

    name = "visual"

    def __init__(self, spec: ClipSpec = DEFAULT_CLIP, strict: bool = False, options: VisualOptions | None = None,
                 frames: FrameAnalyzer | None = None, cache_dir: Path | None = None):
        self.spec = spec
        self.cache_dir = cache_dir  # the machine's cache: the zero-shot prompts' text vectors (text_cache.py)
        self.prompt_cache: CachedTextEmbed | None = None  # set when the zero-shot classifiers are built
        self.options = options or VisualOptions()
        o = self.options
        self.frames = frames or FrameAnalyzer(o.ocr, o.ocr_max_frames, o.ocr_min_score, o.ocr_threads, o.safety)
        self.unavailable_reason: str | None = None
        self.clip: LoadedClip | None = None
        try:
            self.clip = self._with_runtime(load_clip(spec))
        except ModelUnavailableError as exc:
            if strict:
                raise
            self.unavailable_reason = str(exc)
            # One short line for a first run (the full reason is logged at INFO, and is in each record's warnings).
            log.warning("no CLIP weights (REELSENSE_CLIP_PRETRAINED): pictures use weight-free frame statistics; "
                        "REELSENSE_CLIP_STRICT=true refuses")
            log.info("CLIP unavailable (embedding space visual=%s:%d): %s", NO_CLIP_MODEL, VECTOR_DIM, exc)
        self.dim = self.clip.dim if self.clip else VECTOR_DIM
        self.model = f"{Path(spec.model).stem}/{Path(spec.pretrained).name}" if self.clip else NO_CLIP_MODEL
        self._zero_shot: dict[str, PrototypeClassifier] | None = None
        self._zero_shot_lock = threading.Lock()
        self._queries = QueryCache()  # CLIP text vectors of recent single queries

    def _with_runtime(self, clip: LoadedClip) -> LoadedClip:
        """The loaded CLIP with its image tower on the spec's runtime (ONNX Runtime: exported once per machine)."""
        if self.spec.runtime == "torch":
            return clip
        from extractors.visual.runtime import onnx_image_tower

        size = clip.inputs.size if clip.inputs else int(np.atleast_1d(clip.model.visual.image_size)[0])
        identity = weights_key(self.spec.model, clip.weights, "fp32")
        return clip._replace(image_tower=onnx_image_tower(clip.model, size, self.spec.runtime, self.cache_dir,
                                                          identity))

    # --- weight-free parts (run in the pipeline's prepare stage) ---

    def frame_stats(self, media: DecodedMedia) -> FrameStats:
        """Statistics of a DecodedMedia's frames, with the decoder's shot and motion measurements."""
        return self.frames.frame_stats(media)

    def read_text(self, media: DecodedMedia) -> OnScreenText | None:
        """On-screen text from about one frame per shot; None when OCR is switched off."""
        return self.frames.read_text(media)

    def check_safety(self, media: DecodedMedia) -> SafetyReport:
        """The sensitive-content flag from sampled frames ("unavailable" without the detector)."""
        return self.frames.check_safety(media)

    # --- CLIP ---

    def embed_frames(self, frames: list[np.ndarray]) -> np.ndarray:
        """Unit CLIP image vectors for RGB uint8 frames, shape [n, dim] (CLIP weights required)."""
        return embed_images(self.clip, frames, self.spec.device, self.options.batch_size)

    def embed_text(self, texts: list[str]) -> np.ndarray | None:
        """Unit CLIP text vectors [n, dim] in the frame vectors' space (text-to-video search); None without CLIP."""
        if self.clip is None:
            return None
        cached = self._queries.get(texts[0]) if len(texts) == 1 else None
        if cached is not None:
            return cached[None, :]
        vectors = embed_texts(self.clip, texts, self.spec.device)
        if len(texts) == 1:
            self._queries.put(texts[0], vectors[0])
        return vectors

    def zero_shot_classifiers(self) -> dict[str, PrototypeClassifier]:
        """Per class group ("taxonomy", "scene"), prototypes from CLIP's text tower. Built once."""
        with self._zero_shot_lock:
            if self._zero_shot is None:
                key = weights_key(self.spec.model, self.clip.weights, self.spec.precision)
                folder = self.cache_dir / "clip-text" if self.cache_dir else None
                self.prompt_cache = CachedTextEmbed(self.embed_text, folder, key)
                self._zero_shot = zero_shot_classifiers(self.prompt_cache, self.clip.logit_scale)
            return self._zero_shot

    def warm_up_background(self) -> threading.Thread | None:
        """Build the zero-shot classifiers in a thread (read from the machine's cache, or encoded once per machine)
        while the first files decode; the first `zero_shot` waits for it. None when there is nothing to build."""
        if self.clip is None or not self.options.zero_shot or self._zero_shot is not None:
            return None
        thread = threading.Thread(target=self._warm_up, name="clip-zero-shot", daemon=True)
        thread.start()
        return thread

    def _warm_up(self) -> None:
        try:
            self.zero_shot_classifiers()
        except Exception:  # the first file's `zero_shot` tries again and reports it as that file's error
            log.warning("building the zero-shot classifiers in the background failed", exc_info=True)

    def zero_shot(self, frame_vectors: np.ndarray) -> dict[str, list[tuple[str, float]]]:
        """Class probabilities per group: softmax at CLIP's learned temperature per frame, averaged over frames."""
        return {group: classifier.ranked(frame_vectors) for group, classifier in self.zero_shot_classifiers().items()}

    def _clip_tags(self, frame_vectors: np.ndarray) -> tuple[list[Tag], dict]:
        ranked = self.zero_shot(frame_vectors)
        o = self.options
        tags = [Tag(cid, p, "clip") for cid, p in ranked["taxonomy"][: o.taxonomy_tags] if p >= o.tag_min_score]
        tags += [Tag(f"scene:{cid}", p, "clip") for cid, p in ranked["scene"][: o.scene_tags] if p >= o.tag_min_score]
        top = {g: [{"id": c, "p": round(p, 3)} for c, p in r[:3]] for g, r in ranked.items()}
        return tags, top

    # --- the modality ---

    def extract(self, meta: VideoMeta | None = None, media: DecodedMedia | None = None) -> ModalityFeatures:
        """The whole modality of a decoded video in one call: frame statistics, on-screen text, CLIP.
        (The words in `meta` are the text extractor's business and are not looked at.)"""
        if media is None:
            return ModalityFeatures.absent(self.name, self.dim, self.model, "no frames")
        return self.analyze(media.frames, media.frame_times, self.frame_stats(media), self.read_text(media),
                            safety=self.check_safety(media)).features

    def extract_frames(
        self,
        frames: list[np.ndarray],
        times: list[float] | None = None,
        stats: FrameStats | None = None,
        onscreen: OnScreenText | None = None,
    ) -> ModalityFeatures:
        """The modality from frames and what the prepare stage measured (statistics computed here if not)."""
        return self.analyze(frames, times, stats, onscreen).features

    def analyze(
        self,
        frames: list[np.ndarray],
        times: list[float] | None = None,
        stats: FrameStats | None = None,
        onscreen: OnScreenText | None = None,
        frame_vectors: np.ndarray | None = None,
        safety: SafetyReport | None = None,
    ) -> VisualAnalysis:
        """`extract_frames`, plus the per-frame CLIP vectors (`frame_vectors`: already embedded, e.g. in a batch
        across videos; computed here when None); `safety` (from `check_safety`) adds the flag."""
        times = list(times) if times is not None else [float(i) for i in range(len(frames))]
        if not frames:
            return VisualAnalysis(ModalityFeatures.absent(self.name, self.dim, self.model, "no frames"))
        stats = stats or compute_frame_stats(frames, times, faces=self.frames.faces)
        # Black or blank frames carry little: scale confidence by how much the picture varies.
        detail = min(float(np.mean([f.std() for f in frames])) / 64.0, 1.0)
        signal = float(np.clip(detail * (0.3 + 0.7 * min(stats.brightness * 4, 1.0)), 0.0, 1.0))
        tags = stats_tags(stats)
        info = {**stats.to_dict()}
        if onscreen is not None:
            info["onscreen_text"] = onscreen.lines
            info["ocr"] = onscreen.to_dict()
            if onscreen.lines:
                tags.append(Tag("on-screen text", 0.5 * max(onscreen.scores), "ocr"))
        if safety is not None:
            info["safety"] = safety.to_dict()
            tags += safety.tags()
        if self.clip is None:
            frame_vectors = None
            vector = stats.vector()
            confidence = 0.4 * signal  # a colour/motion summary says far less than CLIP would
            info["embedding"] = "frame statistics (no CLIP weights)"
        else:
            frame_vectors = self.embed_frames(frames) if frame_vectors is None else frame_vectors
            mean = l2_normalize(frame_vectors.mean(axis=0))
            vector = l2_normalize(mean + distinctive_pool(frame_vectors))
            confidence = signal
            info["embedding"] = "clip mean+distinctive pooling"
            if self.options.zero_shot:
                clip_tags, top = self._clip_tags(frame_vectors)
                tags = clip_tags + tags
                info["zero_shot"] = top
        if confidence <= 0 and signal <= 0:
            info["absent_reason"] = "frames are blank"
        features = ModalityFeatures(self.name, vector, confidence, tags, info, self.model)
        return VisualAnalysis(features, times, frame_vectors)
