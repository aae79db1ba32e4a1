"""The composition root picks the decoding backend from the settings and what the machine has."""
from __future__ import annotations

import importlib.util

import pytest
import torch

from extractors.errors import ModelUnavailableError
from service.config import Settings
from service.factory import Components

HAS_NVDEC = importlib.util.find_spec("PyNvVideoCodec") is not None and torch.cuda.is_available()


@pytest.mark.skipif(HAS_NVDEC, reason="this machine decodes on the GPU")
def test_without_nvdec_pyav_decodes_and_asking_for_the_gpu_is_an_error(tmp_path):
    assert Components(Settings(data_dir=tmp_path, gpu_decode="auto")).gpu_decoder is None
    with pytest.raises(ModelUnavailableError, match="REELSENSE_GPU_DECODE"):
        _ = Components(Settings(data_dir=tmp_path, gpu_decode="on", device="cpu")).gpu_decoder


@pytest.mark.skipif(not HAS_NVDEC, reason="needs CUDA and PyNvVideoCodec (pip install 'reelsense[gpu]')")
def test_with_nvdec_the_gpu_decodes(tmp_path):
    from extractors.media.nvdec import NvdecDecoder

    decoder = Components(Settings(data_dir=tmp_path, gpu_decode="auto", device="cuda")).gpu_decoder
    assert isinstance(decoder, NvdecDecoder)
