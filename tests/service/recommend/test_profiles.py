"""Profiles from events on a synthetic catalogue (vectors with known geometry, real store, no models)."""
from __future__ import annotations

import numpy as np
import pytest

from extractors.base import Tag
from service.config import Settings
from service.errors import EventError
from service.recommend import Event, Recommender
from service.storage import Store
from tests.helpers.records import synthetic_record

DIMS = {"text": 8, "visual": 8, "audio": 8}


def _unit(i: int, d: int = 8) -> np.ndarray:
    v = np.zeros(d, np.float32)
    v[i % d] = 1.0
    return v


@pytest.fixture()
def rec(tmp_path):
    """Ten videos: audio of videos 0-4 identical ("one sound"), text and visual all different."""
    rng = np.random.default_rng(0)
    store = Store(tmp_path / "p.db")
    for j in range(10):
        vectors = {"text": rng.normal(size=8), "visual": rng.normal(size=8),
                   "audio": _unit(0) if j < 5 else rng.normal(size=8)}
        tags = [Tag("#music" if j < 5 else "#food", 1.0, "hashtag")]
        store.add(synthetic_record(f"v{j}", vectors, tags=tags, created_at=1000.0 + j))
    yield Recommender(store, Settings(data_dir=tmp_path))
    store.close()


def test_user_who_engages_by_sound_gets_more_audio_weight(rec):
    rec.record_events([Event("u", f"v{j}", "like", 100.0 + j) for j in range(5)])
    profile = rec.profile("u")
    w = profile["modality_weights"]
    assert w["audio"] > w["text"] and w["audio"] > w["visual"]
    assert sum(w.values()) == pytest.approx(1.0, abs=1e-3)
    assert profile["interest_tags"][0]["label"] == "music"
    assert profile["event_counts"]["like"] == 5


def test_not_interested_builds_negative_profile_and_excludes(rec):
    rec.record_events([Event("n", "v0", "like", 10.0), Event("n", "v7", "not_interested", 11.0)])
    p = rec.user_profile("n")
    assert "v7" in p.not_interested and p.negative is not None
    assert "food" in p.negative_tags
    ids = [it["video_id"] for it in rec.recommend("n", k=10)]
    assert "v7" not in ids and "v0" not in ids  # rejected and already seen


def test_time_decay_favours_recent_events(rec):
    settings = rec.settings.model_copy(update={"profile_half_life_days": 1.0})
    rec.settings = settings
    day = 86400.0
    rec.record_events([Event("t", "v0", "like", 0.0), Event("t", "v6", "like", 10 * day)])
    p = rec.user_profile("t", now=10 * day)
    assert p.interest_tags["food"] > 0.99  # the music like is ten half-lives old


def test_batch_is_validated_before_anything_is_stored(rec):
    batch = [Event("b", "v0", "like", 1.0), Event("b", "v1", "view", 2.0, watch_seconds=-3.0)]
    with pytest.raises(EventError) as err:
        rec.record_events(batch)
    assert err.value.code == "bad_watch_time" and err.value.index == 1
    assert rec.store.events("b") == []
    cases = [(Event("b", "v0", "poke", 1.0), "unknown_event_type"),
             (Event("b", "v0", "view", 1.0, completion=-0.5), "bad_completion"),
             (Event("b", "nope", "like", 1.0), "unknown_video"),
             (Event("", "v0", "like", 1.0), "missing_field")]
    for event, code in cases:
        with pytest.raises(EventError) as err:
            rec.record_events([event])
        assert err.value.code == code
    with pytest.raises(EventError) as err:
        Event.from_dict({"user_id": "x", "type": "like"}, index=3)
    assert (err.value.code, err.value.index) == ("missing_field", 3)


def test_refresh_forgets_everything(rec):
    rec.record_events([Event("r", "v1", "share", 5.0)])
    assert not rec.profile("r")["cold_start"]
    rec.refresh("r")
    profile = rec.profile("r")
    assert profile["cold_start"] and sum(profile["event_counts"].values()) == 0
    assert all(it["explanation"]["reason"] in ("cold_start_user", "exploration") for it in rec.recommend("r", 3))
