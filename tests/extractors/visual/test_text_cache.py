"""CLIP text vectors of fixed prompt lists are computed once per set of weights and read back afterwards."""
from __future__ import annotations

import numpy as np

from extractors.visual.text_cache import CachedTextEmbed, weights_key


class CountingEmbed:
    """A real (deterministic) embedding of texts that counts how often it was asked."""

    def __init__(self):
        self.calls = 0

    def __call__(self, texts):
        self.calls += 1
        return np.array([[len(t), t.count("a"), 1.0] for t in texts], np.float32)


def test_vectors_are_computed_once_and_read_back(tmp_path):
    embed = CountingEmbed()
    first = CachedTextEmbed(embed, tmp_path, "model|weights|1:2|fp32")(["a cat", "a dog"])
    again = CachedTextEmbed(embed, tmp_path, "model|weights|1:2|fp32")(["a cat", "a dog"])
    np.testing.assert_array_equal(first, again)
    assert embed.calls == 1


def test_other_weights_or_texts_are_not_confused(tmp_path):
    embed = CountingEmbed()
    CachedTextEmbed(embed, tmp_path, "model|weights|1:2|fp32")(["a cat"])
    CachedTextEmbed(embed, tmp_path, "model|weights|1:2|bf16")(["a cat"])
    CachedTextEmbed(embed, tmp_path, "model|weights|1:2|fp32")(["a cow"])
    assert embed.calls == 3


def test_a_damaged_file_is_recomputed(tmp_path):
    embed = CountingEmbed()
    CachedTextEmbed(embed, tmp_path, "k")(["a cat", "a dog"])
    for path in tmp_path.glob("clip-text-*.npy"):
        path.write_bytes(b"not numpy")
    vectors = CachedTextEmbed(embed, tmp_path, "k")(["a cat", "a dog"])
    assert embed.calls == 2 and vectors.shape == (2, 3)


def test_the_key_changes_with_the_weights_file(tmp_path):
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"x")
    before = weights_key("ViT-B-32", str(weights), "fp32")
    weights.write_bytes(b"xy")
    assert weights_key("ViT-B-32", str(weights), "fp32") != before
    assert weights_key("ViT-B-32", "laion2b_s34b_b79k", "fp32") == "ViT-B-32|laion2b_s34b_b79k|tag|fp32"
