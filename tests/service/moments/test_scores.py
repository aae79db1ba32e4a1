"""How moments are scored against a query: word overlap, text-embedding cosine, calibrated CLIP cosine, and
vectors only ever compared within their own embedding space."""
from __future__ import annotations

import numpy as np
import pytest

from service.moments.search import CLIP_FLOOR, CLIP_FULL, MomentSearch, Query, words
from service.records import Moment


def unit(v) -> np.ndarray:
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v)


def with_cosine(query: np.ndarray, cosine: float) -> np.ndarray:
    """A unit vector whose cosine with the unit `query` is `cosine`."""
    other = unit(np.roll(query, 1) - (np.roll(query, 1) @ query) * query)
    return unit(cosine * query + np.sqrt(1 - cosine**2) * other)


QUERY_CLIP = unit(np.arange(1, 9))
QUERY_TEXT = unit(np.arange(8, 0, -1))


def query(text: str = "pasta recipe") -> Query:
    return Query(text, words(text), {"clip": QUERY_CLIP, "minilm": QUERY_TEXT})


def scores(moments: list[Moment], q: Query | None = None) -> list[float]:
    return [round(float(s), 3) for s in MomentSearch(store=None).scores(moments, q or query())]


@pytest.mark.parametrize("cosine, expected", [(CLIP_FLOOR, 0.0), (CLIP_FULL, 1.0), (0.25, 0.5), (0.05, 0.0)])
def test_frame_scores_map_clip_cosine_onto_zero_to_one(cosine, expected):
    frame = Moment("frame", 0, 1, 0, "", "clip", with_cosine(QUERY_CLIP, cosine))
    assert scores([frame]) == [pytest.approx(expected, abs=1e-3)]


def test_a_text_moment_containing_every_query_word_scores_one():
    line = Moment("text", 0, 1, 0, "Best PASTA recipe!", "minilm", with_cosine(QUERY_TEXT, 0.2))
    assert scores([line]) == [1.0]


def test_half_the_words_score_the_larger_of_overlap_and_cosine():
    line = Moment("text", 0, 1, 0, "pasta", "minilm", with_cosine(QUERY_TEXT, 0.7))
    assert scores([line]) == [pytest.approx(0.7, abs=1e-3)]


def test_a_vector_of_another_space_is_not_compared():
    frame = Moment("frame", 0, 1, 0, "", "another-clip", QUERY_CLIP.copy())
    assert scores([frame]) == [0.0]


def test_a_vector_of_another_size_is_not_compared():
    line = Moment("music", 0, 1, 0, "music", "minilm", unit(np.ones(4)))
    assert scores([line], query("jazz")) == [0.0]
