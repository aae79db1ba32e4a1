"""Text features: a field-weighted sentence embedding (MiniLM by default) plus explainable tags.

A video's words arrive in fields of unequal worth: a title and hashtags say what the video is, a long
description often rambles. Each field is cleaned (normalize), hashtags are split into words
(hashtags), every field is embedded separately in one batch and the unit vectors are averaged with
field weights. Tags: hashtags, MMR keywords, zero-shot taxonomy categories and, when a topic model has
been fitted (`reelsense topics fit`), LDA topics. The vector never depends on the topic model, so
fitting topics does not change the embedding space.
"""
from __future__ import annotations

import logging
import math
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from extractors.base import ModalityFeatures, QueryCache, Tag, VideoMeta, l2_normalize
from extractors.errors import TopicError
from extractors.prototypes import PrototypeClassifier
from extractors.text.categories import CATEGORY_TEMPERATURE, category_classifier
from extractors.text.encoder import OFFLINE_MINILM, load_sentence_encoder
from extractors.text.hashtags import hashtag_phrase
from extractors.text.keywords import candidate_phrases, select_keywords
from extractors.text.normalize import GENERIC_WORDS, PLATFORM_NOISE, CleanedText, clean_input, words
from extractors.text.topics import TopicModel, document_tokens

if TYPE_CHECKING:
    from extractors.media import DecodedMedia

log = logging.getLogger(__name__)
# How much each field counts in the video's text vector (title and hashtags say most).
FIELD_WEIGHTS = {"title": 1.0, "hashtags": 1.0, "description": 0.6, "onscreen": 0.5}
# Why a video's stats have no topics, in words (stats are public: no server path in them).
TOPICS_UNAVAILABLE = {"not_configured": "no topic model configured",
                      "not_fitted": "no topic model yet; run `reelsense topics fit`",
                      "unreadable": "the topic model cannot be read; run `reelsense topics fit` again"}
CONFIDENCE_WORDS = 6.0  # content words at which confidence reaches 1 - 1/e
GENERIC_WORD_WEIGHT = 0.25  # a generic word ("new", "best", "day") says a quarter of what a specific one does


def text_confidence(content_words: float) -> float:
    """Grows with the amount of meaningful text: 1 word ~0.15, 6 ~0.63, 15 ~0.92."""
    return 1.0 - math.exp(-content_words / CONFIDENCE_WORDS)


def informative_words(content: list[str]) -> float:
    """Content words counted by what they tell: specific ones 1, generic ones GENERIC_WORD_WEIGHT."""
    return sum(GENERIC_WORD_WEIGHT if w in GENERIC_WORDS else 1.0 for w in content)


