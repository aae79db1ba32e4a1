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
from extractors.visual.preprocess import InputSpec, clip_inputs, input_spec

_HUB_WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
PRECISIONS = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}  # ClipSpec.precision -> torch dtype
TEXT_BATCH = 64


@dataclass(frozen=True)
class ClipSpec:
    """Which CLIP to load: an open_clip architecture (or model-config JSON path) and a tag or checkpoint path."""

    model: str = "ViT-B-32"
    pretrained: str = "laion2b_s34b_b79k"
    allow_download: bool = False
    device: str = "cpu"  # "cpu", "cuda", "cuda:1", ...
    precision: str = "fp32"  # "fp32", "bf16", "fp16": the weights' dtype (see `resolve_precision`)
    runtime: str = "torch"  # "torch", or on a CPU "onnx"/"onnx-int8": the image tower on ONNX Runtime (runtime.py)


DEFAULT_CLIP = ClipSpec()


class LoadedClip(NamedTuple):
    model: Any  # open_clip.CLIP in eval mode, weights in the spec's precision
    preprocess: Any  # PIL image -> tensor (used only when `inputs` is None)
    tokenizer: Any  # list of texts -> token tensor
    inputs: InputSpec | None = None  # batched tensor preprocessing (preprocess.py), when the model allows it
    dtype: Any = None  # torch dtype of the weights
    weights: str = ""  # the checkpoint file loaded (or the pretrained tag open_clip resolved)
    image_tower: Any = None  # batch -> image vectors when not open_clip's own (runtime.OnnxImageTower)

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

    if spec.precision not in PRECISIONS:
        raise ModelUnavailableError("REELSENSE_CLIP_PRECISION", f"unknown precision {spec.precision!r}")
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
    import torch

    dtype = getattr(torch, PRECISIONS[spec.precision])
    model = model.eval().to(dtype)
    return LoadedClip(model, preprocess, open_clip.get_tokenizer(architecture), input_spec(model), dtype,
                      weights or spec.pretrained)


def resolve_precision(requested: str, device: str) -> str:
    """"auto": fp16 on CUDA; bf16 on a CPU with native bf16 matrix units (AMX or AVX-512 BF16, where
    ViT-B-32 ran 2.4x faster than fp32 on this project's 2-core bench machine; without them bf16 is emulated
    and slower); else fp32. The vectors agree with fp32 to a cosine of 0.9999, so the space id is the same."""
    if requested != "auto":
        return requested
    if device.startswith("cuda"):
        return "fp16"
    import torch

    try:
        native_bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        native_bf16 = False
    return "bf16" if native_bf16 else "fp32"



def embed_images(clip: LoadedClip, frames: list[np.ndarray], device: str, batch_size: int) -> np.ndarray:
    """Unit CLIP image vectors for RGB uint8 frames (of any sizes, e.g. several videos), shape [n, dim],
    batched under inference mode; preprocessing runs batched on `device` (see preprocess.py)."""
    import torch
    import torch.nn.functional as F

    out = []
    with torch.inference_mode():
        for start in range(0, len(frames), batch_size):
            batch = _inputs(clip, frames[start : start + batch_size], device)
            tower = clip.image_tower or clip.model.encode_image
            vectors = tower(batch).float()
            out.append(F.normalize(vectors, dim=-1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, clip.dim), np.float32)


def _inputs(clip: LoadedClip, frames: list[np.ndarray], device: str):
    import torch

    if clip.inputs is not None:
        return clip_inputs(frames, clip.inputs, device, clip.dtype)
    from PIL import Image

    batch = torch.stack([clip.preprocess(Image.fromarray(f)) for f in frames])
    return batch.to(device, dtype=clip.dtype, non_blocking=True)


def embed_texts(clip: LoadedClip, texts: list[str], device: str) -> np.ndarray:
    """Unit CLIP text vectors [n, dim] in the same space as the image vectors."""
    import torch

    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), TEXT_BATCH):
            tokens = clip.tokenizer(list(texts[start : start + TEXT_BATCH])).to(device)
            vectors = clip.model.encode_text(tokens).float()
            out.append(torch.nn.functional.normalize(vectors, dim=-1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, clip.dim), np.float32)
