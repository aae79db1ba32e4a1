"""Sound and copy signals in feeds: one copy per content, more of a liked sound, and the explanation says so."""
from __future__ import annotations

import numpy as np
import pytest

from service.recommend import Event, Recommender
from service.recommend.sounds import hidden_copies
from service.storage import Store
from tests.helpers.soundtracks import STORE_ORDER

IDS = ["orig", "copy1", "copy2", "other"]
ROW = {v: i for i, v in enumerate(IDS)}
DUPLICATES = {"copy1": "orig", "copy2": "orig"}


def test_the_most_engaged_copy_represents_its_group():
    hidden = hidden_copies(IDS, ROW, DUPLICATES, np.array([1, 5, 0, 0]), set())
    assert [IDS[i] for i in np.nonzero(hidden)[0]] == ["orig", "copy2"]


def test_the_original_represents_its_group_on_a_tie():
    hidden = hidden_copies(IDS, ROW, DUPLICATES, np.zeros(4), set())
    assert [IDS[i] for i in np.nonzero(hidden)[0]] == ["copy1", "copy2"]


def test_a_seen_copy_hides_the_whole_group():
    hidden = hidden_copies(IDS, ROW, DUPLICATES, np.zeros(4), {"copy2"})
    assert [IDS[i] for i in np.nonzero(hidden)[0]] == ["orig", "copy1", "copy2"]


@pytest.fixture(scope="module")
def store(sound_records, tmp_path_factory):
    with Store(tmp_path_factory.mktemp("sound_feed") / "store.db") as store:
        for record in sound_records:
            store.add(record)
        yield store


@pytest.fixture(scope="module")
def ids(sound_records) -> dict[str, str]:
    return {name: record.id for name, record in zip(STORE_ORDER, sound_records, strict=True)}


def recommender(store, settings_factory, **overrides) -> Recommender:
    return Recommender(store, settings_factory(exploration_share=0.0, max_per_category=50, max_per_creator=50,
                                               **overrides))


def test_a_feed_never_shows_two_copies_of_one_content(store, ids, settings_factory):
    feed = [item["video_id"] for item in recommender(store, settings_factory).recommend("fresh-user", k=20)]
    groups = [{ids["clip"], ids["clip_copy"], ids["clip_letterbox"]},
              {ids["song_later"], ids["song_low_bitrate"], ids["song_half_volume"]}]
    assert [len(group & set(feed)) for group in groups] == [1, 1]


def like_three_videos_of_one_sound(rec: Recommender, ids: dict[str, str], user: str) -> None:
    rec.record_events([Event(user, ids[name], "like", timestamp=1.0)
                       for name in ("song_full", "song_later", "song_excerpt")])


def test_a_user_who_liked_three_videos_of_a_sound_is_told_why_its_next_video_is_there(store, ids, settings_factory):
    rec = recommender(store, settings_factory)
    like_three_videos_of_one_sound(rec, ids, "sound-fan")
    item = next(i for i in rec.recommend("sound-fan", k=10) if i["video_id"] == ids["song_again"])
    assert item["explanation"]["sound"] == {"sound_id": ids["song_full"][:16], "liked_videos_with_sound": 3,
                                            "boost": 0.3}


def test_the_sound_term_lifts_the_videos_of_the_liked_sound(store, ids, settings_factory):
    with_sound = recommender(store, settings_factory)
    without = recommender(store, settings_factory, sound_affinity_weight=0.0)
    like_three_videos_of_one_sound(with_sound, ids, "sound-fan-2")
    scores = [{i["video_id"]: i["score"] for i in rec.recommend("sound-fan-2", k=10)} for rec in (with_sound, without)]
    assert scores[0][ids["song_again"]] == pytest.approx(scores[1][ids["song_again"]] + 0.3, abs=1e-6)
    assert "sound" not in without.recommend("sound-fan-2", k=10)[0]["explanation"]


def test_a_video_of_another_sound_gets_no_sound_explanation(store, ids, settings_factory):
    rec = recommender(store, settings_factory)
    like_three_videos_of_one_sound(rec, ids, "sound-fan-3")
    item = next(i for i in rec.recommend("sound-fan-3", k=10) if i["video_id"] == ids["other_song"])
    assert "sound" not in item["explanation"]
