"""The GPU decoding path's CPU-side logic, runnable without a GPU or PyNvVideoCodec: when NVDEC is used and
why not, frame indices for sample times, the on-device resizing (torch on CPU tensors here), and the frame
picker fed GPU-style frames (time, [3, H, W] tensor, tiny copy) as NvdecDecoder feeds it."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from extractors.errors import ModelUnavailableError
from extractors.media import SamplingOptions, decode, probe
from extractors.media.nvdec import GpuFrame, nvdec_status, resize_rgb, sample_indices
from extractors.media.sampling import FramePicker, scaled_size
from extractors.media.shots import TINY_SIDE
from tests.helpers import SAMPLE_MEDIA

HAS_NVDEC = importlib.util.find_spec("PyNvVideoCodec") is not None and torch.cuda.is_available()


def test_gpu_decoding_needs_cuda_and_the_package():
    use, reason = nvdec_status("auto", "cpu")
    assert not use and "cpu" in reason


def test_gpu_decoding_can_be_switched_off():
    assert nvdec_status("off", "cuda") == (False, "GPU decoding is off (REELSENSE_GPU_DECODE=off)")


@pytest.mark.skipif(HAS_NVDEC, reason="this machine can decode on the GPU")
def test_asking_for_gpu_decoding_where_it_cannot_run_names_the_setting():
    with pytest.raises(ModelUnavailableError) as err:
        nvdec_status("on", "cuda" if torch.cuda.is_available() else "cpu")
    assert err.value.details["setting"] == "REELSENSE_GPU_DECODE"


def test_sample_times_map_to_frame_indices_within_the_stream():
    assert sample_indices([0.0, 0.5, 1.02, 99.0], fps=25.0, frame_count=100) == [0, 12, 26, 99]


def test_resizing_on_the_device_keeps_the_picture():
    chw = torch.zeros((3, 90, 160), dtype=torch.uint8)
    chw[0, :, :80] = 255  # left half red
    small = resize_rgb(chw, 32, 18)
    assert small.shape == (18, 32, 3) and small.dtype == np.uint8
    assert small[:, :12, 0].min() == 255 and small[:, 20:, 0].max() == 0
    assert resize_rgb(chw.unsqueeze(0).repeat(2, 1, 1, 1), 8, 8).shape == (2, 8, 8, 3)


def test_the_picker_takes_gpu_frames_as_nvdec_hands_them_over():
    """Decode every frame of a clip with hard cuts (PyAV here, standing in for NVDEC's output), hand them over
    as GpuFrames: the same samples and cuts as PyAV's own path."""
    import av

    path = SAMPLE_MEDIA / "gym_workout.mp4"
    options = SamplingOptions(decode_mode="full")
    info = probe(path)
    size = scaled_size(info.width, info.height, options.frame_max_side)
    picker = FramePicker(info, options, None, (lambda f: resize_rgb(f.chw, *size), lambda f: f.tiny))
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            chw = torch.from_numpy(frame.to_ndarray(format="rgb24")).permute(2, 0, 1).contiguous()
            picker.add(GpuFrame(float(frame.time), 0, chw, resize_rgb(chw, TINY_SIDE, TINY_SIDE)))
    chosen = picker.finish()
    reference = decode(path, options=options)
    assert [t for t, _ in chosen] == pytest.approx(reference.frame_times, abs=1e-3)
    assert picker.shots.starts == pytest.approx(reference.shot_starts, abs=1e-3)
    assert chosen[0][1].shape == reference.frames[0].shape


class _DecoderStandIn:
    """PyNvVideoCodec's SimpleDecoder as nvdec.py uses it (len, stream metadata, batches of DLPack frames), serving
    PyAV's frames as CPU tensors: the external library is stood in for, NvdecDecoder's own code runs whole."""

    def __init__(self, path, **_):
        import av

        with av.open(str(path)) as container:
            self.fps = float(container.streams.video[0].average_rate)
            self.frames = [torch.from_numpy(f.to_ndarray(format="rgb24")).permute(2, 0, 1).contiguous()
                           for f in container.decode(video=0)]
        self.next = 0

    def __len__(self):
        return len(self.frames)

    def get_stream_metadata(self):
        return type("Meta", (), {"average_fps": self.fps})()

    def get_batch_frames(self, n):
        batch = self.frames[self.next : self.next + n]
        self.next += len(batch)
        return batch


def _gpu_decoder(limits):
    from types import SimpleNamespace

    from extractors.media.nvdec import NvdecDecoder

    decoder = object.__new__(NvdecDecoder)  # __init__ imports PyNvVideoCodec, absent here
    decoder.nvc = SimpleNamespace(SimpleDecoder=_DecoderStandIn, OutputColorType=SimpleNamespace(RGBP=0))
    decoder.limits, decoder.options, decoder.gpu_id = limits, SamplingOptions(decode_mode="full"), 0
    decoder._refused = set()
    return decoder


def test_the_decode_budget_is_charged_with_nvdec_frames_too():
    """The frame and pixel budgets stop an NVDEC decode as they stop PyAV's (code path only: no GPU here)."""
    from extractors.errors import MediaError
    from extractors.media import MediaLimits

    path = SAMPLE_MEDIA / "gym_workout.mp4"
    assert _gpu_decoder(MediaLimits()).decode_or_none(path).frames
    for limits in (MediaLimits(max_decoded_frames=10), MediaLimits(max_decoded_pixels=20 * 144 * 256)):
        with pytest.raises(MediaError) as err:
            _gpu_decoder(limits).decode_or_none(path)
        assert err.value.code == "too_many_frames"
