"""The contract every extractor follows (extractors.base): one protocol, one call per video, absent never fails."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from extractors.base import Extractor, VideoMeta
from extractors.media import decode
from tests.helpers import SAMPLE_MEDIA, sidecar


@pytest.fixture(scope="module")
def extractors(analyzer) -> list:
    """The session analyzer's text, visual (tiny CLIP, OCR on) and audio extractors."""
    return [analyzer.text, analyzer.visual, analyzer.audio]


@pytest.fixture(scope="module")
def pasta(analyzer):
    """The pasta clip decoded as the pipeline decodes it, with its sidecar's words."""
    words = sidecar("pasta_recipe")
    meta = VideoMeta(words["title"], words["description"], words["hashtags"], words.get("creator", ""))
    return meta, decode(SAMPLE_MEDIA / "pasta_recipe.mp4", analyzer.settings.media_limits, analyzer.settings.sampling)


def test_every_extractor_follows_the_protocol(extractors):
    assert all(isinstance(e, Extractor) for e in extractors)
    assert [e.name for e in extractors] == ["text", "visual", "audio"]
    assert not isinstance(object(), Extractor)


def test_one_call_gives_each_modality_of_a_video(extractors, pasta):
    meta, media = pasta
    for e in extractors:
        f = e.extract(meta, media)
        assert (f.modality, f.model) == (e.name, e.model)
        assert f.vector.shape == (e.dim,) and np.linalg.norm(f.vector) == pytest.approx(1.0, abs=1e-4)
        assert 0 < f.confidence <= 1, e.name


def test_a_missing_input_gives_absent_features(extractors):
    for e in extractors:
        f = e.extract()
        assert f.confidence == 0 and not f.vector.any() and f.vector.shape == (e.dim,)
        assert f.stats["absent_reason"], e.name


def test_one_call_matches_the_pipeline_s_two_stages(analyzer, pasta):
    """The pipeline runs frame statistics, OCR, audio and text first and CLIP later; same features."""
    meta, media = pasta
    record = analyzer.analyze(SAMPLE_MEDIA / "pasta_recipe.mp4", meta)
    visual = analyzer.visual.extract(meta, media)
    np.testing.assert_array_equal(visual.vector, record.features["visual"].vector)
    np.testing.assert_array_equal(analyzer.audio.extract(meta, media).vector, record.features["audio"].vector)
    onscreen = " ".join(visual.stats["onscreen_text"])
    assert onscreen == "PASTA"  # what OCR read is what the pipeline hands to the text modality
    text = analyzer.text.extract(replace(meta, onscreen_text=onscreen))
    np.testing.assert_array_equal(text.vector, record.features["text"].vector)
