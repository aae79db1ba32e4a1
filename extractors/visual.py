"""Visual features: open_clip frame embeddings, zero-shot tags, weight-free frame statistics, on-screen text.

Weights load from a local checkpoint path or the local hub cache; nothing is downloaded unless
explicitly allowed, so a machine without network never waits on one. Without weights the modality
falls back to the frame-statistics vector, under its own embedding-space id, and says so.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from extractors.features import ModalityFeatures, ModelUnavailableError, Tag, l2_normalize
from extractors.frame_stats import STATS_VERSION, VECTOR_DIM, FaceCounter, FrameStats, compute_frame_stats
from extractors.ocr import OcrReader, OnScreenText
from extractors.taxonomy import load_taxonomy

log = logging.getLogger(__name__)
_HUB_WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
SCENES_FILE = Path(__file__).with_name("scenes.json")
NO_CLIP_MODEL = f"{STATS_VERSION}-noclip"  # the visual space id when CLIP weights are missing


@dataclass(frozen=True)
class ClipSpec:
    """Which CLIP to load: an open_clip architecture (or model-config JSON path) and a tag or checkpoint path."""

    model: str = "ViT-B-32"
    pretrained: str = "laion2b_s34b_b79k"
    allow_download: bool = False
    device: str = "cpu"  # "cpu", "cuda", "cuda:1", ...


def _architecture(spec: ClipSpec) -> str:
    import open_clip

    path = Path(spec.model)
    if path.suffix == ".json":
        if not path.is_file():
            raise ModelUnavailableError("REELSENSE_CLIP_MODEL", f"model config {path} does not exist")
        open_clip.add_model_config(path)
        return path.stem
    if spec.model not in open_clip.list_models():
        raise ModelUnavailableError("REELSENSE_CLIP_MODEL", f"unknown open_clip architecture {spec.model!r}")
    return spec.model


def _local_weights(architecture: str, spec: ClipSpec) -> str | None:
    """A checkpoint file on this machine for the spec, or None when only a download would give one."""
    import open_clip
    from huggingface_hub import try_to_load_from_cache

    if Path(spec.pretrained).is_file():
        return spec.pretrained
    cfg = open_clip.get_pretrained_cfg(architecture, spec.pretrained)
    if not cfg:
        raise ModelUnavailableError(
            "REELSENSE_CLIP_PRETRAINED", f"{spec.pretrained!r} is neither a file nor a pretrained tag of {architecture}"
        )
    repo = (cfg.get("hf_hub") or "").rstrip("/")
    for filename in _HUB_WEIGHT_FILES if repo else ():
        cached = try_to_load_from_cache(repo, filename)
        if isinstance(cached, str):
            return cached
    return None


def load_clip(spec: ClipSpec):
    """(model, preprocess, tokenizer) in eval mode on spec.device; ModelUnavailableError if weights are missing."""
    import open_clip

    architecture = _architecture(spec)
    weights = _local_weights(architecture, spec)
    if weights is None and not spec.allow_download:
        raise ModelUnavailableError(
            "REELSENSE_CLIP_PRETRAINED",
            f"weights {spec.pretrained!r} for {architecture} are not on this machine and downloads are off; "
            "set it to a local checkpoint path (or REELSENSE_CLIP_ALLOW_DOWNLOAD=true where a network exists)",
        )
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(
            architecture, pretrained=weights or spec.pretrained, device=spec.device
        )
    except Exception as exc:  # noqa: BLE001 - report any load failure once, with the setting to change
        raise ModelUnavailableError("REELSENSE_CLIP_PRETRAINED", f"cannot load CLIP {architecture}/{spec.pretrained}: {exc}") from exc
    model.eval()
    return model, preprocess, open_clip.get_tokenizer(architecture)



@dataclass(frozen=True)
class VisualOptions:
    """Everything about the visual modality that is not which CLIP to load."""

    batch_size: int = 16
    zero_shot: bool = True
    tag_min_score: float = 0.12  # a zero-shot class must reach this mean probability to become a tag
    taxonomy_tags: int = 3
    scene_tags: int = 2
    ocr: bool = True
    ocr_max_frames: int = 3
    ocr_min_score: float = 0.6


@dataclass
class VisualAnalysis:
    """The modality features plus per-frame CLIP vectors (for time-coded search); vectors None without CLIP."""

    features: ModalityFeatures
    frame_times: list[float] = field(default_factory=list)
    frame_vectors: np.ndarray | None = None


def _phrases(description: str, limit: int = 3) -> list[str]:
    """'recipes, cooking, baking and meals' -> ['recipes', 'cooking', 'baking']."""
    parts = [p.strip() for p in re.split(r",| and ", description) if p.strip()]
    return parts[:limit]


def zero_shot_classes() -> dict[str, list[tuple[str, list[str]]]]:
    """Class id -> prompts, for the shared taxonomy and the scene list, each a prompt ensemble."""
    data = json.loads(SCENES_FILE.read_text())
    templates = data["templates"]
    taxonomy = [
        (c.id, [t.format(p) for p in [c.label.lower(), *_phrases(c.description)] for t in templates]) for c in load_taxonomy()
    ]
    scenes = [(sc["id"], [t.format(p) for p in sc["phrases"] for t in templates]) for sc in data["scenes"]]
    return {"taxonomy": taxonomy, "scene": scenes}


def distinctive_pool(vectors: np.ndarray, temperature: float = 0.05) -> np.ndarray:
    """A pooling that favours frames unlike the average frame (a 2 s product shot in a 60 s talk)."""
    mean = l2_normalize(vectors.mean(axis=0))
    distance = 1.0 - vectors @ mean
    weights = np.exp((distance - distance.max()) / temperature)
    return l2_normalize((weights / weights.sum()) @ vectors)


def stats_tags(stats: FrameStats) -> list[Tag]:
    """Tags a viewer would agree with from the statistics alone; scores scaled below content tags."""
    tags = [Tag(name, 0.6 * share, "frame_stats") for name, share in stats.dominant_colours]
    if stats.motion_level == "fast":
        tags.append(Tag("fast motion", 0.6 * float(np.tanh(stats.motion / 0.3)), "frame_stats"))
    elif stats.motion_level == "still":
        tags.append(Tag("static shot", 0.4, "frame_stats"))
    if stats.cuts_per_s >= 0.5:
        tags.append(Tag("many cuts", 0.6 * float(np.tanh(stats.cuts_per_s)), "frame_stats"))
    with_faces = sum(1 for n in stats.faces_per_frame if n > 0)
    if with_faces:
        tags.append(Tag("faces", 0.6 * with_faces / len(stats.faces_per_frame), "frame_stats"))
    if stats.brightness < 0.2:
        tags.append(Tag("dark", 0.4, "frame_stats"))
    if stats.colourfulness > 0.5:
        tags.append(Tag("colourful", 0.6 * stats.colourfulness, "frame_stats"))
    return tags


class VisualExtractor:
    name = "visual"

    def __init__(self, spec: ClipSpec = ClipSpec(), strict: bool = False, batch_size: int = 16, options: VisualOptions | None = None):
        self.spec = spec
        self.options = options or VisualOptions(batch_size=batch_size)
        self.batch_size = self.options.batch_size
        self.unavailable_reason: str | None = None
        self.clip = None
        try:
            self.clip = load_clip(spec)
        except ModelUnavailableError as exc:
            if strict:
                raise
            self.unavailable_reason = str(exc)
            log.warning(
                "CLIP weights unavailable, the visual modality uses weight-free frame statistics instead "
                "(embedding space visual=%s:%d): %s. Set REELSENSE_CLIP_STRICT=true to make this an error.",
                NO_CLIP_MODEL, VECTOR_DIM, exc,
            )
        self.dim = int(self.clip[0].visual.output_dim) if self.clip else VECTOR_DIM
        self.model = f"{Path(spec.model).stem}/{Path(spec.pretrained).name}" if self.clip else NO_CLIP_MODEL
        self.faces = FaceCounter()
        self.ocr = OcrReader(self.options.ocr_min_score) if self.options.ocr else None
        self._class_vectors: dict[str, tuple[list[str], np.ndarray]] | None = None
        self._class_lock = threading.Lock()

    # --- weight-free parts (run in the pipeline's prepare stage) ---

    def frame_stats(self, media) -> FrameStats:
        """Statistics of a DecodedMedia's frames, with the decoder's shot and motion measurements."""
        return compute_frame_stats(
            media.frames, media.frame_times, media.info.duration_s, media.shot_starts, media.motion_per_s, self.faces
        )

    def read_text(self, media) -> OnScreenText | None:
        """On-screen text from a few frames; None when OCR is switched off."""
        if self.ocr is None:
            return None
        return self.ocr.read(media.frames, media.frame_times, media.shot_starts, self.options.ocr_max_frames)

    # --- CLIP ---

    def embed_frames(self, frames: list[np.ndarray]) -> np.ndarray:
        """Unit CLIP image vectors for RGB uint8 frames, shape [n, dim], batched under inference mode."""
        import torch
        from PIL import Image

        model, preprocess, _ = self.clip
        out = []
        with torch.inference_mode():
            for start in range(0, len(frames), self.batch_size):
                batch = torch.stack([preprocess(Image.fromarray(f)) for f in frames[start : start + self.batch_size]])
                batch = batch.to(self.spec.device, non_blocking=True)
                out.append(model.encode_image(batch, normalize=True).float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)

    def embed_text(self, texts: list[str]) -> np.ndarray | None:
        """Unit CLIP text vectors [n, dim] in the same space as frame vectors (text-to-video search); None without CLIP."""
        if self.clip is None:
            return None
        import torch

        model, _, tokenizer = self.clip
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), 64):
                tokens = tokenizer(list(texts[start : start + 64])).to(self.spec.device)
                out.append(model.encode_text(tokens, normalize=True).float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)

    def _zero_shot_vectors(self) -> dict[str, tuple[list[str], np.ndarray]]:
        """Per class group: ids and one unit vector per class (mean of its prompt ensemble). Built once."""
        with self._class_lock:
            if self._class_vectors is None:
                groups = {}
                for group, classes in zero_shot_classes().items():
                    prompts = [p for _, ps in classes for p in ps]
                    encoded = self.embed_text(prompts)
                    vectors, at = [], 0
                    for _, ps in classes:
                        vectors.append(l2_normalize(encoded[at : at + len(ps)].mean(axis=0)))
                        at += len(ps)
                    groups[group] = ([cid for cid, _ in classes], np.stack(vectors))
                self._class_vectors = groups
            return self._class_vectors

    def zero_shot(self, frame_vectors: np.ndarray) -> dict[str, list[tuple[str, float]]]:
        """Class probabilities per group: softmax at CLIP's learned temperature per frame, averaged over frames."""
        scale = float(self.clip[0].logit_scale.exp().item())
        result = {}
        for group, (ids, class_vectors) in self._zero_shot_vectors().items():
            logits = scale * frame_vectors @ class_vectors.T
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            mean = probs.mean(axis=0)
            order = np.argsort(-mean)
            result[group] = [(ids[i], float(mean[i])) for i in order]
        return result

    def _clip_tags(self, frame_vectors: np.ndarray) -> tuple[list[Tag], dict]:
        ranked = self.zero_shot(frame_vectors)
        o = self.options
        tags = [Tag(cid, p, "clip") for cid, p in ranked["taxonomy"][: o.taxonomy_tags] if p >= o.tag_min_score]
        tags += [Tag(f"scene:{cid}", p, "clip") for cid, p in ranked["scene"][: o.scene_tags] if p >= o.tag_min_score]
        top = {g: [{"id": c, "p": round(p, 3)} for c, p in r[:3]] for g, r in ranked.items()}
        return tags, top

    # --- the modality ---

    def analyze(
        self,
        frames: list[np.ndarray],
        times: list[float] | None = None,
        stats: FrameStats | None = None,
        onscreen: OnScreenText | None = None,
    ) -> VisualAnalysis:
        times = list(times) if times is not None else [float(i) for i in range(len(frames))]
        if not frames:
            return VisualAnalysis(ModalityFeatures.absent(self.name, self.dim, self.model, "no frames"))
        stats = stats or compute_frame_stats(frames, times, faces=self.faces)
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
        frame_vectors = None
        if self.clip is None:
            vector = stats.vector()
            confidence = 0.4 * signal  # a colour/motion summary says far less than CLIP would
            info["embedding"] = "frame statistics (no CLIP weights)"
        else:
            frame_vectors = self.embed_frames(frames)
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

    def extract(
        self,
        frames: list[np.ndarray],
        times: list[float] | None = None,
        stats: FrameStats | None = None,
        onscreen: OnScreenText | None = None,
    ) -> ModalityFeatures:
        return self.analyze(frames, times, stats, onscreen).features
