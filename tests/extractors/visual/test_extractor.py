"""The visual modality through the real code paths: tiny random-weight CLIP, the no-weights fallback."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from extractors.base import VideoMeta
from extractors.errors import ModelUnavailableError
from extractors.media import decode
from extractors.taxonomy import load_taxonomy
from extractors.visual import NO_CLIP_MODEL, ClipSpec, VisualExtractor, VisualOptions, distinctive_pool
from extractors.visual.frame_stats import VECTOR_DIM
from extractors.visual.zero_shot import zero_shot_classes
from tests.helpers import SAMPLE_MEDIA


@pytest.fixture(scope="module")
def tiny_visual(tiny_clip) -> VisualExtractor:
    config, checkpoint = tiny_clip
    return VisualExtractor(ClipSpec(str(config), str(checkpoint)), options=VisualOptions(ocr=False, tag_min_score=0.0))


@pytest.fixture(scope="module")
def gym():
    return decode(SAMPLE_MEDIA / "gym_workout.mp4")


def test_clip_frames_pool_into_one_unit_vector_with_per_frame_vectors(tiny_visual, gym):
    result = tiny_visual.analyze(gym.frames, gym.frame_times, tiny_visual.frame_stats(gym))
    f = result.features
    assert f.vector.shape == (32,) and np.linalg.norm(f.vector) == pytest.approx(1.0, abs=1e-4)
    assert result.frame_vectors.shape == (len(gym.frames), 32)
    assert np.linalg.norm(result.frame_vectors, axis=1) == pytest.approx(np.ones(len(gym.frames)), abs=1e-4)
    assert result.frame_times == gym.frame_times
    assert 0 < f.confidence <= 1
    assert f.stats["shots"] == 12 and f.stats["motion_level"] == "fast"
    assert tiny_visual.model != NO_CLIP_MODEL and tiny_visual.dim == 32


def test_zero_shot_scores_are_probabilities_over_taxonomy_and_scenes(tiny_visual, gym):
    vectors = tiny_visual.embed_frames(gym.frames[:4])
    ranked = tiny_visual.zero_shot(vectors)
    assert [c for c, _ in ranked["taxonomy"]] and len(ranked["taxonomy"]) == len(load_taxonomy())
    for group in ("taxonomy", "scene"):
        probs = [p for _, p in ranked[group]]
        assert sum(probs) == pytest.approx(1.0, abs=1e-4)
        assert probs == sorted(probs, reverse=True)
    tags = tiny_visual.extract_frames(gym.frames[:4]).tags
    clip_tags = [t for t in tags if t.source == "clip"]
    assert len(clip_tags) == 5  # 3 taxonomy + 2 scenes (threshold 0 here; random weights say nothing semantic)
    assert sum(t.label.startswith("scene:") for t in clip_tags) == 2


def test_zero_shot_is_clip_s_softmax_over_prompt_ensembles_averaged_over_frames(tiny_visual, gym):
    """The shared prototype classifier gives what CLIP zero-shot computed before it: per class the mean of its
    prompts' unit text vectors, a softmax of logit_scale * cosine per frame, then the mean over frames."""
    frames = tiny_visual.embed_frames(gym.frames[:4])
    scale = float(tiny_visual.clip.model.logit_scale.exp().item())
    ranked = tiny_visual.zero_shot(frames)
    for group, classes in zero_shot_classes().items():
        prototypes = []
        for _, prompts in classes:
            mean = tiny_visual.embed_text(prompts).mean(axis=0)
            prototypes.append(mean / np.linalg.norm(mean))
        logits = scale * frames @ np.stack(prototypes).T
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        expected = (probs / probs.sum(axis=1, keepdims=True)).mean(axis=0)
        got = dict(ranked[group])
        for i, (cid, _) in enumerate(classes):
            assert got[cid] == pytest.approx(float(expected[i]), abs=1e-6), (group, cid)


def test_embed_text_shares_the_frame_space(tiny_visual, gym):
    text = tiny_visual.embed_text(["a red gym", "a pasta dish", "a beach"])
    assert text.shape == (3, 32) and text.dtype == np.float32
    assert np.linalg.norm(text, axis=1) == pytest.approx(np.ones(3), abs=1e-4)
    frames = tiny_visual.embed_frames(gym.frames[:2])
    assert (frames @ text.T).shape == (2, 3)


def test_distinctive_pooling_favours_the_odd_frame():
    common = np.tile(np.array([1.0, 0.0, 0.0], np.float32), (9, 1))
    odd = np.array([[0.0, 1.0, 0.0]], np.float32)
    pooled = distinctive_pool(np.concatenate([common, odd]))
    mean = np.concatenate([common, odd]).mean(axis=0)
    assert pooled[1] > 0.9 > mean[1] / np.linalg.norm(mean)


def test_missing_weights_fall_back_to_frame_statistics(tiny_clip, gym, caplog):
    config, _ = tiny_clip
    spec = ClipSpec(str(config), str(config.with_name("missing.pt")))
    with caplog.at_level(logging.WARNING, logger="extractors.visual"):
        visual = VisualExtractor(spec, options=VisualOptions(ocr=False))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "weight-free" in warnings[0].getMessage()
    assert "REELSENSE_CLIP_STRICT" in warnings[0].getMessage()
    assert len(warnings[0].getMessage()) < 140  # one short line on a first run
    assert (visual.model, visual.dim) == (NO_CLIP_MODEL, VECTOR_DIM)
    assert visual.embed_text(["anything"]) is None
    f = visual.extract_frames(gym.frames, gym.frame_times, visual.frame_stats(gym))
    assert f.vector.shape == (VECTOR_DIM,) and np.linalg.norm(f.vector) == pytest.approx(1.0, abs=1e-4)
    assert 0 < f.confidence < 1
    labels = {t.label for t in f.tags}
    assert {"red", "black", "fast motion", "many cuts"} <= labels
    assert all(t.source == "frame_stats" for t in f.tags)
    with pytest.raises(ModelUnavailableError, match="REELSENSE_CLIP_PRETRAINED"):
        VisualExtractor(spec, strict=True)


def test_pipeline_hands_onscreen_text_to_text_and_records_the_fallback(settings_factory, tiny_clip):
    """No CLIP weights, no title: the word "PASTA" rendered in the video still reaches the text modality."""
    from service.factory import Components

    config, _ = tiny_clip
    settings = settings_factory(clip_pretrained=str(config.with_name("missing.pt")), ocr_max_frames=2)
    analyzer = Components(settings).analyzer
    record = analyzer.analyze(SAMPLE_MEDIA / "pasta_recipe.mp4", VideoMeta())
    visual = record.features["visual"]
    assert visual.stats["onscreen_text"] == ["PASTA"]
    assert record.features["text"].confidence > 0  # the only words it had came from the picture
    assert f"visual={NO_CLIP_MODEL}:{VECTOR_DIM}" in record.space_id
    assert any("weight-free" in w for w in record.warnings)
    assert str(config.parent) not in " ".join(record.warnings)  # records are public: no server path in them
    assert visual.confidence > 0 and {"yellow", "green"} <= {t.label for t in visual.tags}
    summary = record.summary(top=20)
    assert summary["stats"]["visual"]["shots"] == 3
