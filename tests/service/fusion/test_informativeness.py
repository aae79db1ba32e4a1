"""Fusion weighs modalities by what their vectors tell, on the sample clips through the real extractors."""
from __future__ import annotations

import pytest

from extractors.base import VideoMeta
from tests.helpers import SAMPLE_MEDIA


@pytest.fixture(scope="module")
def records(analyzer):
    return {name: analyzer.analyze(SAMPLE_MEDIA / f"{name}.mp4")
            for name in ("phone_review", "dance_party", "forest_timelapse")}


def confidence(record, modality: str) -> float:
    return record.features[modality].confidence


def test_speech_without_a_transcript_tells_less_than_the_words_about_it(records):
    review = records["phone_review"]
    assert confidence(review, "text") > confidence(review, "audio")
    assert review.fused.weights["text"] > review.fused.weights["audio"]
    assert confidence(review, "audio") <= 0.15 + 1e-6  # speech counts 0.15 at most


def test_music_with_a_clear_beat_tells_much(records):
    dance, review = records["dance_party"], records["phone_review"]
    assert confidence(dance, "audio") >= 0.6
    assert confidence(dance, "audio") > 3 * confidence(review, "audio")


def test_a_silent_clip_has_no_audio_weight(records):
    forest = records["forest_timelapse"]
    assert confidence(forest, "audio") == 0 and forest.fused.weights["audio"] == 0


def test_generic_words_count_for_less_than_specific_ones(analyzer):
    generic = analyzer.text.extract(VideoMeta("My new best day today"))
    specific = analyzer.text.extract(VideoMeta("Sourdough bread scoring technique"))
    assert 0 < generic.confidence < specific.confidence / 2
