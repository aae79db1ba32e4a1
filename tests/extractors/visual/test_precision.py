"""CLIP in bf16 or fp16 weights: the same embedding space as fp32 (so the same space id), and the rules that
pick a precision for "auto"."""
from __future__ import annotations

import numpy as np
import pytest

from extractors.errors import ModelUnavailableError
from extractors.media import decode
from extractors.visual import ClipSpec, VisualExtractor, VisualOptions
from extractors.visual.clip import resolve_precision
from tests.helpers import SAMPLE_MEDIA


def _visual(tiny_clip, precision: str) -> VisualExtractor:
    config, checkpoint = tiny_clip
    return VisualExtractor(ClipSpec(str(config), str(checkpoint), precision=precision),
                           options=VisualOptions(ocr=False))


def test_bf16_vectors_match_fp32_and_keep_the_space_id(tiny_clip):
    frames = decode(SAMPLE_MEDIA / "dance_party.mp4").frames
    fp32, bf16 = _visual(tiny_clip, "fp32"), _visual(tiny_clip, "bf16")
    a, b = fp32.embed_frames(frames), bf16.embed_frames(frames)
    assert b.dtype == np.float32
    assert np.linalg.norm(b, axis=1) == pytest.approx(np.ones(len(frames)), abs=1e-4)
    assert float(np.min(np.sum(a * b, axis=1))) > 0.99
    assert fp32.model == bf16.model


def test_auto_is_fp16_on_cuda_and_a_fixed_choice_is_kept():
    assert resolve_precision("auto", "cuda:0") == "fp16"
    assert resolve_precision("fp32", "cuda") == "fp32"
    assert resolve_precision("auto", "cpu") in ("bf16", "fp32")


def test_an_unknown_precision_names_the_setting(tiny_clip):
    config, checkpoint = tiny_clip
    with pytest.raises(ModelUnavailableError) as err:
        VisualExtractor(ClipSpec(str(config), str(checkpoint), precision="int3"), strict=True)
    assert err.value.details["setting"] == "REELSENSE_CLIP_PRECISION"
