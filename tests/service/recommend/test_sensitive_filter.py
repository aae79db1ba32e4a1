"""Videos flagged sensitive stay out of the feeds of users who have not opted in (one filter, in the recommender).

The flag is set on synthetic records by hand: no image that the detector flags can be generated in code."""
from __future__ import annotations

import numpy as np
import pytest

from extractors.base import Tag
from service.config import Settings
from service.recommend import Recommender
from service.storage import Store
from tests.helpers.records import synthetic_record

FLAGGED = "v-flagged"


@pytest.fixture()
def store(tmp_path):
    rng = np.random.default_rng(0)
    with Store(tmp_path / "s.db") as s:
        for j in range(6):
            vid = FLAGGED if j == 0 else f"v{j}"
            tags = [Tag("sensitive", 0.9, "safety")] if vid == FLAGGED else []
            s.add(synthetic_record(vid, {m: rng.normal(size=8) for m in ("text", "visual", "audio")}, tags=tags))
        yield s


def feed(store, tmp_path, user: str, **settings) -> set[str]:
    rec = Recommender(store, Settings(data_dir=tmp_path, exploration_share=0, **settings))
    return {item["video_id"] for item in rec.recommend(user, k=6)}


def test_flagged_video_is_left_out_without_an_opt_in(store, tmp_path):
    shown = feed(store, tmp_path, "u1")
    assert FLAGGED not in shown and len(shown) == 5


def test_flagged_video_is_shown_after_the_user_opts_in(store, tmp_path):
    store.set_show_sensitive("u2", True)
    assert FLAGGED in feed(store, tmp_path, "u2")


def test_opting_out_again_hides_it(store, tmp_path):
    store.set_show_sensitive("u3", True)
    store.set_show_sensitive("u3", False)
    assert FLAGGED not in feed(store, tmp_path, "u3")


def test_the_setting_turns_the_filter_off(store, tmp_path):
    assert FLAGGED in feed(store, tmp_path, "u4", safety_filter_feeds=False)


def test_deleting_history_keeps_the_opt_in(store):
    store.set_show_sensitive("u5", True)
    store.delete_user("u5")
    assert store.shows_sensitive("u5") is True
