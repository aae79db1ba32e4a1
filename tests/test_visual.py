"""The visual modality through the real code paths: tiny random-weight CLIP, the no-weights fallback, OCR."""
from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest

from extractors.features import ModelUnavailableError
from extractors.frame_stats import VECTOR_DIM
from extractors.media import decode
from extractors.ocr import OcrReader
from extractors.taxonomy import load_taxonomy
from extractors.visual import NO_CLIP_MODEL, ClipSpec, VisualExtractor, VisualOptions, distinctive_pool
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
    tags = tiny_visual.extract(gym.frames[:4]).tags
    clip_tags = [t for t in tags if t.source == "clip"]
    assert len(clip_tags) == 5  # 3 taxonomy + 2 scenes (threshold 0 here; random weights say nothing semantic)
    assert sum(t.label.startswith("scene:") for t in clip_tags) == 2


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
    assert (visual.model, visual.dim) == (NO_CLIP_MODEL, VECTOR_DIM)
    assert visual.embed_text(["anything"]) is None
    f = visual.extract(gym.frames, gym.frame_times, visual.frame_stats(gym))
    assert f.vector.shape == (VECTOR_DIM,) and np.linalg.norm(f.vector) == pytest.approx(1.0, abs=1e-4)
    assert 0 < f.confidence < 1
    labels = {t.label for t in f.tags}
    assert {"red", "black", "fast motion", "many cuts"} <= labels
    assert all(t.source == "frame_stats" for t in f.tags)
    with pytest.raises(ModelUnavailableError, match="REELSENSE_CLIP_PRETRAINED"):
        VisualExtractor(spec, strict=True)


def test_ocr_reads_rendered_words_once_each():
    frames = []
    for word in ("HELLO", "REEL", "HELLO"):
        frame = np.full((200, 360, 3), 235, np.uint8)
        cv2.putText(frame, word, (30, 120), cv2.FONT_HERSHEY_DUPLEX, 2.2, (20, 20, 20), 5, cv2.LINE_AA)
        frames.append(frame)
    frames.append(np.full((200, 360, 3), 90, np.uint8))  # blank: skipped without running OCR
    result = OcrReader().read(frames, [0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0], max_frames=4)
    assert [line.upper() for line in result.lines] == ["HELLO", "REEL"]
    assert result.frames_read == 3 and all(s >= 0.6 for s in result.scores)


def test_ocr_does_not_read_a_disc_as_text():
    """The forest sample has a moving disc and no text; OCR once read the disc as the letter "O"."""
    from extractors.media import decode

    media = decode(SAMPLE_MEDIA / "forest_timelapse.mp4")
    assert OcrReader().read(media.frames, media.frame_times, media.shot_starts).lines == []


def test_pipeline_hands_onscreen_text_to_text_and_records_the_fallback(settings_factory, tiny_clip):
    """No CLIP weights, no title: the word "PASTA" rendered in the video still reaches the text modality."""
    from service.factory import Components
    from service.pipeline import VideoMeta

    config, _ = tiny_clip
    analyzer = Components(settings_factory(clip_pretrained=str(config.with_name("missing.pt")), ocr_max_frames=2)).analyzer
    record = analyzer.analyze(SAMPLE_MEDIA / "pasta_recipe.mp4", VideoMeta())
    visual = record.features["visual"]
    assert visual.stats["onscreen_text"] == ["PASTA"]
    assert record.features["text"].confidence > 0  # the only words it had came from the picture
    assert f"visual={NO_CLIP_MODEL}:{VECTOR_DIM}" in record.space_id
    assert any("weight-free" in w for w in record.warnings)
    assert visual.confidence > 0 and {"yellow", "green"} <= {t.label for t in visual.tags}
    summary = record.summary(top=20)
    assert summary["stats"]["visual"]["shots"] == 3
