"""CLIP's preprocessing as batched tensors: identical to open_clip's own on a CPU, within interpolation
rounding on the GPU path (run here on CPU tensors), frames of several sizes in one batch kept in order."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from extractors.media import decode
from extractors.visual.clip import embed_images, load_clip
from extractors.visual.preprocess import InputSpec, clip_inputs, input_spec, prepare_batch
from tests.helpers import SAMPLE_MEDIA


@pytest.fixture(scope="module")
def clip(tiny_clip):
    from extractors.visual import ClipSpec

    config, checkpoint = tiny_clip
    return load_clip(ClipSpec(str(config), str(checkpoint)))


@pytest.fixture(scope="module")
def frames():
    media = decode(SAMPLE_MEDIA / "pasta_recipe.mp4")  # portrait 240x424 frames
    return media.frames[:3] + [np.ascontiguousarray(np.rot90(f)) for f in media.frames[:2]]  # and landscape


def test_the_spec_comes_from_the_model(clip):
    spec = input_spec(clip.model)
    assert spec.size == 64 and spec.resize_mode == "shortest" and len(spec.mean) == 3


def test_on_a_cpu_the_inputs_equal_open_clips_own(clip, frames):
    expected = torch.stack([clip.preprocess(Image.fromarray(f)) for f in frames])
    assert torch.equal(clip_inputs(frames, clip.inputs, "cpu"), expected)


def test_the_device_path_gives_the_same_vectors_within_rounding(clip, frames):
    same_size = frames[:3]
    expected = torch.stack([clip.preprocess(Image.fromarray(f)) for f in same_size])
    batch = prepare_batch(torch.from_numpy(np.stack(same_size)).permute(0, 3, 1, 2), clip.inputs)
    assert batch.shape == expected.shape
    with torch.inference_mode():
        a = torch.nn.functional.normalize(clip.model.encode_image(expected), dim=-1)
        b = torch.nn.functional.normalize(clip.model.encode_image(batch), dim=-1)
    assert torch.nn.functional.cosine_similarity(a, b).min().item() > 0.999


def test_a_batch_of_several_videos_embeds_each_frame_as_alone(clip, frames):
    together = embed_images(clip, frames, "cpu", batch_size=4)
    alone = np.concatenate([embed_images(clip, [f], "cpu", batch_size=1) for f in frames])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_unsupported_resize_modes_fall_back_to_the_models_transform():
    from types import SimpleNamespace

    cfg = {"size": 224, "mean": (0, 0, 0), "std": (1, 1, 1), "resize_mode": "longest"}
    assert input_spec(SimpleNamespace(visual=SimpleNamespace(preprocess_cfg=cfg))) is None
    assert InputSpec(224, (0, 0, 0), (1, 1, 1)).resize_mode == "shortest"
