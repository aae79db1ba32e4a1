"""Hashtags into words: no model needed, known answers."""
from __future__ import annotations

import pytest

from extractors.text.hashtags import hashtag_phrase, split_hashtag


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("#SkinTok", "skin tok"),
        ("#tiktokmademebuyit", "tiktok made me buy it"),
        ("#day_in_my_life", "day in my life"),
        ("#dancechallenge", "dance challenge"),
        ("#PASTANIGHT", "pasta night"),
        ("#BBQRibs", "bbq ribs"),
        ("#LearnOnTikTok", "learn on tiktok"),
        ("#Top10Recipes", "top 10 recipes"),
        ("#studywithme", "study with me"),
        ("#mealprep", "meal prep"),
        ("#HIIT", "hiit"),
        ("#grwm", "get ready with me"),
        ("#ootd", "outfit of the day"),
        ("#кошки", "кошки"),
        ("#", ""),
    ],
)
def test_hashtag_splitting(tag, expected):
    assert hashtag_phrase(tag) == expected


def test_split_hashtag_is_lower_case_words():
    assert split_hashtag("catsoftiktok") == ("cats", "of", "tiktok")
    assert all(w == w.lower() for w in split_hashtag("#MyDIYProject"))
