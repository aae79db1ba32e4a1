"""Loading open_clip from this machine only, and turning frames and texts into unit CLIP vectors.

A spec names an architecture (or a model-config JSON path) and a pretrained tag or checkpoint path.
Weights come from the checkpoint path or the local hub cache; nothing is downloaded unless the spec
allows it, so a machine without network never waits on one.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from extractors.errors import ModelUnavailableError

_HUB_WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
TEXT_BATCH = 64


@dataclass(frozen=True)
class ClipSpec:
    """Which CLIP to load: an open_clip architecture (or model-config JSON path) and a tag or checkpoint path."""

    model: str = "ViT-B-32"
    pretrained: str = "laion2b_s34b_b79k"
    allow_download: bool = False
    device: str = "cpu"  # "cpu", "cuda", "cuda:1", ...


DEFAULT_CLIP = ClipSpec()


class LoadedClip(NamedTuple):
    model: Any  # open_clip.CLIP in eval mode
    preprocess: Any  # PIL image -> tensor
    tokenizer: Any  # list of texts -> token tensor

    @property
    def dim(self) -> int:
        return int(self.model.visual.output_dim)

    @property
    def logit_scale(self) -> float:
        """CLIP's learned inverse softmax temperature for image-text similarities."""
        return float(self.model.logit_scale.exp().item())


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


def load_clip(spec: ClipSpec) -> LoadedClip:
    """Model, preprocessing and tokenizer in eval mode on spec.device; ModelUnavailableError if weights are missing."""
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
    except Exception as exc:
        raise ModelUnavailableError(
            "REELSENSE_CLIP_PRETRAINED", f"cannot load CLIP {architecture}/{spec.pretrained}: {exc}"
        ) from exc
    model.eval()
    return LoadedClip(model, preprocess, open_clip.get_tokenizer(architecture))


def embed_images(clip: LoadedClip, frames: list[np.ndarray], device: str, batch_size: int) -> np.ndarray:
    """Unit CLIP image vectors for RGB uint8 frames, shape [n, dim], batched under inference mode."""
    import torch
    from PIL import Image

    out = []
    with torch.inference_mode():
        for start in range(0, len(frames), batch_size):
            batch = torch.stack([clip.preprocess(Image.fromarray(f)) for f in frames[start : start + batch_size]])
            batch = batch.to(device, non_blocking=True)
            out.append(clip.model.encode_image(batch, normalize=True).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, clip.dim), np.float32)


def embed_texts(clip: LoadedClip, texts: list[str], device: str) -> np.ndarray:
    """Unit CLIP text vectors [n, dim] in the same space as the image vectors."""
    import torch

    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), TEXT_BATCH):
            tokens = clip.tokenizer(list(texts[start : start + TEXT_BATCH])).to(device)
            out.append(clip.model.encode_text(tokens, normalize=True).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, clip.dim), np.float32)
