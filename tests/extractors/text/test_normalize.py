"""Text cleaning: no model needed, known answers."""
from __future__ import annotations

from extractors.base import VideoMeta
from extractors.text.normalize import clean_field, clean_input, content_tokens, normalize_unicode, strip_emoji


def test_clean_field_separates_links_mentions_hashtags_and_emoji():
    c = clean_field("OMG 😂🔥 try this @chef.mia https://example.com/r?id=1 #PastaNight #food 👍🏽 so good")
    assert c.prose == "OMG try this so good"
    assert c.mentions == ["chef.mia"]
    assert c.hashtags == ["PastaNight", "food"]
    assert c.urls == 1 and c.emoji >= 4


def test_unicode_is_normalised_and_other_scripts_are_kept():
    assert normalize_unicode("𝓮𝓪𝓼𝔂 ｐａｓｔａ") == "easy pasta"  # noqa: RUF001 - styled letters are the input
    text, removed = strip_emoji("café ✨ Москва 東京 ❤️")
    assert removed == 3  # sparkles, heart and its variation selector
    assert content_tokens(text) == ["café", "москва", "東京"]


def test_content_tokens_drop_stop_words_and_platform_filler():
    assert content_tokens("The best pasta for you #fyp viral trending") == ["best", "pasta"]


def test_clean_input_pulls_hashtags_from_every_field_once():
    cleaned = clean_input(VideoMeta("Dinner #Pasta", "so easy #pasta #weeknightDinner", ["#food", "pasta"],
                                    onscreen_text="link in bio #recipe"))
    assert [t.lower() for t in cleaned.hashtags] == ["food", "pasta", "weeknightdinner", "recipe"]
    assert cleaned.fields["hashtags"] == "food, pasta, weeknight dinner, recipe"
    assert cleaned.fields["title"] == "Dinner"


def test_emoji_only_and_blank_text_leave_no_fields():
    assert clean_input(VideoMeta("🔥🔥😂", "   \n\t", [], onscreen_text="✨")).fields == {}
