"""Zero-shot content categories: the text's embedding against each taxonomy category's description.

Raw cosine similarities of a sentence encoder are all of a similar size (0.1-0.5), so they are turned
into a distribution with a softmax at a low temperature; that makes scores comparable between videos
and lets one threshold decide which categories become tags.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from extractors.taxonomy import Category, load_taxonomy

# Fitted on tests/data/captions.jsonl with MiniLM (lowest log-loss of 0.02..0.1): the mean top probability
# (0.87) then matches the top-1 accuracy (0.87), i.e. scores read as rough probabilities of being right.
CATEGORY_TEMPERATURE = 0.03


def category_texts(category: Category) -> list[str]:
    """The phrasings of one category that are embedded and averaged into its prototype."""
    return [category.prompt, f"a video about {category.label.lower()}", category.description]


class CategoryScorer:
    """Prototype vectors for each taxonomy category, built once per encoder."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], categories: tuple[Category, ...] | None = None,
                 temperature: float = CATEGORY_TEMPERATURE):
        self.categories = categories or load_taxonomy()
        self.ids = [c.id for c in self.categories]
        self.temperature = temperature
        per = [category_texts(c) for c in self.categories]
        flat = embed([t for texts in per for t in texts])
        protos, start = [], 0
        for texts in per:
            v = flat[start:start + len(texts)].mean(axis=0)
            protos.append(v / max(float(np.linalg.norm(v)), 1e-12))
            start += len(texts)
        self.prototypes = np.stack(protos).astype(np.float32)

    def similarities(self, vectors: np.ndarray) -> np.ndarray:
        """Cosine similarity of unit vectors [n, dim] to every category: [n, categories]."""
        return np.atleast_2d(vectors) @ self.prototypes.T

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Softmax over categories of the similarities divided by the temperature: rows sum to 1."""
        logits = self.similarities(vectors) / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def top(self, vector: np.ndarray, k: int = 3, min_score: float = 0.15) -> list[tuple[str, float]]:
        """The k most likely categories of one vector whose probability reaches min_score."""
        if not np.any(vector):
            return []
        p = self.probabilities(vector)[0]
        order = np.argsort(-p)[:k]
        return [(self.ids[i], float(p[i])) for i in order if p[i] >= min_score]
