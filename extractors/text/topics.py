"""LDA topics over the words of the videos in the store (gensim).

Topics are fitted offline (`reelsense topics fit`) on the catalogue's own text, saved in a folder with
their settings and quality figures, and loaded by the text extractor, which then reports every video's
topic mixture. LDA complements the sentence embedding: its topics are the catalogue's own themes, named
by their top words, so they explain themselves and follow the catalogue as it changes.
"""
from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from extractors.errors import TopicError
from extractors.text.hashtags import hashtag_phrase
from extractors.text.normalize import clean_field, content_tokens

log = logging.getLogger(__name__)
SETTINGS_FILE = "settings.json"
MODEL_FILE = "lda.model"
PHRASES_FILE = "bigrams.phraser"
TOPICS_VERSION = "1"


def document_tokens(*fields: str, hashtags: Iterable[str] = ()) -> list[str]:
    """Content words of a video's text fields and hashtags (hashtags split into words)."""
    tokens: list[str] = []
    tags = list(hashtags)
    for text in fields:
        cleaned = clean_field(text)
        tokens += content_tokens(cleaned.prose, min_len=3)
        tags += cleaned.hashtags
    for tag in tags:
        tokens += content_tokens(hashtag_phrase(tag), min_len=3)
    return tokens


@dataclass
class TopicSummary:
    id: int
    words: list[tuple[str, float]]
    coherence: float
    documents: int = 0  # how many fitted documents have this as their strongest topic

    @property
    def label(self) -> str:
        return "/".join(w for w, _ in self.words[:3])


@dataclass
class FitSettings:
    k: int = 8
    passes: int = 15
    iterations: int = 200
    seed: int = 0
    coherence: str = "c_v"  # or "u_mass" (faster, no sliding window)
    top_words: int = 10


@dataclass
class TopicInfo:
    """What is saved next to the model: how it was fitted and how good it is."""

    settings: FitSettings
    documents: int
    vocabulary: int
    coherence: float
    topics: list[TopicSummary] = field(default_factory=list)
    fitted_at: float = 0.0
    version: str = TOPICS_VERSION

    def to_json(self) -> str:
        data = asdict(self)
        data["coherence_measure"] = self.settings.coherence
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> TopicInfo:
        data = json.loads(text)
        topics = [TopicSummary(t["id"], [tuple(w) for w in t["words"]], t["coherence"], t.get("documents", 0))
                  for t in data["topics"]]
        return cls(FitSettings(**data["settings"]), data["documents"], data["vocabulary"], data["coherence"],
                   topics, data.get("fitted_at", 0.0), data.get("version", TOPICS_VERSION))


