"""Ranking tags of a video, computed once when it is stored: normalised tag labels with weights, and the
taxonomy category that the per-category cap and the negative-category penalty use.

Kept beside the record (not in service.recommend) because the store computes them in the transaction that
adds the video, so every writer (API, `embed --db`, `import`) stores the same thing.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from extractors.taxonomy import load_taxonomy

CATEGORY_SOURCES = ("category", "clip")  # tag sources that classify a video into the taxonomy
HASHTAG_TAG_WEIGHT = 0.5  # hashtags are the uploader's claim: they count half as tags for ranking


def tag_label(label: str) -> str:
    """Tags are compared without '#' and case: '#Pets' and 'pets' are one interest."""
    return label.lstrip("#").strip().lower()


@lru_cache(maxsize=1)
def category_ids() -> frozenset[str]:
    return frozenset(c.id for c in load_taxonomy())


def ranking_tags(raw_tags: Iterable[dict], text_category: str | None = None) -> tuple[dict[str, float], str]:
    """(label -> weight, category) from a record's tags ({"label", "score", "source"} dicts)."""
    tags: dict[str, float] = {}
    classified: dict[str, float] = {}
    for tag in raw_tags:
        label = tag_label(tag["label"])
        weight = float(tag["score"]) * (HASHTAG_TAG_WEIGHT if tag.get("source") == "hashtag" else 1.0)
        tags[label] = max(tags.get(label, 0.0), weight)
        if tag.get("source") in CATEGORY_SOURCES:
            classified[label] = max(classified.get(label, 0.0), weight)
    category = pick_category(classified, text_category)
    if category:
        tags[category] = max(tags.get(category, 0.0), 1.0)
    return tags, category


def pick_category(tags: dict[str, float], text_category: str | None) -> str:
    """The video's strongest taxonomy tag from a classifier (text or CLIP zero-shot), else the text's best
    category. Other tags whose label happens to be a category id (audio's "music") do not count."""
    own = [(score, label) for label, score in tags.items() if label in category_ids()]
    if own:
        return max(own)[1]
    return text_category or ""
