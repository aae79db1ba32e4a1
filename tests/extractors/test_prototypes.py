"""The prototype classifier shared by text categories and CLIP zero-shot, on vectors with known answers."""
from __future__ import annotations

import math

import numpy as np
import pytest

from extractors.prototypes import PrototypeClassifier


@pytest.fixture()
def two_classes() -> PrototypeClassifier:
    return PrototypeClassifier(["food", "sports"], np.eye(2, dtype=np.float32), temperature=0.5)


def test_probabilities_are_a_softmax_of_cosines_divided_by_the_temperature(two_classes):
    p = two_classes.probabilities(np.array([1.0, 0.0], np.float32))  # cosines 1 and 0 -> logits 2 and 0
    assert p.shape == (1, 2)
    assert p[0, 0] == pytest.approx(math.exp(2) / (math.exp(2) + 1), abs=1e-6)
    assert p[0].sum() == pytest.approx(1.0, abs=1e-6)


def test_a_lower_temperature_makes_the_distribution_sharper():
    vector = np.array([0.8, 0.6], np.float32)
    warm = PrototypeClassifier(["food", "sports"], np.eye(2, dtype=np.float32), temperature=1.0)
    cold = PrototypeClassifier(["food", "sports"], np.eye(2, dtype=np.float32), temperature=0.03)
    assert 0.5 < warm.probabilities(vector)[0, 0] < cold.probabilities(vector)[0, 0] < 1.0


def test_several_vectors_average_their_distributions(two_classes):
    frames = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], np.float32)
    high = math.exp(2) / (math.exp(2) + 1)
    ranked = two_classes.ranked(frames)
    assert [cid for cid, _ in ranked] == ["food", "sports"]
    assert ranked[0][1] == pytest.approx((2 * high + (1 - high)) / 3, abs=1e-6)


def test_top_applies_k_and_the_minimum_score(two_classes):
    vector = np.array([1.0, 0.0], np.float32)
    assert [cid for cid, _ in two_classes.top(vector, k=2, min_score=0.0)] == ["food", "sports"]
    assert [cid for cid, _ in two_classes.top(vector, k=2, min_score=0.5)] == ["food"]
    assert [cid for cid, _ in two_classes.top(vector, k=1, min_score=0.0)] == ["food"]
    assert two_classes.top(np.zeros(2, np.float32)) == []
