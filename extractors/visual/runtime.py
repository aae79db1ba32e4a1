"""CLIP's image tower through ONNX Runtime on a CPU (REELSENSE_CLIP_RUNTIME=onnx or onnx-int8).

The graph is exported once per machine from the configured checkpoint (fp32), optionally quantised to int8 weights
(dynamic quantisation), and kept in the machine's cache under a hash of the weights' identity and the library
versions, so every data dir, run and worker process on the machine reuses it; the export runs under a file lock.
Before a graph is used for the first time its vectors are compared with torch fp32 on a fixed probe batch: below
MIN_COSINE the vectors would not belong to the embedding space, so the runtime refuses (a clear error naming the
setting) instead of mixing spaces.

Measured with bench/clip_runtimes.py on the 2-core AMD EPYC dev box (AVX-512 with bf16/VNNI, no AMX; shared with
other jobs), ViT-B-32, 64 720p frames, batch 32, 3 alternated rounds, images/s (cosine to torch fp32): torch fp32
12.6, torch bf16 27.3 (0.99994), onnx fp32 16.6, onnx int8 33.1 (0.99979). int8 ONNX Runtime
would be the fastest on a CPU, but dynamic quantisation scales activations per batch, so a frame's vector
depends on which other frames share its forward pass (up to 3e-3 per component measured): the same file would
embed differently alone, in a batch, or on another engine. `auto` therefore stays on torch (bf16 where the CPU has
native bf16, see clip.resolve_precision, which is batch-independent); int8 is the opt-in for throughput where that
is acceptable. The first use on a machine exports and quantises (about 10 s for ViT-B-32 here); later loads take
2 s more than torch's.
"""
from __future__ import annotations

import copy
import hashlib
import importlib.util
import logging
from pathlib import Path
from typing import Any

import numpy as np

from extractors.errors import ModelUnavailableError
from extractors.visual.text_cache import library_versions, locked

log = logging.getLogger(__name__)
RUNTIMES = ("torch", "onnx", "onnx-int8")
MIN_COSINE = 0.995  # the lowest per-image cosine to torch fp32 that keeps the embedding-space id
PROBE_IMAGES = 4
OPSET = 17


class OnnxImageTower:
    """`tower(batch)`: float32 CLIP image vectors (not normalised) for a preprocessed [n, 3, H, W] batch."""

    def __init__(self, path: Path, threads: int = 0):
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.path = path
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, batch: Any):
        import torch

        pixels = batch.detach().float().cpu().numpy()
        return torch.from_numpy(self.session.run(None, {"pixels": pixels})[0])


def resolve_runtime(requested: str, device: str) -> str:
    """"auto" is torch (see the module docstring for why int8, the fastest, is not the default); ONNX Runtime
    only on a CPU (it is CPU-only here), where onnxruntime is installed."""
    if requested not in ("auto", *RUNTIMES):
        raise ModelUnavailableError("REELSENSE_CLIP_RUNTIME", f"unknown CLIP runtime {requested!r}")
    if requested == "auto" or device != "cpu":
        return "torch"
    if not importlib.util.find_spec("onnxruntime"):
        raise ModelUnavailableError("REELSENSE_CLIP_RUNTIME", f"{requested} needs onnxruntime (pip install it)")
    return requested


def onnx_image_tower(model: Any, image_size: int, runtime: str, cache_dir: Path | None, identity: str,
                     threads: int = 0) -> OnnxImageTower:
    """The ONNX Runtime tower for an open_clip model: exported (and quantised) into `cache_dir` on first use,
    checked against torch fp32; ModelUnavailableError (REELSENSE_CLIP_RUNTIME) if it cannot keep the space."""
    folder = (cache_dir or Path(".")) / "clip-onnx"
    key = hashlib.sha256(f"{identity}|{image_size}|{library_versions('torch', 'onnxruntime')}".encode()).hexdigest()
    path = folder / f"{key[:32]}-{runtime}.onnx"
    with locked(folder / f"{key[:32]}.lock"):
        if not path.exists():
            _export(model, image_size, folder / f"{key[:32]}-onnx.onnx", path, quantise=runtime == "onnx-int8")
    tower = OnnxImageTower(path, threads)
    checked = path.with_suffix(".cosine")  # the probe's result, kept beside the graph: measured once per export
    cosine = float(checked.read_text()) if checked.exists() else probe_cosine(model, tower, image_size)
    checked.write_text(f"{cosine:.6f}")
    if cosine < MIN_COSINE:
        raise ModelUnavailableError("REELSENSE_CLIP_RUNTIME", f"{runtime} CLIP vectors agree with torch fp32 only "
                                    f"to a cosine of {cosine:.4f} (< {MIN_COSINE}): use REELSENSE_CLIP_RUNTIME=torch")
    log.info("CLIP image tower on ONNX Runtime (%s), cosine to torch fp32 %.5f", runtime, cosine)
    return tower


def _export(model: Any, image_size: int, fp32_path: Path, path: Path, quantise: bool) -> None:
    """The fp32 graph from a float copy of the image tower (dynamic batch), then int8 weights if asked."""
    import torch

    visual = copy.deepcopy(model.visual).float().eval()
    dummy = torch.zeros(1, 3, image_size, image_size)
    partial = path.with_suffix(".partial")
    if not fp32_path.exists():
        # with grad on, nn.MultiheadAttention takes its plain path (the fused kernel has no ONNX export)
        with torch.inference_mode(False), torch.enable_grad():
            torch.onnx.export(visual, (dummy,), str(partial), input_names=["pixels"], output_names=["vectors"],
                              dynamic_axes={"pixels": {0: "batch"}, "vectors": {0: "batch"}}, opset_version=OPSET,
                              dynamo=False)
        partial.replace(fp32_path)
    if quantise:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32_path), str(partial), weight_type=QuantType.QInt8)
        partial.replace(path)


def probe_cosine(model: Any, tower: OnnxImageTower, image_size: int) -> float:
    """The lowest cosine between torch fp32 and the tower's vectors over a fixed batch of smooth random images."""
    import torch

    generator = torch.Generator().manual_seed(0)
    coarse = torch.rand(PROBE_IMAGES, 3, 8, 8, generator=generator) * 4 - 2
    probe = torch.nn.functional.interpolate(coarse, size=(image_size, image_size), mode="bilinear")
    with torch.no_grad():
        reference = copy.deepcopy(model.visual).float().eval()(probe).numpy()
    ours = tower(probe).numpy()
    cosines = (reference * ours).sum(1) / (np.linalg.norm(reference, axis=1) * np.linalg.norm(ours, axis=1))
    return float(cosines.min())
