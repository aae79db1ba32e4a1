"""The live catalogue's upkeep: what a server started on an empty store builds after its first upload must be
what a server started on the filled store builds (same pools, same settings)."""
from __future__ import annotations

import time

import numpy as np

from service.config import Settings
from service.fusion import MODALITIES
from service.recommend import Event, Recommender
from service.storage import Store
from tests.helpers.records import synthetic_record

DAY = 86400.0


def _store_two_videos(store: Store, now: float) -> None:
    rng = np.random.default_rng(0)
    for vid in ("old_hit", "fresh"):
        store.add(synthetic_record(vid, {m: rng.normal(size=8) for m in MODALITIES}, created_at=now - 20 * DAY))


def _engage(rec: Recommender, now: float) -> None:
    """`old_hit`: ten likes ten days ago; `fresh`: two likes now. With a half-life of half a day the old likes
    have decayed to nothing and `fresh` is the more popular video; with the default week it is `old_hit`."""
    events = [Event(f"fan{i}", "old_hit", "like", now - 10 * DAY) for i in range(10)]
    events += [Event(f"new{i}", "fresh", "like", now) for i in range(2)]
    rec.record_events(events)


def test_cold_pools_keep_the_popularity_half_life_after_the_first_upload(tmp_path):
    """A pool of one video shows which video the pools rank first: the first upload into an empty store rebuilds
    the pools, and they must still decay popularity with REELSENSE_POPULARITY_HALF_LIFE_DAYS."""
    settings = Settings(data_dir=tmp_path, popularity_half_life_days=0.5, cold_pool_size=1, exploration_share=0)
    now = time.time()
    store = Store(tmp_path / "empty_first.db")
    rec = Recommender(store, settings)
    assert len(rec.catalogue()) == 0  # started on an empty store
    _store_two_videos(store, now)
    rec.live.videos_added(["old_hit", "fresh"])
    _engage(rec, now)
    assert [item["video_id"] for item in rec.recommend("newcomer", k=2)] == ["fresh"]

    other = Store(tmp_path / "filled_first.db")
    _store_two_videos(other, now)
    started_filled = Recommender(other, settings)
    _engage(started_filled, now)
    assert [item["video_id"] for item in started_filled.recommend("newcomer", k=2)] == ["fresh"]
    store.close()
    other.close()
