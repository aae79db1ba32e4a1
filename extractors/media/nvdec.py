"""Video decoding on the GPU (NVDEC) through PyNvVideoCodec 2.x, an optional extra: `pip install 'reelsense[gpu]'`.

Frames stay on the GPU: each decoded frame is handed to torch through DLPack, and the resizing to sample size
and to the shot detector's 32x32 happens there, batched; only the small results are copied to the host. The
rest of the pipeline sees the same `DecodedMedia` as from PyAV (audio is decoded by PyAV, in the CPU stage).
Files NVDEC refuses (codecs or profiles the GPU lacks, containers SimpleDecoder cannot index) fall back to PyAV.

PyNvVideoCodec API relied on (2.x; NVIDIA's API reference, pynvc-api-reference/decoder.html, and the package's
decoders/SimpleDecoder.py and samples/SimpleDecoder/EnsembleApp.py):
  * `SimpleDecoder(path, gpu_id=0, use_device_memory=True, output_color_type=OutputColorType.RGBP,
    need_scanned_stream_metadata=False)`; `len(decoder)` is the frame count;
  * `get_stream_metadata()` with `.average_fps`; `get_scanned_stream_metadata().key_frame_indices` (when scanned);
  * `get_batch_frames(n)`: the next n frames in order; `get_batch_frames_by_index(indices)`: frames at indices;
  * a `DecodedFrame` implements `__dlpack__`, so `torch.from_dlpack(frame)` is a [3, H, W] uint8 CUDA tensor (RGBP).
Frame times are index / average frame rate (PyAV's path reads each frame's timestamp instead).
"""
from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from extractors.errors import MediaError, ModelUnavailableError
from extractors.media.budget import DecodeBudget
from extractors.media.plan import SamplePlan, cut_keyframes, plan_samples
from extractors.media.probing import open_container, probe
from extractors.media.sampling import FramePicker, sample_times, scaled_size
from extractors.media.shots import TINY_SIDE
from extractors.media.types import DecodedMedia, MediaInfo, MediaLimits, SamplingOptions

log = logging.getLogger(__name__)
CHUNK = 64  # frames per batch decoded and resized together


def nvdec_status(requested: str, device: str) -> tuple[bool, str]:
    """Whether to decode on the GPU, and why: `requested` is "auto", "on" or "off"; "on" without CUDA or the
    package is a ModelUnavailableError naming REELSENSE_GPU_DECODE."""
    if requested == "off":
        return False, "GPU decoding is off (REELSENSE_GPU_DECODE=off)"
    reason = None
    if not device.startswith("cuda"):
        reason = f"CLIP runs on {device}, not CUDA"
    elif importlib.util.find_spec("PyNvVideoCodec") is None:
        reason = "PyNvVideoCodec is not installed (pip install 'reelsense[gpu]')"
    if reason is None:
        return True, "NVDEC through PyNvVideoCodec"
    if requested == "on":
        raise ModelUnavailableError("REELSENSE_GPU_DECODE", f"GPU decoding was asked for but {reason}")
    return False, reason


def sample_indices(times: list[float], fps: float, frame_count: int) -> list[int]:
    """Frame indices shown at `times` on a constant-rate timeline, within [0, frame_count)."""
    return [min(max(0, round(t * fps)), frame_count - 1) for t in times]


@dataclass
class GpuFrame:
    """One decoded frame for `FramePicker`: its time, the display rotation, the frame on the GPU, its tiny copy."""

    time: float
    rotation: int
    chw: Any  # uint8 [3, H, W] tensor
    tiny: np.ndarray  # uint8 [TINY_SIDE, TINY_SIDE, 3]


def resize_rgb(chw: Any, width: int, height: int) -> np.ndarray:
    """uint8 [3, H, W] or [n, 3, H, W] tensor (any device) -> host uint8 HWC array(s) of the given size."""
    import torch.nn.functional as F

    batch = chw if chw.dim() == 4 else chw.unsqueeze(0)
    small = F.interpolate(batch.float(), size=(height, width), mode="bilinear", align_corners=False, antialias=True)
    out = small.round().clamp(0, 255).to("cpu").byte().permute(0, 2, 3, 1).numpy()
    return out if chw.dim() == 4 else out[0]


