"""Text cleaning and hashtag splitting: no model needed, known answers."""
from __future__ import annotations

import pytest

from extractors.hashtags import hashtag_phrase, split_hashtag
from extractors.text import TextInput, clean_input, text_confidence
from extractors.text_normalize import clean_field, content_tokens, normalize_unicode, strip_emoji


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


def test_clean_field_separates_links_mentions_hashtags_and_emoji():
    c = clean_field("OMG 😂🔥 try this @chef.mia https://example.com/r?id=1 #PastaNight #food 👍🏽 so good")
    assert c.prose == "OMG try this so good"
    assert c.mentions == ["chef.mia"]
    assert c.hashtags == ["PastaNight", "food"]
    assert c.urls == 1 and c.emoji >= 4


def test_unicode_is_normalised_and_other_scripts_are_kept():
    assert normalize_unicode("𝓮𝓪𝓼𝔂 ｐａｓｔａ") == "easy pasta"
    text, removed = strip_emoji("café ✨ Москва 東京 ❤️")
    assert removed == 3  # sparkles, heart and its variation selector
    assert content_tokens(text) == ["café", "москва", "東京"]


def test_content_tokens_drop_stop_words_and_platform_filler():
    assert content_tokens("The best pasta for you #fyp viral trending") == ["best", "pasta"]


def test_clean_input_pulls_hashtags_from_every_field_once():
    cleaned = clean_input(TextInput("Dinner #Pasta", "so easy #pasta #weeknightDinner", ["#food", "pasta"],
                                    onscreen_text="link in bio #recipe"))
    assert [t.lower() for t in cleaned.hashtags] == ["food", "pasta", "weeknightdinner", "recipe"]
    assert cleaned.fields["hashtags"] == "food, pasta, weeknight dinner, recipe"
    assert cleaned.fields["title"] == "Dinner"


def test_emoji_only_and_blank_text_leave_no_fields():
    assert clean_input(TextInput("🔥🔥😂", "   \n\t", [], "✨")).fields == {}


def test_confidence_grows_with_meaningful_words():
    values = [text_confidence(n) for n in (0, 1, 3, 6, 12, 30)]
    assert values[0] == 0 and values == sorted(values) and values[-1] > 0.99 and values[1] < 0.3
