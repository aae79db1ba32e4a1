"""CLIP's image tower on ONNX Runtime: exported once per machine cache, the same vectors as torch fp32 (so the same
space id), and the rules that pick a runtime."""
from __future__ import annotations

import numpy as np
import pytest

from extractors.errors import ModelUnavailableError
from extractors.media import decode
from extractors.visual import ClipSpec, VisualExtractor, VisualOptions
from extractors.visual.runtime import resolve_runtime
from tests.helpers import SAMPLE_MEDIA


def _visual(tiny_clip, runtime: str, cache_dir=None) -> VisualExtractor:
    config, checkpoint = tiny_clip
    return VisualExtractor(ClipSpec(str(config), str(checkpoint), runtime=runtime), strict=True,
                           options=VisualOptions(ocr=False), cache_dir=cache_dir)


@pytest.mark.parametrize(("runtime", "min_cosine"), [("onnx", 0.9999), ("onnx-int8", 0.995)])
def test_onnx_vectors_match_torch_and_keep_the_space_id(tiny_clip, tmp_path, runtime, min_cosine):
    frames = decode(SAMPLE_MEDIA / "dance_party.mp4").frames
    torch_visual, onnx_visual = _visual(tiny_clip, "torch"), _visual(tiny_clip, runtime, tmp_path)
    a, b = torch_visual.embed_frames(frames), onnx_visual.embed_frames(frames)
    assert b.shape == a.shape and b.dtype == np.float32
    assert float(np.min(np.sum(a * b, axis=1))) > min_cosine
    assert onnx_visual.model == torch_visual.model


def test_the_export_is_made_once_per_cache_and_reused(tiny_clip, tmp_path):
    _visual(tiny_clip, "onnx-int8", tmp_path)
    graphs = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "clip-onnx").glob("*.onnx")}
    assert len(graphs) == 2  # the fp32 export and its int8 quantisation
    again = _visual(tiny_clip, "onnx", tmp_path)  # the fp32 graph is already there: nothing exported
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "clip-onnx").glob("*.onnx")} == graphs
    assert again.clip.image_tower.path.name.endswith("-onnx.onnx")


def test_auto_is_torch_and_onnx_only_on_a_cpu():
    assert resolve_runtime("auto", "cpu") == "torch"
    assert resolve_runtime("onnx", "cuda:0") == "torch"
    assert resolve_runtime("onnx-int8", "cpu") == "onnx-int8"
    with pytest.raises(ModelUnavailableError) as err:
        resolve_runtime("tensorrt", "cpu")
    assert err.value.setting == "REELSENSE_CLIP_RUNTIME"
