"""Zero-shot classification by prototypes, shared by the text categories (MiniLM) and CLIP's zero-shot tags.

Each class is described by a few phrasings; their unit embeddings are averaged and re-normalised into one
prototype vector per class. A video vector's cosine similarities to the prototypes are all of a similar
size, so they are turned into a distribution with a softmax at a temperature, which makes scores
comparable between videos and lets one threshold decide which classes become tags. With several vectors
per video (CLIP frames) the per-vector distributions are averaged.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from extractors.base import l2_normalize

Embed = Callable[[list[str]], np.ndarray]  # sentences -> unit vectors [n, dim]


class PrototypeClassifier:
    """Class ids with one unit prototype vector each, scored by a softmax at `temperature`."""

    def __init__(self, ids: Sequence[str], prototypes: np.ndarray, temperature: float):
        self.ids = list(ids)
        self.prototypes = np.asarray(prototypes, np.float32)
        self.temperature = temperature

    @classmethod
    def from_phrasings(cls, classes: Sequence[tuple[str, Sequence[str]]], embed: Embed,
                       temperature: float) -> PrototypeClassifier:
        """Embed every (class id, phrasings) pair's phrasings in one batch; the prototype is their mean."""
        encoded = embed([text for _, texts in classes for text in texts])
        prototypes, start = [], 0
        for _, texts in classes:
            prototypes.append(l2_normalize(encoded[start : start + len(texts)].mean(axis=0)))
            start += len(texts)
        return cls([cid for cid, _ in classes], np.stack(prototypes), temperature)

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine similarity of unit vectors [n, dim] to every class: [n, classes]."""
        return np.atleast_2d(vectors) @ self.prototypes.T

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Softmax over classes of the similarities divided by the temperature: rows sum to 1."""
        logits = self.similarities(vectors) / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def ranked(self, vectors: np.ndarray) -> list[tuple[str, float]]:
        """(class id, probability) for every class, most likely first; several vectors are averaged."""
        mean = self.probabilities(vectors).mean(axis=0)
        return [(self.ids[i], float(mean[i])) for i in np.argsort(-mean)]

    def top(self, vector: np.ndarray, k: int = 3, min_score: float = 0.15) -> list[tuple[str, float]]:
        """The k most likely classes of one vector whose probability reaches min_score (none for a zero vector)."""
        if not np.any(vector):
            return []
        return [(cid, p) for cid, p in self.ranked(vector)[:k] if p >= min_score]
