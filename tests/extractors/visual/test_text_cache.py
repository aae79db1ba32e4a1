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
    assert weights_key("ViT-B-32", "laion2b_s34b_b79k", "fp32").startswith("ViT-B-32|laion2b_s34b_b79k|fp32|torch=")


def test_the_key_is_the_content_not_the_path(tmp_path):
    """Two copies of one checkpoint (two data dirs, two users' folders) share their vectors."""
    (tmp_path / "a.pt").write_bytes(b"same weights")
    (tmp_path / "b.pt").write_bytes(b"same weights")
    assert weights_key("ViT-B-32", str(tmp_path / "a.pt"), "fp32") == weights_key("ViT-B-32", str(tmp_path / "b.pt"),
                                                                                   "fp32")


def test_concurrent_first_use_computes_once(tmp_path):
    """Eight threads (each its own lock file handle, as separate processes would be) start on an empty cache at
    once: one encodes, the others wait for its file and read it."""
    import threading
    import time

    embed = CountingEmbed()

    def slow(texts):
        time.sleep(0.2)
        return embed(texts)

    caches = [CachedTextEmbed(slow, tmp_path, "k") for _ in range(8)]
    results: list = [None] * 8
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, caches[i](["a cat", "a dog"])))
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert embed.calls == 1
    assert sum(c.computed for c in caches) == 1 and sum(c.loaded for c in caches) == 7
    for r in results:
        np.testing.assert_array_equal(r, results[0])
    assert len(list(tmp_path.glob("clip-text-*.npy"))) == 1
