"""Stated interests (cold-start onboarding): free text and tags mapped to taxonomy categories, and encoded
into the text space (and CLIP's visual space when CLIP weights are loaded) so they can be searched like a profile."""
from __future__ import annotations

import re
import threading

import numpy as np

from extractors.taxonomy import load_taxonomy
from service.recommend.catalogue import CATEGORY_MIN_COSINE
from service.recommend.profiles import Onboarding, tag_label

PHRASE_SPLIT = re.compile(r"[,;/\n]|\band\b|\bor\b|&", re.IGNORECASE)


def phrases(text: str) -> list[str]:
    """'cooking, travel and cats' -> ['cooking', 'travel', 'cats']."""
    return [p.strip() for p in PHRASE_SPLIT.split(text) if re.search(r"\w", p)]


class InterestEncoder:
    """Encodes stated interests with the text encoder (and CLIP's text tower); caches encoded onboardings."""

    def __init__(self, text=None, visual=None):
        self.text = text
        self.visual = visual
        self._cache: dict[tuple, Onboarding] = {}
        self._lock = threading.Lock()

    @property
    def category_prototypes(self) -> np.ndarray | None:
        """The text extractor's category prototypes (rows in taxonomy order), shared rather than re-embedded."""
        return None if self.text is None else self.text.categories.prototypes

    def tags(self, text: str, tags: list[str]) -> dict[str, float]:
        """Taxonomy ids (given, or the best category of each free-text phrase) with weights."""
        taxonomy = load_taxonomy()
        by_name = {c.id: c.id for c in taxonomy} | {c.label.lower(): c.id for c in taxonomy}
        out: dict[str, float] = {}
        pending = phrases(text)
        for t in tags:
            label = tag_label(str(t))
            if label in by_name:
                out[by_name[label]] = 1.0
            elif label:
                pending.append(label)
        prototypes = self.category_prototypes
        if pending and prototypes is not None:
            for row in self.text.embed(pending) @ prototypes.T:
                j = int(row.argmax())
                if row[j] >= CATEGORY_MIN_COSINE:
                    out[taxonomy[j].id] = max(out.get(taxonomy[j].id, 0.0), float(row[j]))
        return out

    def onboarding(self, stated: tuple[str, list[dict]] | None, dims: dict[str, int]) -> Onboarding | None:
        """Stated interests (text, tags) as an Onboarding with per-modality vectors; cached per content."""
        if stated is None:
            return None
        text, tags = stated
        tag_weights = {t["label"]: float(t["score"]) for t in tags}
        key = (text, tuple(sorted(tag_weights.items())), tuple(sorted(dims.items())))
        with self._lock:
            if key not in self._cache:
                self._cache[key] = Onboarding(text, tag_weights, self._vectors(text, tag_weights, dims))
            return self._cache[key]

    def _vectors(self, text: str, tag_weights: dict[str, float], dims: dict[str, int]) -> dict[str, np.ndarray]:
        taxonomy = {c.id: c for c in load_taxonomy()}
        sentences = phrases(text) + [taxonomy[t].prompt for t in tag_weights if t in taxonomy]
        vectors: dict[str, np.ndarray] = {}
        if sentences and self.text is not None and dims.get("text") == self.text.dim:
            vectors["text"] = self.text.embed(sentences).mean(axis=0)
        clip_vec = self.clip_text(sentences) if sentences else None
        if clip_vec is not None and dims.get("visual") == clip_vec.size:
            vectors["visual"] = clip_vec
        return vectors

    def clip_text(self, sentences: list[str]) -> np.ndarray | None:
        """CLIP text-tower embedding for the visual part of a query, when CLIP weights are loaded."""
        if self.visual is None:
            return None
        vectors = self.visual.embed_text(sentences)
        return None if vectors is None else vectors.mean(axis=0)
