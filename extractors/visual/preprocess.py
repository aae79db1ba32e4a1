"""CLIP's image preprocessing as batched torch operations, on whatever device CLIP runs on.

open_clip preprocesses one PIL image at a time on the CPU (resize the short side with bicubic filtering,
centre crop, scale, normalise). Here whole batches are resized and normalised as tensors, on the GPU when
CLIP is there: resize placement dominates GPU embedding throughput (torchcodec's benchmarks found decode +
CPU resize about 10x slower than decode + GPU resize). On a CPU the resize is PIL's, as in open_clip, and
only cropping and normalising are batched. Either way the result matches open_clip's own preprocessing to
within interpolation rounding (the test compares vectors).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

SUPPORTED_RESIZE = ("shortest", "squash")
SUPPORTED_INTERPOLATION = ("bicubic", "bilinear")


@dataclass(frozen=True)
class InputSpec:
    """What the image tower takes: square side, per-channel mean and std, how to resize."""

    size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    interpolation: str = "bicubic"
    resize_mode: str = "shortest"  # "shortest": short side to `size` then centre crop; "squash": both sides


def input_spec(model: Any) -> InputSpec | None:
    """The spec from an open_clip model's `visual.preprocess_cfg`; None when it asks for something this module
    does not do (then the model's own PIL transform is used)."""
    cfg = getattr(getattr(model, "visual", None), "preprocess_cfg", None) or {}
    size = cfg.get("size")
    size = size[0] if isinstance(size, (tuple, list)) and len(set(size)) == 1 else size
    if not isinstance(size, int) or "mean" not in cfg or "std" not in cfg:
        return None
    spec = InputSpec(size, tuple(cfg["mean"]), tuple(cfg["std"]), cfg.get("interpolation", "bicubic"),
                     cfg.get("resize_mode", "shortest"))
    if spec.interpolation not in SUPPORTED_INTERPOLATION or spec.resize_mode not in SUPPORTED_RESIZE:
        return None
    return spec


def clip_inputs(frames: list[np.ndarray], spec: InputSpec, device: str, dtype: Any = None) -> Any:
    """Normalised [n, 3, size, size] tensor on `device` (in `dtype`, default float32) for RGB uint8 frames.

    Frames of one size are resized together; a batch may mix sizes (frames of several videos)."""
    import torch

    out = torch.empty((len(frames), 3, spec.size, spec.size), dtype=dtype or torch.float32, device=device)
    if not str(device).startswith("cuda"):  # on a CPU, PIL resizes 3x faster than torch's antialiased bicubic
        frames = [resize_short_side(f, spec) for f in frames]
    by_shape: dict[tuple[int, ...], list[int]] = {}
    for i, frame in enumerate(frames):
        by_shape.setdefault(frame.shape, []).append(i)
    for indices in by_shape.values():
        batch = torch.from_numpy(np.stack([frames[i] for i in indices])).to(device, non_blocking=True)
        out[indices] = prepare_batch(batch.permute(0, 3, 1, 2), spec).to(out.dtype)
    return out


def resize_short_side(frame: np.ndarray, spec: InputSpec) -> np.ndarray:
    """One RGB uint8 frame resized with PIL as open_clip's own transform does (then `prepare_batch` only crops)."""
    from PIL import Image

    h, w = frame.shape[:2]
    height, width = _resized(h, w, spec)
    if (height, width) == (h, w):
        return frame
    method = Image.BICUBIC if spec.interpolation == "bicubic" else Image.BILINEAR
    return np.asarray(Image.fromarray(frame).resize((width, height), method))


def _resized(h: int, w: int, spec: InputSpec) -> tuple[int, int]:
    """(height, width) before the centre crop: the short side to `size`, the long side truncated as
    torchvision's Resize does; both sides for "squash"."""
    if spec.resize_mode == "squash":
        return spec.size, spec.size
    if h <= w:
        return spec.size, int(spec.size * w / h)
    return int(spec.size * h / w), spec.size


def prepare_batch(images: Any, spec: InputSpec) -> Any:
    """uint8 [n, 3, h, w] (any device) -> normalised float32 [n, 3, size, size] on the same device."""
    import torch
    import torch.nn.functional as F

    h, w = images.shape[-2:]
    target = _resized(h, w, spec)
    top, left = (round((target[0] - spec.size) / 2), round((target[1] - spec.size) / 2))
    if target == (h, w):  # already resized (on the host): crop the uint8 pixels before converting them
        x = images[..., top : top + spec.size, left : left + spec.size].float() / 255.0
    else:
        x = F.interpolate(images.float(), size=target, mode=spec.interpolation, align_corners=False, antialias=True)
        x = x[..., top : top + spec.size, left : left + spec.size].clamp(0, 255) / 255.0
    mean = torch.tensor(spec.mean, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(spec.std, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std
