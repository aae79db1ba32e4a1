"""Cleaning of user-written video text before it is embedded, tokenised or tagged.

Captions are noisy: styled Unicode letters, links, emoji runs, @mentions and #hashtags mixed into
the prose. Normalising once here keeps the embedding, keywords and topics looking at the same words,
and keeps every script (Cyrillic, CJK, accents...) intact: only noise is removed, never a language.
`clean_field` cleans one field; `clean_input` all the words of a video.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from extractors.base import HASHTAG_RE, VideoMeta
from extractors.text.hashtags import hashtag_phrase

URL_RE = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|io|ly|co|me|tv)(?:/\S*)?\b", re.IGNORECASE)
MENTION_RE = re.compile(r"(?<![\w@])@([\w.]{1,64})", re.UNICODE)
WORD_RE = re.compile(r"[^\W\d_](?:[\w']*\w)?", re.UNICODE)  # starts with a letter; digits/underscores inside ok
SPACE_RE = re.compile(r"\s+")
# Characters that carry no words: emoji joiners, variation selectors, skin-tone modifiers, keycap marks.
_INVISIBLE = {0x200B, 0x200C, 0x200D, 0x2060, 0xFE0E, 0xFE0F, 0x20E3}
_SKIN_TONES = range(0x1F3FB, 0x1F400)

# Words that appear on every short video and say nothing about its content.
PLATFORM_NOISE = frozenset(
    """fyp fy fypシ foryou foryoupage fyi viral trending trend tiktok tik tok reels reel shorts youtubeshorts
    explore explorepage xyzbca like likes follow followme subscribe share comment comments duet stitch video
    videos pov lol omg wait till end part""".split()
)
# Words that pass the stop list but describe no content: they count for little in the text's confidence.
GENERIC_WORDS = frozenset(
    """new best top honest amazing awesome great good nice cool epic crazy insane ultimate perfect day night
    today tonight time week year first last really quick easy simple check watch look try things thing stuff way
    guys everyone tips hacks ideas moment moments life vlog update""".split()
)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """gensim's English stop words plus platform filler; imported on first use (gensim takes seconds to import)."""
    from gensim.parsing.preprocessing import STOPWORDS

    contractions = frozenset("im ive dont cant youre thats isnt gonna wanna got get".split())
    return frozenset(STOPWORDS) | PLATFORM_NOISE | contractions


def is_emoji_noise(char: str) -> bool:
    """True for pictographs and the invisible marks that glue emoji sequences together."""
    code = ord(char)
    return unicodedata.category(char) == "So" or code in _INVISIBLE or code in _SKIN_TONES


def normalize_unicode(text: str) -> str:
    """NFKC (so styled letters, e.g. mathematical script or full-width, become plain), no control characters."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)


def strip_emoji(text: str) -> tuple[str, int]:
    """Remove emoji and pictograph noise; returns the text and how many characters went."""
    kept = [c for c in text if not is_emoji_noise(c)]
    return "".join(kept), len(text) - len(kept)


@dataclass
class CleanText:
    """One field after cleaning: prose without links, emoji, mentions or hashtags, plus what was pulled out."""

    prose: str
    hashtags: list[str] = field(default_factory=list)  # raw tag bodies, without '#', order kept
    mentions: list[str] = field(default_factory=list)
    urls: int = 0
    emoji: int = 0


def clean_field(text: str) -> CleanText:
    """Normalise one text field and separate its prose from hashtags, mentions, links and emoji."""
    text = normalize_unicode(text)
    text, n_urls = URL_RE.subn(" ", text)
    text, n_emoji = strip_emoji(text)
    mentions = MENTION_RE.findall(text)
    text = MENTION_RE.sub(" ", text)
    hashtags = HASHTAG_RE.findall(text)
    text = HASHTAG_RE.sub(" ", text)
    prose = SPACE_RE.sub(" ", text).strip(" \t-|·•,;:")
    return CleanText(prose, hashtags, mentions, n_urls, n_emoji)


def words(text: str) -> list[str]:
    """Word tokens (letters first, any script), original case."""
    return WORD_RE.findall(text or "")


def content_tokens(text: str, min_len: int = 2) -> list[str]:
    """Lower-cased words that carry meaning: no stop words, platform noise or single letters."""
    out = []
    for w in words(text):
        w = w.lower().strip("'")
        if len(w) >= min_len and w not in stop_words():
            out.append(w)
    return out


@dataclass
class CleanedText:
    """A video's words after cleaning: the prose of each field, hashtag words, and what was removed."""

    fields: dict[str, str]  # field name -> text to embed (only non-empty fields)
    hashtags: list[str]
    mentions: list[str]
    urls: int
    emoji: int

    @property
    def content_words(self) -> list[str]:
        return [w for text in self.fields.values() for w in content_tokens(text)]


def clean_input(meta: VideoMeta) -> CleanedText:
    """Clean every field; hashtags from any field are pulled out and turned into words."""
    parts = {"title": clean_field(meta.title), "description": clean_field(meta.description),
             "onscreen": clean_field(meta.onscreen_text)}
    tags = meta.all_hashtags()
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
    urls, emoji = sum(p.urls for p in parts.values()), sum(p.emoji for p in parts.values())
    return CleanedText(fields, tags, mentions, urls, emoji)