class NvdecDecoder:
    """Decodes a file's video with NVDEC into `DecodedMedia` (audio None); build it where CUDA is present."""

    def __init__(self, limits: MediaLimits, options: SamplingOptions, gpu_id: int = 0):
        import PyNvVideoCodec as nvc

        self.nvc, self.limits, self.options, self.gpu_id = nvc, limits, options, gpu_id
        self._refused: set[str] = set()

    def decode_or_none(self, path: Path) -> DecodedMedia | None:
        """The decoded video, or None when NVDEC refused the file (PyAV then decodes it); bad files raise
        the same MediaError as with PyAV (the checks run before NVDEC opens anything)."""
        info = probe(path, self.limits)
        try:
            return self._decode(Path(path), info)
        except MediaError:
            raise
        except Exception as exc:  # whatever NVDEC refuses (codec, profile, container), PyAV decodes
            if info.video_codec not in self._refused:
                self._refused.add(info.video_codec)
                log.warning("NVDEC refused %s (%s, %s): decoding with PyAV instead", path, info.video_codec, exc)
            return None

    def _decode(self, path: Path, info: MediaInfo) -> DecodedMedia:
        fast = self.options.decode_mode == "fast"
        decoder = self.nvc.SimpleDecoder(str(path), gpu_id=self.gpu_id, use_device_memory=True,
                                         output_color_type=self.nvc.OutputColorType.RGBP,
                                         need_scanned_stream_metadata=fast)
        count = len(decoder)
        fps = float(decoder.get_stream_metadata().average_fps or info.fps or 30.0)
        info.rotation = _rotation(path)
        plan, wanted = self._plan(decoder, info, fps, count) if fast else (None, None)
        picker = FramePicker(info, self.options, plan, (self._to_sample(info), lambda f: f.tiny))
        budget = DecodeBudget(path.name, self.limits)  # the same limits as PyAV's decode, on what NVDEC decoded
        for chunk in self._chunks(decoder, count, wanted):
            for index, chw in chunk:
                budget.charge(int(chw.shape[-1]), int(chw.shape[-2]), index / fps)
            tiny = resize_rgb(_stack([chw for _, chw in chunk]), TINY_SIDE, TINY_SIDE)  # one copy per chunk
            for (index, chw), small in zip(chunk, tiny, strict=True):
                picker.add(GpuFrame(index / fps, info.rotation, chw, small))
        chosen = picker.finish()
        if not chosen:
            raise MediaError("corrupt", f"{path.name}: no video frame could be decoded")
        shots, motion = picker.shots, picker.shots.motion_per_s if picker.shots is not None else None
        return DecodedMedia(info, [f for _, f in chosen], [t for t, _ in chosen], None, self.options.audio_sample_rate,
                            shot_starts=list(shots.starts) if shots is not None else [],
                            motion_per_s=round(motion, 4) if motion is not None else None,
                            decoded_frames=picker.decoded)

    def _plan(self, decoder: Any, info: MediaInfo, fps: float, count: int) -> tuple[SamplePlan, list[int]]:
        """Fast mode: the sample plan over the keyframes, and the frame indices to fetch (planned and key)."""
        key_indices = list(decoder.get_scanned_stream_metadata().key_frame_indices)
        keyframes = [i / fps for i in key_indices]
        targets = sample_times(info.duration_s, self.options)
        step = targets[1] - targets[0] if len(targets) > 1 else max(info.duration_s, 1.0)
        plan = plan_samples(keyframes, targets, step / 2)
        cuts = cut_keyframes(keyframes, 1 / fps)
        plan.cut_keyframes = cuts if cuts is not None else []
        return plan, sorted(set(sample_indices(plan.pick_times, fps, count)) | set(key_indices))

    def _chunks(self, decoder: Any, count: int, wanted: list[int] | None):
        """Lists of (index, [3, H, W] uint8 tensor on the GPU) in order: every frame, or the `wanted` ones."""
        import torch

        if wanted is None:
            index = 0
            while index < count:
                batch = decoder.get_batch_frames(min(CHUNK, count - index))
                if not batch:
                    return
                yield [(index + i, torch.from_dlpack(frame)) for i, frame in enumerate(batch)]
                index += len(batch)
            return
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            frames = decoder.get_batch_frames_by_index(chunk)
            yield [(index, torch.from_dlpack(frame)) for index, frame in zip(chunk, frames, strict=True)]

    def _to_sample(self, info: MediaInfo):
        width, height = scaled_size(info.width, info.height, self.options.frame_max_side)

        def scale(frame: GpuFrame) -> np.ndarray:
            rgb = resize_rgb(frame.chw, width, height)
            turns = (frame.rotation % 360) // 90
            return np.ascontiguousarray(np.rot90(rgb, k=turns)) if turns else rgb

        return scale


def _stack(frames: list[Any]) -> Any:
    import torch

    return torch.stack(frames)


def _rotation(path: Path) -> int:
    """The display rotation, which travels with frames: read from the first frame PyAV decodes."""
    with open_container(path) as container:
        for frame in container.decode(video=0):
            return round((frame.rotation or 0) / 90.0) * 90 % 360
    return 0