class TopicModel:
    """A fitted LDA model with the bigram detector and dictionary it was trained with."""

    def __init__(self, lda, phraser, info: TopicInfo):
        self.lda = lda
        self.phraser = phraser
        self.info = info

    @property
    def k(self) -> int:
        return int(self.lda.num_topics)

    # -- fitting ---------------------------------------------------------------------------------
    @classmethod
    def fit(cls, documents: list[list[str]], settings: FitSettings | None = None) -> TopicModel:
        """Train on token lists: bigrams, dictionary filtering, LDA, then coherence per topic."""
        from gensim.corpora import Dictionary
        from gensim.models import CoherenceModel, LdaModel
        from gensim.models.phrases import ENGLISH_CONNECTOR_WORDS, Phrases

        settings = settings or FitSettings()
        docs = [d for d in documents if d]
        if len(docs) < 2:
            raise TopicError("too_few_documents",
                             f"need at least 2 documents with words to fit topics, got {len(docs)}")
        if settings.k < 2:
            raise TopicError("bad_k", f"k must be at least 2, got {settings.k}")
        phrases = Phrases(docs, min_count=max(2, len(docs) // 100), threshold=10.0,
                          connector_words=ENGLISH_CONNECTOR_WORDS)
        phraser = phrases.freeze()
        texts = [phraser[d] for d in docs]
        dictionary = Dictionary(texts)
        # Rare words cannot shape a topic and very common ones belong to all of them; a tiny catalogue keeps all.
        no_below = 2 if len(texts) >= 20 else 1
        no_above = 0.5 if len(texts) >= 20 else 1.0
        dictionary.filter_extremes(no_below=no_below, no_above=no_above, keep_n=50_000)
        corpus = [dictionary.doc2bow(t) for t in texts]
        kept = [i for i, bow in enumerate(corpus) if bow]
        if len(kept) < 2 or len(dictionary) < settings.k:
            raise TopicError("too_little_text", f"{len(kept)} documents and {len(dictionary)} distinct words are too "
                             f"little text for {settings.k} topics; add videos with titles or lower --k")
        corpus = [corpus[i] for i in kept]
        texts = [texts[i] for i in kept]
        lda = LdaModel(corpus, id2word=dictionary, num_topics=settings.k, passes=settings.passes,
                       iterations=settings.iterations, random_state=settings.seed, alpha="auto", eta="auto",
                       eval_every=None)
        coherence = CoherenceModel(model=lda, texts=texts, dictionary=dictionary, corpus=corpus,
                                   coherence=settings.coherence, topn=settings.top_words, processes=1)
        per_topic = [float(c) for c in coherence.get_coherence_per_topic()]
        dominant = np.bincount([_dominant(lda, bow) for bow in corpus], minlength=settings.k)
        topics = [
            TopicSummary(t, [(w, round(float(p), 5)) for w, p in lda.show_topic(t, topn=settings.top_words)],
                         round(per_topic[t], 4), int(dominant[t]))
            for t in range(settings.k)
        ]
        coherence_mean = round(float(np.mean(per_topic)), 4)
        info = TopicInfo(settings, len(corpus), len(dictionary), coherence_mean, topics, time.time())
        return cls(lda, phraser, info)

    # -- inference -------------------------------------------------------------------------------
    def distribution(self, tokens: list[str]) -> np.ndarray:
        """Topic mixture of one token list (sums to 1); uniform-free: empty text gives all zeros."""
        bow = self.lda.id2word.doc2bow(self.phraser[tokens])
        out = np.zeros(self.k, np.float32)
        if not bow:
            return out
        for topic, p in self.lda.get_document_topics(bow, minimum_probability=0.0):
            out[topic] = p
        return out / max(float(out.sum()), 1e-12)

    def label(self, topic: int) -> str:
        return self.info.topics[topic].label

    # -- persistence -----------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write model, bigrams and settings to a fresh folder, then swap it in: never half-written."""
        folder = Path(folder)
        staging = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        self.lda.save(str(staging / MODEL_FILE))
        self.phraser.save(str(staging / PHRASES_FILE))
        (staging / SETTINGS_FILE).write_text(self.info.to_json())
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> TopicModel:
        folder = Path(folder)
        if not (folder / SETTINGS_FILE).is_file():
            raise TopicError("not_fitted", f"no topic model in {folder}; run `reelsense topics fit`")
        from gensim.models import LdaModel  # imported only when there is a model: gensim takes seconds to import
        from gensim.models.phrases import FrozenPhrases

        try:
            info = TopicInfo.from_json((folder / SETTINGS_FILE).read_text())
            lda = LdaModel.load(str(folder / MODEL_FILE))
            phraser = FrozenPhrases.load(str(folder / PHRASES_FILE))
        except Exception as exc:
            raise TopicError("unreadable", f"topic model in {folder} cannot be read ({exc}); "
                             "run `reelsense topics fit` again") from exc
        return cls(lda, phraser, info)

    @staticmethod
    def read_info(folder: Path) -> TopicInfo:
        """Settings and topics without loading the model (for `topics show`)."""
        path = Path(folder) / SETTINGS_FILE
        if not path.is_file():
            raise TopicError("not_fitted", f"no topic model in {folder}; run `reelsense topics fit`")
        return TopicInfo.from_json(path.read_text())


def _dominant(lda, bow) -> int:
    topics = lda.get_document_topics(bow, minimum_probability=0.0)
    return int(max(topics, key=lambda tp: tp[1])[0])
