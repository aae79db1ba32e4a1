"""Scoring-time fusion: a user query decomposes exactly into per-modality contributions."""
from __future__ import annotations

import numpy as np
import pytest

from service.fusion import MODALITIES, block_slices, blocks, compose, contributions


def test_user_query_decomposes_exactly_and_renormalises():
    rng = np.random.default_rng(1)
    dims = {"text": 6, "visual": 5, "audio": 4}
    weights = {"text": 1, "visual": 1, "audio": 3}
    user = compose({"text": rng.normal(size=6), "audio": rng.normal(size=4)}, weights, dims)
    assert user.weights == pytest.approx({"text": 0.25, "visual": 0.0, "audio": 0.75})
    video = compose({m: rng.normal(size=d) for m, d in dims.items()}, {m: 1 for m in MODALITIES}, dims)
    assert sum(contributions(user, video.vector).values()) == pytest.approx(float(user.vector @ video.vector), abs=1e-6)
    assert np.linalg.norm(user.vector) == pytest.approx(1.0, abs=1e-6)


def test_the_layout_cuts_fused_vectors_and_matrices_into_the_same_blocks():
    dims = {"text": 3, "visual": 0, "audio": 2}
    where = block_slices(dims)
    assert [where[m] for m in MODALITIES] == [slice(0, 3), slice(3, 3), slice(3, 5)]
    matrix = np.arange(10.0).reshape(2, 5)
    rows = blocks(matrix, dims)
    assert rows["audio"].tolist() == [[3.0, 4.0], [8.0, 9.0]] and rows["visual"].shape == (2, 0)
    assert blocks(matrix[1], dims)["text"].tolist() == [5.0, 6.0, 7.0]
