"""The maintained serving state equals a rebuild from the events: per-video counters, user states, profiles.

Random event streams (hypothesis) are stored batch by batch through the Recommender, which updates the counters
and the users' states in the events' transactions; then everything is recomputed from the events and compared.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.base import Tag
from service.config import Settings
from service.recommend import EVENT_TYPES, Event, Recommender
from service.recommend.state import UserState
from service.recommend.updates import rebuild
from service.storage import Store
from tests.helpers.postgres import fresh_store
from tests.helpers.records import synthetic_record

VIDEOS, USERS, DAY = 6, 3, 86400.0

event = st.tuples(st.integers(0, USERS - 1), st.integers(0, VIDEOS - 1), st.sampled_from(EVENT_TYPES),
                  st.floats(0, 60 * DAY), st.one_of(st.none(), st.floats(0, 1)))
stream = st.lists(st.lists(event, min_size=1, max_size=8), min_size=1, max_size=6)


def _catalogue(store: Store) -> None:
    rng = np.random.default_rng(0)
    for j in range(VIDEOS):
        vectors = {m: rng.normal(size=4) for m in ("text", "visual", "audio")}
        if j == 0:
            vectors["audio"] = np.zeros(4)  # an absent modality
        tags = [Tag(f"#t{j % 3}", 1.0, "hashtag"), Tag("food" if j % 2 else "pets", 0.7, "category")]
        store.add(synthetic_record(f"v{j}", vectors, tags=tags, created_at=1000.0 + j))


def _events(batch) -> list[Event]:
    return [Event(f"u{u}", f"v{v}", kind, ts, None, completion) for u, v, kind, ts, completion in batch]


def _as_of(counts: dict[str, float], t: float = 100 * DAY) -> dict[str, float]:
    """Counters with the decayed sums brought to one time (stored as of different times, they are equal there)."""
    factor = 0.5 ** ((t - counts["decay_ts"]) / (2.0 * DAY))
    return {k: v * factor if k.endswith("_decayed") else v for k, v in counts.items() if k != "decay_ts"}


def _tags(tags: dict[str, float]) -> dict[str, float]:
    return {k: pytest.approx(v, abs=1e-9) for k, v in tags.items() if abs(v) > 1e-9}


def _assert_same_state(a: UserState, b: UserState) -> None:
    assert a.ref_ts == b.ref_ts
    np.testing.assert_allclose(a.pos, b.pos, atol=1e-9)
    np.testing.assert_allclose(a.neg, b.neg, atol=1e-9)
    np.testing.assert_allclose(a.pos_mass, b.pos_mass, atol=1e-9)
    np.testing.assert_allclose(a.pos_sq, b.pos_sq, atol=1e-9)
    assert {k: v for k, v in a.pos_tags.items() if abs(v) > 1e-9} == _tags(b.pos_tags)
    assert {k: v for k, v in a.neg_tags.items() if abs(v) > 1e-9} == _tags(b.neg_tags)
    assert (a.engaged, a.counts) == (b.engaged, b.counts)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(batches=stream, erase=st.one_of(st.none(), st.integers(0, USERS - 1)))
def test_counters_and_user_states_equal_a_rebuild_from_events(batches, erase, store_kind, request):
    """On each backend (a new PostgreSQL database per example)."""
    server = request.getfixturevalue("postgres_server") if store_kind == "postgres" else None
    with tempfile.TemporaryDirectory() as tmp:
        config = Settings(data_dir=Path(tmp), profile_half_life_days=3.0)
        with fresh_store(store_kind, Path(tmp), server, counters_half_life_days=2.0) as store:
            _catalogue(store)
            rec = Recommender(store, config)
            for i, batch in enumerate(batches):
                rec.record_events(_events(batch))
                if erase is not None and i == len(batches) // 2:
                    rec.refresh(f"u{erase}")  # erasure mid-stream takes the user's events out of the counters
            incremental = store.counters()
            profiles = {f"u{u}": rec.profile(f"u{u}") for u in range(USERS)}
            states = {u: store.user_state(u) for u in profiles}
            signals = {u: store.video_signals(u) for u in profiles}

            store.rebuild_counters()
            rebuilt_counters = store.counters()
            for vid, counts in incremental.items():  # an erased user's videos keep a row of zeros
                expected = rebuilt_counters.get(vid, dict.fromkeys(counts, 0.0))
                assert _as_of(counts) == {k: pytest.approx(v, abs=1e-9) for k, v in _as_of(expected).items()}
            assert rebuilt_counters.keys() <= incremental.keys()
            for user, stored in states.items():
                with store.state_session() as session:
                    rebuilt = rebuild(session, user, config)
                if stored is None:
                    assert rebuilt is None
                    continue
                _assert_same_state(UserState.from_row(stored), rebuilt)
                for vid, row in store.video_signals(user).items():  # rebuilt rows are as of the user's ref
                    old = signals[user][vid]
                    factor = 0.5 ** ((rebuilt.ref_ts - old.ref_ts) / (3.0 * DAY))
                    assert old.signal * factor == pytest.approx(row.signal, abs=1e-9)
                    assert (old.floor is None) == (row.floor is None) and old.seen == row.seen
                assert rec.profile(user) == profiles[user]


def test_refresh_leaves_no_user_state_behind(tmp_path, open_store):
    store = open_store()
    _catalogue(store)
    rec = Recommender(store, Settings(data_dir=tmp_path))
    rec.record_events([Event("gone", "v1", "like", 10.0), Event("gone", "v2", "not_interested", 11.0)])
    rec.set_interests("gone", tags=["food"])
    assert store.user_state("gone") is not None
    rec.refresh("gone")
    assert store.user_state("gone") is None
    assert store.video_signals("gone") == {}
    assert store.events("gone") == [] and store.interests("gone") is None
    assert store.counters(["v1"])["v1"]["like"] == 0
    assert rec.profile("gone")["cold_start"] is True


def test_a_deleted_video_leaves_the_profiles_that_held_it(tmp_path, open_store):
    store = open_store()
    _catalogue(store)
    rec = Recommender(store, Settings(data_dir=tmp_path))
    rec.record_events([Event("u", "v1", "like", 10.0), Event("u", "v2", "like", 11.0)])
    assert rec.profile("u")["engaged_videos"] == 2
    store.delete("v2")
    rec.video_deleted("v2")
    assert rec.profile("u")["engaged_videos"] == 1  # rebuilt from the remaining events on this read
    assert "v2" not in [item["video_id"] for item in rec.recommend("u", k=6)]


def test_a_state_built_under_other_settings_is_rebuilt(tmp_path, open_store):
    store = open_store()
    _catalogue(store)
    rec = Recommender(store, Settings(data_dir=tmp_path))
    rec.record_events([Event("u", "v1", "share", 10.0)])
    assert rec.profile("u")["engaged_videos"] == 1
    rec.settings = Settings(data_dir=tmp_path, signal_share=-1.0)  # a share now counts against
    profile = rec.profile("u")
    assert profile["engaged_videos"] == 0 and profile["cold_start"] is True
