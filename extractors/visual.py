"""Visual features: open_clip embeddings of sampled frames, mean-pooled into one video vector.

Weights load from a local checkpoint path or the local hub cache; nothing is downloaded unless
explicitly allowed, so a machine without network never waits on one.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extractors.features import ModalityFeatures, ModelUnavailableError, l2_normalize

log = logging.getLogger(__name__)
_HUB_WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


@dataclass(frozen=True)
class ClipSpec:
    """Which CLIP to load: an open_clip architecture (or model-config JSON path) and a tag or checkpoint path."""

    model: str = "ViT-B-32"
    pretrained: str = "laion2b_s34b_b79k"
    allow_download: bool = False


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
    """(model, preprocess, tokenizer) in eval mode on the CPU; ModelUnavailableError if weights are missing."""
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
        model, _, preprocess = open_clip.create_model_and_transforms(architecture, pretrained=weights or spec.pretrained)
    except Exception as exc:  # noqa: BLE001 - report any load failure once, with the setting to change
        raise ModelUnavailableError("REELSENSE_CLIP_PRETRAINED", f"cannot load CLIP {architecture}/{spec.pretrained}: {exc}") from exc
    model.eval()
    return model, preprocess, open_clip.get_tokenizer(architecture)


class VisualExtractor:
    name = "visual"

    def __init__(self, spec: ClipSpec = ClipSpec(), strict: bool = False, batch_size: int = 16):
        self.spec = spec
        self.batch_size = batch_size
        self.unavailable_reason: str | None = None
        self.clip = None
        try:
            self.clip = load_clip(spec)
        except ModelUnavailableError as exc:
            if strict:
                raise
            self.unavailable_reason = str(exc)
            log.warning("visual modality disabled: %s", exc)
        self.dim = int(self.clip[0].visual.output_dim) if self.clip else 0
        self.model = f"{Path(spec.model).stem}/{Path(spec.pretrained).name}" if self.clip else "none"

    def embed_frames(self, frames: list[np.ndarray]) -> np.ndarray:
        """Unit CLIP image vectors for RGB uint8 frames, shape [n, dim], batched under inference mode."""
        import torch
        from PIL import Image

        model, preprocess, _ = self.clip
        out = []
        with torch.inference_mode():
            for start in range(0, len(frames), self.batch_size):
                batch = torch.stack([preprocess(Image.fromarray(f)) for f in frames[start : start + self.batch_size]])
                out.append(model.encode_image(batch, normalize=True).float().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)

    def extract(self, frames: list[np.ndarray]) -> ModalityFeatures:
        if self.clip is None:
            return ModalityFeatures.absent(self.name, self.dim, self.model, self.unavailable_reason or "no CLIP weights")
        if not frames:
            return ModalityFeatures.absent(self.name, self.dim, self.model, "no frames")
        vectors = self.embed_frames(frames)
        pooled = l2_normalize(vectors.mean(axis=0))
        brightness = float(np.mean([f.mean() for f in frames])) / 255.0
        # Black or blank frames carry little: scale confidence by how much the picture varies.
        detail = float(np.mean([f.std() for f in frames])) / 64.0
        confidence = float(np.clip(min(detail, 1.0) * (0.3 + 0.7 * min(brightness * 4, 1.0)), 0.0, 1.0))
        stats = {"frames": len(frames), "brightness": round(brightness, 3)}
        return ModalityFeatures(self.name, pooled, confidence, [], stats, self.model)
