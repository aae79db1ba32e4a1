"""Keywords by embedding similarity with redundancy removed (maximal marginal relevance, as in KeyBERT).

Candidates are the text's own content words and two-word phrases; each is scored by how close its
embedding is to the whole text's, and MMR then trades that relevance against similarity to the keywords
already chosen, so 'pasta' and 'pasta recipe' do not both take a slot.
"""
from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from extractors.text.normalize import stop_words, words

MAX_CANDIDATES = 48
PUNCTUATION_RE = re.compile(r"[,.;:!?|/()\[\]\"“”…]+")


def candidate_phrases(texts: list[str], max_candidates: int = MAX_CANDIDATES) -> list[str]:
    """Unigrams and bigrams of content words (no stop word inside), most frequent first, de-duplicated."""
    counts: dict[str, int] = {}
    for segment in (seg for text in texts for seg in PUNCTUATION_RE.split(text)):
        run: list[str] = []  # a phrase never spans punctuation, so hashtags 'food, pasta' stay apart
        for token in [*words(segment), ""]:  # "" flushes the last run
            w = token.lower().strip("'")
            if len(w) >= 3 and w not in stop_words() and not w.isdigit():
                run.append(w)
                counts[w] = counts.get(w, 0) + 1
                if len(run) >= 2:
                    bigram = f"{run[-2]} {run[-1]}"
                    counts[bigram] = counts.get(bigram, 0) + 1
            else:
                run = []
    return sorted(counts, key=lambda c: -counts[c])[:max_candidates]  # stable: ties keep text order


def mmr(doc: np.ndarray, candidates: np.ndarray, top_n: int, diversity: float) -> list[tuple[int, float]]:
    """Indices chosen by maximal marginal relevance, each with its similarity to the document."""
    relevance = candidates @ doc
    pairwise = candidates @ candidates.T
    chosen: list[int] = []
    remaining = list(range(len(candidates)))
    while remaining and len(chosen) < top_n:
        redundancy = pairwise[np.ix_(remaining, chosen)].max(axis=1) if chosen else np.zeros(len(remaining))
        gain = (1 - diversity) * relevance[remaining] - diversity * redundancy
        best = remaining[int(np.argmax(gain))]
        chosen.append(best)
        remaining.remove(best)
    return [(i, float(relevance[i])) for i in chosen]


def select_keywords(doc_vector: np.ndarray, texts: list[str], embed: Callable[[list[str]], np.ndarray],
                    top_n: int = 5, diversity: float = 0.6, min_score: float = 0.2) -> list[tuple[str, float]]:
    """(keyword, similarity) pairs for a text whose embedding is `doc_vector`; `embed` gives unit vectors."""
    candidates = candidate_phrases(texts)
    if not candidates or not np.any(doc_vector):
        return []
    vectors = embed(candidates)
    picked = mmr(np.asarray(doc_vector, np.float32), vectors, top_n, diversity)
    return [(candidates[i], max(0.0, min(1.0, s))) for i, s in picked if s >= min_score]
