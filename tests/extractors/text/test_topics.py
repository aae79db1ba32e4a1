"""LDA topics: planted topics in a seeded synthetic corpus are recovered; save/load; clear errors."""
from __future__ import annotations

import numpy as np
import pytest

from extractors.errors import TopicError
from extractors.text.topics import FitSettings, TopicModel, document_tokens

PLANTED = {
    "cooking": """pasta garlic recipe oven sauce basil tomato dough bake noodles butter onion simmer skillet
                  cheese""".split(),
    "football": """goal striker penalty referee stadium league match keeper tackle midfield coach derby fans corner
                   offside""".split(),
    "gadgets": """smartphone battery camera processor screen charger unboxing laptop chip benchmark pixel keyboard
                  headphones tablet bluetooth""".split(),
    "garden": """seeds soil compost tomatoes pruning watering roses seedlings mulch greenhouse harvest weeds planting
                 fertilizer shovel""".split(),
}


def planted_corpus(seed: int = 0, n: int = 160, length: int = 30) -> tuple[list[list[str]], list[str]]:
    """Each document draws 85% of its words from one planted topic and 15% from a random one."""
    rng = np.random.default_rng(seed)
    names = list(PLANTED)
    docs, labels = [], []
    for i in range(n):
        main = names[i % len(names)]
        doc = []
        for _ in range(length):
            source = main if rng.random() < 0.85 else names[rng.integers(len(names))]
            doc.append(PLANTED[source][rng.integers(len(PLANTED[source]))])
        docs.append(doc)
        labels.append(main)
    return docs, labels


@pytest.fixture(scope="module")
def planted_model():
    docs, labels = planted_corpus()
    return TopicModel.fit(docs, FitSettings(k=4, passes=10, seed=0)), docs, labels


def test_lda_recovers_planted_topics(planted_model):
    model, _, _ = planted_model
    matched = set()
    for topic in model.info.topics:
        top = [w for w, _ in topic.words]
        best = max(PLANTED, key=lambda name: len(set(top) & set(PLANTED[name])))
        assert len(set(top) & set(PLANTED[best])) >= 9, (topic.id, top)
        matched.add(best)
    assert matched == set(PLANTED)  # one learned topic per planted topic
    assert model.info.coherence > 0.7  # c_v of near-pure topics
    assert sorted(t.documents for t in model.info.topics) == [40, 40, 40, 40]


def test_documents_get_their_planted_topic(planted_model):
    model, docs, labels = planted_model
    topic_of = {}
    for doc, label in zip(docs, labels, strict=True):
        topic_of.setdefault(label, []).append(int(np.argmax(model.distribution(doc))))
    for label, topics in topic_of.items():
        assert len(set(topics)) == 1, label
    dist = model.distribution("penalty striker referee stadium".split())
    assert dist.sum() == pytest.approx(1.0, abs=1e-5) and dist.max() > 0.6
    assert not model.distribution(["unknownword"]).any()


def test_save_load_round_trip(planted_model, tmp_path):
    model, docs, _ = planted_model
    model.save(tmp_path / "topics")
    model.save(tmp_path / "topics")  # overwriting swaps folders, no leftovers
    assert sorted(p.name for p in tmp_path.iterdir()) == ["topics"]
    loaded = TopicModel.load(tmp_path / "topics")
    assert [t.words for t in loaded.info.topics] == [t.words for t in model.info.topics]
    np.testing.assert_allclose(loaded.distribution(docs[0]), model.distribution(docs[0]), atol=1e-4)
    assert TopicModel.read_info(tmp_path / "topics").coherence == model.info.coherence


def test_fitting_is_reproducible_with_a_seed():
    docs, _ = planted_corpus(seed=1, n=60)
    a = TopicModel.fit(docs, FitSettings(k=4, passes=5, seed=3, coherence="u_mass"))
    b = TopicModel.fit(docs, FitSettings(k=4, passes=5, seed=3, coherence="u_mass"))
    assert [t.words for t in a.info.topics] == [t.words for t in b.info.topics]
    assert a.info.coherence < 0  # u_mass is a log ratio


def test_clear_errors():
    with pytest.raises(TopicError) as exc:
        TopicModel.fit([["pasta"], ["pasta"], []], FitSettings(k=2))
    assert exc.value.code == "too_little_text"
    with pytest.raises(TopicError) as exc:
        TopicModel.fit([["pasta", "garlic"]], FitSettings(k=2))
    assert exc.value.code == "too_few_documents"
    with pytest.raises(TopicError) as exc:
        TopicModel.load("/nonexistent/topics")
    assert exc.value.code == "not_fitted"


def test_document_tokens_use_hashtag_words_and_drop_noise():
    tokens = document_tokens("Best #PastaNight ever 😂", "see https://x.co/abc @chef", hashtags=["#fyp", "#mealprep"])
    assert tokens == ["best", "meal", "prep", "pasta", "night"]  # prose, then given tags, then inline tags