class TextExtractor:
    """The text modality (see the module docstring); follows `extractors.base.Extractor`."""

    name = "text"

    def __init__(self, model_name: str = OFFLINE_MINILM, topics_dir: str | Path | None = None,
                 field_weights: dict[str, float] | None = None, category_temperature: float = CATEGORY_TEMPERATURE,
                 max_categories: int = 3, min_category_score: float = 0.15, max_keywords: int = 4,
                 device: str = "cpu"):
        self.encoder = load_sentence_encoder(model_name, device=device)
        self.dim = int(self.encoder.get_embedding_dimension())
        self.model = Path(model_name).name
        self.field_weights = dict(field_weights or FIELD_WEIGHTS)
        self.category_temperature = category_temperature
        self.max_categories = max_categories
        self.min_category_score = min_category_score
        self.max_keywords = max_keywords
        self._categories: PrototypeClassifier | None = None
        self._lock = threading.Lock()
        self._encode_lock = threading.Lock()  # a fast tokenizer refuses concurrent calls ("Already borrowed")
        self._queries = QueryCache()
        self.topics: TopicModel | None = None
        self.topics_unavailable = TOPICS_UNAVAILABLE["not_configured"]
        if topics_dir is not None:
            self.load_topics(topics_dir)

    # -- models ----------------------------------------------------------------------------------
    def load_topics(self, folder: str | Path) -> bool:
        """Load a fitted LDA model if there is one; otherwise remember why topics are unavailable."""
        try:
            self.topics = TopicModel.load(Path(folder))
            self.topics_unavailable = ""
        except TopicError as exc:
            # The reason lands in every video's stats, which public reads show: words, never the folder's path.
            self.topics = None
            self.topics_unavailable = TOPICS_UNAVAILABLE.get(exc.code, TOPICS_UNAVAILABLE["unreadable"])
            if exc.code != "not_fitted":
                log.warning("topics unavailable: %s", exc.message)
        return self.topics is not None

    @property
    def categories(self) -> PrototypeClassifier:
        """The taxonomy's prototype vectors, embedded on first use (once per extractor)."""
        with self._lock:
            if self._categories is None:
                self._categories = category_classifier(self.embed, temperature=self.category_temperature)
            return self._categories

    # -- embedding -------------------------------------------------------------------------------
    def embed(self, sentences: list[str], batch_size: int = 64) -> np.ndarray:
        """Batch-encode sentences into unit vectors (float32, shape [n, dim])."""
        if not sentences:
            return np.zeros((0, self.dim), np.float32)
        single = sentences[0] if len(sentences) == 1 else None
        cached = self._queries.get(single) if single is not None else None
        if cached is not None:
            return cached[None, :]
        with self._encode_lock:
            vectors = self.encoder.encode(list(sentences), batch_size=batch_size, normalize_embeddings=True,
                                          convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
        if single is not None:
            self._queries.put(single, vectors[0])
        return vectors

    def _weighted(self, fields: list[str], vectors: np.ndarray) -> np.ndarray:
        weights = np.array([self.field_weights.get(f, 0.5) for f in fields], np.float32)
        return l2_normalize((weights[:, None] * vectors).sum(axis=0))

    def text_vector(self, text: str) -> np.ndarray:
        """Embedding of free text (an interest, a query) in the same space, hashtags split into words."""
        return self.text_vectors([text])[0]

    def text_vectors(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Batched `text_vector`: [n, dim] unit rows (all zeros for a text with no words)."""
        cleaned = [clean_input(VideoMeta(description=t)).fields for t in texts]
        flat = [(i, name, body) for i, fields in enumerate(cleaned) for name, body in fields.items()]
        vectors = self.embed([body for _, _, body in flat], batch_size)
        out = np.zeros((len(texts), self.dim), np.float32)
        for i in range(len(texts)):
            rows = [j for j, (owner, _, _) in enumerate(flat) if owner == i]
            if rows:
                out[i] = self._weighted([flat[j][1] for j in rows], vectors[rows])
        return out

    # -- categories ------------------------------------------------------------------------------
    def category_scores(self, text: str) -> dict[str, float]:
        """Probability of every taxonomy category for a free text, highest first (empty text: {})."""
        vector = self.text_vector(text)
        if not np.any(vector):
            return {}
        return dict(self.categories.ranked(vector))

    def categorize(self, text: str, k: int | None = None, min_score: float | None = None) -> list[Tag]:
        """Category tags for arbitrary text, e.g. a user's interest 'easy pasta recipes' -> food."""
        vector = self.text_vector(text)
        return self._category_tags(vector, k, min_score)

    def _category_tags(self, vector: np.ndarray, k: int | None = None, min_score: float | None = None) -> list[Tag]:
        top = self.categories.top(vector, k or self.max_categories,
                                  self.min_category_score if min_score is None else min_score)
        return [Tag(cid, score, "category") for cid, score in top]

    # -- extraction ------------------------------------------------------------------------------
    def extract(self, meta: VideoMeta | None = None, media: DecodedMedia | None = None) -> ModalityFeatures:
        """The text modality of one video's words; on-screen text comes in `meta.onscreen_text` (read by the
        visual extractor's OCR), so `media` is not looked at."""
        return self.extract_many([meta or VideoMeta()])[0]

    def extract_many(self, metas: list[VideoMeta], batch_size: int = 64) -> list[ModalityFeatures]:
        """Extract a batch: all fields of all videos go through the encoder in one call."""
        cleaned = [clean_input(m) for m in metas]
        flat = [(i, name, body) for i, c in enumerate(cleaned) for name, body in c.fields.items()]
        distinct = list(dict.fromkeys(body for _, _, body in flat))  # shared hashtags/descriptions: encoded once
        position = {body: j for j, body in enumerate(distinct)}
        vectors = self.embed(distinct, batch_size)[[position[body] for _, _, body in flat]]
        rows_of: dict[int, list[int]] = {}
        for j, (owner, _, _) in enumerate(flat):
            rows_of.setdefault(owner, []).append(j)
        keyword_vectors = self._keyword_vectors(cleaned, batch_size)
        out = []
        for i, c in enumerate(cleaned):
            rows = rows_of.get(i, [])
            out.append(self._features(c, [flat[j][1] for j in rows], vectors[rows], keyword_vectors))
        return out

    def _keyword_vectors(self, cleaned: list[CleanedText], batch_size: int) -> dict[str, np.ndarray]:
        """Every keyword candidate of the batch embedded in one encoder call (each distinct phrase once)."""
        phrases = sorted({p for c in cleaned if c.content_words for p in candidate_phrases(list(c.fields.values()))})
        return dict(zip(phrases, self.embed(phrases, batch_size), strict=True))

    def _features(self, cleaned: CleanedText, names: list[str], vectors: np.ndarray,
                  keyword_vectors: dict[str, np.ndarray]) -> ModalityFeatures:
        content = cleaned.content_words
        if not names or not content:
            reason = "no text" if not names else "no meaningful words"
            absent = ModalityFeatures.absent(self.name, self.dim, self.model, reason)
            absent.stats.update(self._base_stats(cleaned, content))
            return absent
        vector = self._weighted(names, vectors)
        tags = self._hashtag_tags(cleaned.hashtags)
        tags += [Tag(kw, score, "keyword") for kw, score in
                 select_keywords(vector, [cleaned.fields[n] for n in names],
                                 lambda phrases: np.stack([keyword_vectors[p] for p in phrases]),
                                 top_n=self.max_keywords)]
        tags += self._category_tags(vector)
        stats = self._base_stats(cleaned, content)
        stats["categories"] = {cid: round(p, 4) for cid, p in self.categories.ranked(vector)[:5]}
        stats.update(self._topic_stats(cleaned, tags))
        confidence = text_confidence(informative_words(content))
        return ModalityFeatures(self.name, vector, confidence, tags, stats, self.model)

    def _base_stats(self, cleaned: CleanedText, content: list[str]) -> dict:
        return {
            "words": sum(len(words(t)) for t in cleaned.fields.values()),
            "content_words": len(content),
            "fields": list(cleaned.fields),
            "hashtags": len(cleaned.hashtags),
            "hashtag_words": {f"#{t.lower()}": hashtag_phrase(t) for t in cleaned.hashtags},
            "mentions": [f"@{m}" for m in cleaned.mentions],
            "urls_removed": cleaned.urls,
            "emoji_removed": cleaned.emoji,
        }

    @staticmethod
    def _hashtag_tags(hashtags: list[str]) -> list[Tag]:
        """Every hashtag is a tag; platform filler such as #fyp or #viral scores low."""
        tags = []
        for h in hashtags:
            filler = all(w in PLATFORM_NOISE for w in hashtag_phrase(h).split()) or h.lower() in PLATFORM_NOISE
            tags.append(Tag(f"#{h.lower()}", 0.2 if filler else 1.0, "hashtag"))
        return tags

    def _topic_stats(self, cleaned: CleanedText, tags: list[Tag], min_weight: float = 0.25) -> dict:
        """Topic mixture in stats and the strongest topics as tags, when a model is fitted."""
        if self.topics is None:
            return {"topics_available": False, "topics_reason": self.topics_unavailable}
        prose = [cleaned.fields[n] for n in ("title", "description", "onscreen") if n in cleaned.fields]
        tokens = document_tokens(*prose, hashtags=cleaned.hashtags)
        dist = self.topics.distribution(tokens)
        order = [int(i) for i in np.argsort(-dist) if dist[i] > 0.05]
        for i in order[:2]:
            if dist[i] >= min_weight:
                tags.append(Tag(self.topics.label(i), float(dist[i]), "topic"))
        return {"topics_available": True,
                "topics": [{"id": i, "label": self.topics.label(i), "weight": round(float(dist[i]), 4)} for i in order]}
