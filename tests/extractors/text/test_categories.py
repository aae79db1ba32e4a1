"""Zero-shot taxonomy categories of text with the real MiniLM: obvious captions, accuracy on the labelled set,
and the probabilities the category scorer gave before it moved onto the shared prototype classifier."""
from __future__ import annotations

import numpy as np
import pytest

from extractors.prototypes import PrototypeClassifier
from extractors.taxonomy import load_taxonomy
from tests.helpers.captions import labelled_captions

CAPTIONS = labelled_captions()


@pytest.fixture(scope="module")
def text(analyzer):
    """The session analyzer's text extractor, so MiniLM loads once per test run."""
    return analyzer.text


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
    top3 = float(np.mean([t in r[:3] for t, r in zip(truth, ranked, strict=True)]))
    assert top1 >= 0.8 and top3 >= 0.93, (top1, top3)


def test_known_caption_keeps_the_probabilities_of_the_former_category_scorer(text):
    """Recorded with extractors/categories.py CategoryScorer (before the shared PrototypeClassifier)."""
    scores = text.category_scores("Easy creamy tomato pasta recipe for dinner")
    assert isinstance(text.categories, PrototypeClassifier)
    assert len(scores) == len(load_taxonomy()) == 45
    assert list(scores)[:5] == ["food", "weddings", "photography", "gardening", "party"]
    assert scores["food"] == pytest.approx(0.9470540, abs=1e-4)
    assert scores["weddings"] == pytest.approx(0.0187927, abs=1e-4)
    assert scores["photography"] == pytest.approx(0.0047668, abs=1e-4)
    assert [t.to_dict() for t in text.categorize("easy pasta recipes")] == [
        {"label": "food", "score": pytest.approx(0.9984, abs=2e-4), "source": "category"}
    ]


def test_prototypes_are_the_mean_of_each_category_s_phrasings(text):
    from extractors.text.categories import category_texts

    food = next(c for c in load_taxonomy() if c.id == "food")
    expected = text.embed(category_texts(food)).mean(axis=0)
    expected /= np.linalg.norm(expected)
    got = text.categories.prototypes[text.categories.ids.index("food")]
    np.testing.assert_allclose(got, expected, atol=1e-6)
