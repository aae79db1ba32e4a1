"""The text extractor with the real MiniLM: embedding, tags with sources, categories, topics, CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest

from extractors.text import TextInput
from extractors.topics import TopicModel
from service.cli import main
from service.storage import Store
from tests.helpers import REPO, SAMPLE_MEDIA

CAPTIONS = [json.loads(line) for line in (REPO / "tests" / "data" / "captions.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def text(analyzer):
    """The session analyzer's text extractor, so MiniLM loads once per test run."""
    return analyzer.text


def by_source(features, source):
    return {t.label: t.score for t in features.tags if t.source == source}


@pytest.mark.parametrize("given", [TextInput(), TextInput("   ", "\n\t", []), TextInput("🔥😂✨", "👍🏽❤️", [])])
def test_empty_and_emoji_only_text_is_absent(text, given):
    f = text.extract(given)
    assert f.confidence == 0 and not f.tags
    assert f.vector.shape == (text.dim,) and not f.vector.any()
    assert f.stats["absent_reason"] == "no text"


def test_confidence_grows_with_meaningful_text(text):
    short = text.extract(TextInput("pasta"))
    longer = text.extract(TextInput("Creamy garlic pasta", "Weeknight dinner with basil, parmesan and cherry tomatoes"))
    assert 0 < short.confidence < 0.3 < longer.confidence <= 1


def test_tags_carry_scores_and_sources(text):
    f = text.extract(TextInput("Creamy garlic pasta in 15 minutes", "My weeknight dinner: garlic, basil, parmesan. "
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
    f = text.extract(TextInput("Pasta recipe", "pasta recipe, easy pasta recipe, best pasta recipe, garden tomatoes"))
    keywords = list(by_source(f, "keyword"))
    assert len(keywords) == len(set(keywords))
    assert sum("pasta" in k for k in keywords) <= 2  # MMR leaves room for other content


@pytest.mark.parametrize(
    "caption, category",
    [
        ("Easy creamy tomato pasta recipe for dinner", "food"),
        ("Last minute goal wins the football derby", "sports"),
        ("My puppy learns to fetch #dogsoftiktok", "pets"),
        ("Unboxing the new smartphone and testing its camera", "tech"),
        ("Leg day at the gym: squats and deadlifts", "fitness"),
        ("Learn this dance challenge step by step", "dance"),
        ("Nighttime skincare routine #SkinTok", "beauty"),
        ("How I invest in index funds and save money every month", "finance"),
    ],
)
def test_obvious_captions_get_their_category(text, caption, category):
    tags = text.categorize(caption)
    assert tags and tags[0].label == category and tags[0].source == "category"
    scores = text.category_scores(caption)
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-4) and next(iter(scores)) == category


def test_category_accuracy_on_labelled_captions(text):
    """The project's own labelled set (>= 2 captions per taxonomy category); measured figures in bench/."""
    assert len(CAPTIONS) >= 90 and {c["category"] for c in CAPTIONS} == set(text.categories.ids)
    probs = text.categories.probabilities(text.text_vectors([c["text"] for c in CAPTIONS]))
    ranked = np.argsort(-probs, axis=1)
    truth = np.array([text.categories.ids.index(c["category"]) for c in CAPTIONS])
    top1 = float(np.mean(ranked[:, 0] == truth))
    top3 = float(np.mean([t in r[:3] for t, r in zip(truth, ranked)]))
    assert top1 >= 0.8 and top3 >= 0.93, (top1, top3)


def test_cooking_captions_are_closer_to_cooking_than_to_sports(text):
    cooking = ["Creamy garlic pasta in 15 minutes", "How to bake sourdough bread at home", "Three easy chicken curry recipes"]
    cooking += [c["text"] for c in CAPTIONS if c["category"] == "food"]
    sports = ["Last minute goal wins the championship final", "NBA highlights: best dunks of the season", "Tennis match point"]
    sports += [c["text"] for c in CAPTIONS if c["category"] == "sports"]
    vectors = np.stack([f.vector for f in text.extract_many([TextInput(t) for t in cooking + sports])])
    sim = vectors @ vectors.T
    n = len(cooking)
    for i in range(n):
        to_cooking = np.delete(sim[i, :n], i).mean()
        assert to_cooking > sim[i, n:].mean() + 0.1, cooking[i]

def test_title_and_hashtags_outweigh_a_long_description(text):
    food = text.text_vector("pasta recipe")
    travel = text.text_vector("travel holiday")
    f = text.extract(TextInput("Easy pasta recipe", "We went on holiday to Spain last summer and took a long trip "
                               "by train around the coast", ["#pasta"]))
    assert float(f.vector @ food) > float(f.vector @ travel)


def test_batch_extraction_matches_single(text):
    inputs = [TextInput("Cat zoomies", hashtags=["#cat"]), TextInput(), TextInput("Gym leg day", "squats")]
    batch = text.extract_many(inputs)
    for given, got in zip(inputs, batch):
        single = text.extract(given)
        np.testing.assert_allclose(got.vector, single.vector, atol=1e-5)
        assert got.confidence == pytest.approx(single.confidence)
    assert text.embed([]).shape == (0, text.dim)


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
    f = analyzer.text.extract(TextInput("Creamy garlic pasta", hashtags=["#pasta", "#recipe", "#food"]))
    topic_tags = by_source(f, "topic")
    assert f.stats["topics_available"] is True and topic_tags
    assert sum(t["weight"] for t in f.stats["topics"]) == pytest.approx(1.0, abs=0.05)
    assert any(word in label for label in topic_tags for word in ("pasta", "recipe", "food", "garlic", "weeknight"))
