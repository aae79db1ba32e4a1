"""Hashtags into words: '#SkinTok' -> 'skin tok', '#day_in_my_life' -> 'day in my life',
'#tiktokmademebuyit' -> 'tiktok made me buy it'.

A sentence encoder reads 'skincare routine' far better than 'skincareroutine', so tags are split on
underscores and camel case, and run-together lower-case tags go through `wordsegment` (a unigram/bigram
language model over a web corpus) taught a few platform words it does not know.
"""
from __future__ import annotations

import re
from functools import lru_cache

import wordsegment

# Platform words the web corpus lacks or splits badly, with a count that makes the segmenter keep them whole.
PLATFORM_WORDS = ("tiktok", "booktok", "skintok", "gymtok", "foodtok", "cleantok", "youtube", "instagram",
                  "iphone", "vlog", "vlogs", "vlogger", "asmr", "diy", "grwm", "ootd", "fyp", "kpop", "esports",
                  "skincare", "haul", "unboxing", "foodie", "makeup", "lifehack", "lifehacks", "selfcare")
# Acronyms whose words say more than the letters do.
EXPANSIONS = {
    "grwm": "get ready with me",
    "ootd": "outfit of the day",
    "wiw": "what i wore",
    "wiedi": "what i eat in a day",
    "diy": "diy do it yourself",
    "fyp": "fyp",
    "asmr": "asmr",
    "bts": "bts",
    "pov": "pov",
    "tbt": "throwback thursday",
    "ootn": "outfit of the night",
    "mukbang": "mukbang eating show",
    "booktok": "book tok books",
    "skintok": "skin tok skincare",
    "gymtok": "gym tok workout",
    "foodtok": "food tok food",
    "cleantok": "clean tok cleaning",
}
CAMEL_RE = re.compile(
    r"\b[a-z](?=[A-Z][a-z])[A-Z][a-z]+|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_]+", re.UNICODE
)
MERGES = {("tik", "tok"): "tiktok", ("you", "tube"): "youtube"}


@lru_cache(maxsize=1)
def _segmenter_ready() -> bool:
    """Load wordsegment's corpus once (from its package data, no network) and teach it platform words."""
    wordsegment.load()
    top = max(wordsegment.UNIGRAMS.values())
    for w in PLATFORM_WORDS:
        wordsegment.UNIGRAMS[w] = max(wordsegment.UNIGRAMS.get(w, 0.0), top / 50)
    return True


def _segment_lower(chunk: str) -> list[str]:
    """Split one lower-case run of ASCII letters into words; other scripts are kept whole."""
    if chunk in EXPANSIONS:
        return EXPANSIONS[chunk].split()
    if not chunk.isascii() or len(chunk) <= 3:
        return [chunk]
    _segmenter_ready()
    parts = wordsegment.segment(chunk) or [chunk]
    return [p for part in parts for p in EXPANSIONS.get(part, part).split()]


def _merge_pairs(tokens: list[str]) -> list[str]:
    """Join word pairs that camel case splits apart but mean one thing ('Tik' 'Tok' -> 'tiktok')."""
    merged: list[str] = []
    for token in tokens:
        if merged and (merged[-1], token) in MERGES:
            merged[-1] = MERGES[(merged[-1], token)]
        else:
            merged.append(token)
    return merged


@lru_cache(maxsize=4096)
def split_hashtag(tag: str) -> tuple[str, ...]:
    """Words of one hashtag, lower-case; '#' optional. Empty tuple for an empty tag."""
    body = tag.strip().lstrip("#")
    out: list[str] = []
    for piece in re.split(r"[_\-.]+", body):
        for token in CAMEL_RE.findall(piece):
            # camel case already split the words; each part may still be a run-together lower-case tag
            if token.isdigit() or (token.isupper() and len(token) <= 5 and token.lower() not in EXPANSIONS):
                out.append(token.lower())  # numbers and acronyms such as 'HIIT' or 'NYC' stay whole
            else:
                out.extend(_segment_lower(token.lower()))
    out = _merge_pairs(out)
    return tuple(out)


def hashtag_phrase(tag: str) -> str:
    """The words of a hashtag joined by spaces, e.g. 'day in my life'."""
    return " ".join(split_hashtag(tag))
