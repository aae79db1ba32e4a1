"""The text extractor with the real MiniLM: embedding, tags with sources, categories, topics, CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest

from extractors.base import VideoMeta
from extractors.text.extractor import text_confidence
from extractors.text.topics import TopicModel
from service.cli import main
from service.storage import Store
from tests.helpers import SAMPLE_MEDIA
from tests.helpers.captions import labelled_captions

CAPTIONS = labelled_captions()


@pytest.fixture(scope="module")
def text(analyzer):
    """The session analyzer's text extractor, so MiniLM loads once per test run."""
    return analyzer.text


def by_source(features, source):
    return {t.label: t.score for t in features.tags if t.source == source}


@pytest.mark.parametrize("given", [VideoMeta(), VideoMeta("   ", "\n\t", []), VideoMeta("🔥😂✨", "👍🏽❤️", [])])
def test_empty_and_emoji_only_text_is_absent(text, given):
    f = text.extract(given)
    assert f.confidence == 0 and not f.tags
    assert f.vector.shape == (text.dim,) and not f.vector.any()
    assert f.stats["absent_reason"] == "no text"


def test_confidence_grows_with_meaningful_words():
    values = [text_confidence(n) for n in (0, 1, 3, 6, 12, 30)]
    assert values[0] == 0 and values == sorted(values) and values[-1] > 0.99 and values[1] < 0.3


def test_confidence_grows_with_meaningful_text(text):
    short = text.extract(VideoMeta("pasta"))
    longer = text.extract(VideoMeta("Creamy garlic pasta", "Weeknight dinner with basil, parmesan and cherry tomatoes"))
    assert 0 < short.confidence < 0.3 < longer.confidence <= 1


def test_tags_carry_scores_and_sources(text):
    f = text.extract(VideoMeta("Creamy garlic pasta in 15 minutes", "My weeknight dinner: garlic, basil, parmesan. "
                               "Recipe https://example.com @chef_mia", ["#PastaNight", "#fyp"]))
    assert np.linalg.norm(f.vector) == pytest.approx(1.0, abs=1e-4)
    hashtags = by_source(f, "hashtag")
    assert hashtags == {"#pastanight": 1.0, "#fyp": pytest.approx(0.2)}
    keywords = by_source(f, "keyword")
    assert 2 <= len(keywords) <= 4 and all(0 < s <= 1 for s in keywords.values())
    assert any("pasta" in k for k in keywords)
    assert by_source(f, "category") and max(by_source(f, "category"), key=by_source(f, "category").get) == "food"
    assert f.stats["mentions"] == ["@chef_mia"] and f.stats["urls_removed"] == 1
    assert f.stats["topics_available"] is False and "topics fit" in f.stats["topics_reason"]


def test_keywords_are_not_redundant(text):
    f = text.extract(VideoMeta("Pasta recipe", "pasta recipe, easy pasta recipe, best pasta recipe, garden tomatoes"))
    keywords = list(by_source(f, "keyword"))
    assert len(keywords) == len(set(keywords))
    assert sum("pasta" in k for k in keywords) <= 2  # MMR leaves room for other content


def test_cooking_captions_are_closer_to_cooking_than_to_sports(text):
    cooking = ["Creamy garlic pasta in 15 minutes", "How to bake sourdough bread at home",
               "Three easy chicken curry recipes"]
    cooking += [c["text"] for c in CAPTIONS if c["category"] == "food"]
    sports = ["Last minute goal wins the championship final", "NBA highlights: best dunks of the season",
              "Tennis match point"]
    sports += [c["text"] for c in CAPTIONS if c["category"] == "sports"]
    vectors = np.stack([f.vector for f in text.extract_many([VideoMeta(t) for t in cooking + sports])])
    sim = vectors @ vectors.T
    n = len(cooking)
    for i in range(n):
        to_cooking = np.delete(sim[i, :n], i).mean()
        assert to_cooking > sim[i, n:].mean() + 0.1, cooking[i]


def test_title_and_hashtags_outweigh_a_long_description(text):
    food = text.text_vector("pasta recipe")
    travel = text.text_vector("travel holiday")
    f = text.extract(VideoMeta("Easy pasta recipe", "We went on holiday to Spain last summer and took a long trip "
                               "by train around the coast", ["#pasta"]))
    assert float(f.vector @ food) > float(f.vector @ travel)


def test_batch_extraction_matches_single(text):
    inputs = [VideoMeta("Cat zoomies", hashtags=["#cat"]), VideoMeta(), VideoMeta("Gym leg day", "squats")]
    batch = text.extract_many(inputs)
    for given, got in zip(inputs, batch, strict=True):
        single = text.extract(given)
        np.testing.assert_allclose(got.vector, single.vector, atol=1e-5)
        assert got.confidence == pytest.approx(single.confidence)
    assert text.embed([]).shape == (0, text.dim)


def test_batch_extraction_gives_each_item_its_own_keywords(text):
    """Keyword candidates of the whole batch go through the encoder together; each item still gets the keywords
    it would get alone."""
    inputs = [VideoMeta("Pasta carbonara recipe", "creamy italian dinner"), VideoMeta("Leg day squats", "gym")]
    batch = text.extract_many(inputs)
    for given, got in zip(inputs, batch, strict=True):
        assert by_source(got, "keyword") == pytest.approx(by_source(text.extract(given), "keyword"), abs=1e-4)


def test_topics_fit_show_round_trip_through_cli(analyzer, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REELSENSE_DATA_DIR", str(tmp_path / "data"))
    db = tmp_path / "store.db"
    assert main(["topics", "show"]) == 1  # nothing fitted yet: clear error
    assert "not_fitted" in capsys.readouterr().err
    assert main(["topics", "fit", "--db", str(db)]) == 1  # no store yet
    capsys.readouterr()
    with Store(db) as store:
        for name in ("pasta_recipe", "gym_workout", "cat_zoomies", "phone_review", "dance_party", "sunset_beach"):
            store.add(analyzer.analyze(SAMPLE_MEDIA / f"{name}.mp4"))
    assert main(["topics", "fit", "--db", str(db), "--k", "3", "--seed", "1"]) == 0
    fitted = capsys.readouterr().out
    assert "3 topics, 6 videos" in fitted and "coherence (c_v)" in fitted
    assert main(["topics", "show"]) == 0
    shown = capsys.readouterr().out
    assert shown == fitted
    assert main(["topics", "show", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert len(info["topics"]) == 3 and sum(t["documents"] for t in info["topics"]) == 6

    model = TopicModel.load(tmp_path / "data" / "topics")
    monkeypatch.setattr(analyzer.text, "topics", model)  # restored after the test
    f = analyzer.text.extract(VideoMeta("Creamy garlic pasta", hashtags=["#pasta", "#recipe", "#food"]))
    topic_tags = by_source(f, "topic")
    assert f.stats["topics_available"] is True and topic_tags
    assert sum(t["weight"] for t in f.stats["topics"]) == pytest.approx(1.0, abs=0.05)
    assert any(word in label for label in topic_tags for word in ("pasta", "recipe", "food", "garlic", "weeknight"))
