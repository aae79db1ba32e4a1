"""The hybrid scorer's parts and `reelsense fit`, on a synthetic world in a real store (no mocks)."""
from __future__ import annotations

import time

import numpy as np
import pytest

from service.config import Settings
from service.evaluation.simulation import SimulationConfig, _Simulation, build_world
from service.recommend import Event, Recommender
from service.recommend.collaborative import CoEngagement, fit_co_engagement
from service.recommend.hybrid import DEFAULT_BLEND, Blend
from service.storage import Store


def test_co_engagement_links_videos_engaged_by_the_same_users():
    rows = fit_co_engagement([("u1", "a", 1.0), ("u1", "b", 1.0), ("u2", "a", 1.0), ("u2", "b", 1.0),
                              ("u3", "c", 1.0), ("u3", "d", 1.0)])
    neighbours = {(a, b) for a, b, _ in rows}
    assert ("a", "b") in neighbours
    assert ("a", "c") not in neighbours
    assert ("a", "a") not in neighbours


def test_co_engagement_expands_a_history_into_weighted_neighbours():
    co = CoEngagement.from_rows([(0, 1, 0.5), (0, 2, 0.25), (3, 1, 1.0)])
    expanded = co.expand(np.array([0, 3]), np.array([1.0, 0.5]))
    assert expanded == pytest.approx({1: 1.0, 2: 0.25})


def test_blend_weights_round_trip_through_their_stored_form():
    blend = Blend.from_flat({"warm/content": 2.0, "cold/prior": 0.5})
    assert Blend.from_flat(blend.flat()).weights == blend.weights
    assert blend.weights["warm"]["content"] == 2.0
    assert blend.weights["early"] == DEFAULT_BLEND["early"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A synthetic catalogue with a warm population's events (no text encoder: synthetic text vectors)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("hybrid"))
    store = Store(settings.data_dir / "world.db")
    cfg = SimulationConfig(videos=200, new_videos=20, warm_users=80, warm_events=30, seed=5)
    now = time.time()
    world = build_world(store, cfg, None, now)
    rec = Recommender(store, settings)
    sim = _Simulation(rec, world, cfg, now)
    sim.warm_up()
    yield rec, world, now
    store.close()


def test_fit_learns_co_engagement_and_blend_weights_with_a_held_out_report(world):
    rec, _, _ = world
    report = rec.fit(min_users=10)["blend"]
    assert report["status"] == "fitted"
    assert report["co_engagement_pairs"] > 0
    assert set(report["stages"]) == {"cold", "early", "warm", "stated"}
    assert report["stages"]["warm"]["test_requests"] > 0
    assert rec.blend().fitted
    assert len(rec.catalogue().co) > 0


def test_a_store_with_too_few_users_keeps_the_defaults(tmp_path):
    settings = Settings(data_dir=tmp_path)
    with Store(tmp_path / "small.db") as store:
        world = build_world(store, SimulationConfig(videos=30, new_videos=0, topics=3), None, time.time())
        rec = Recommender(store, settings)
        rec.record_events([Event("u1", world.video_ids[0], "like", 10.0),
                           Event("u2", world.video_ids[1], "like", 11.0)])
        report = rec.fit()
        assert report["blend"]["status"].startswith("defaults kept")
        assert not rec.blend().fitted
        assert report["modality_weights"]["status"].startswith("defaults kept")


def test_every_feed_item_explains_its_score_by_signals(world):
    rec, world_, now = world
    user = "explained"
    rec.record_events([Event(user, v, "like", now - 100 + i) for i, v in enumerate(world_.video_ids[:6])])
    feed = rec.recommend(user, k=5, now=now)
    for item in feed:
        exp = item["explanation"]
        assert exp["scoring_stage"] == "warm"
        if exp["reason"] != "exploration":
            assert item["score"] == pytest.approx(sum(exp["signals"].values()), abs=1e-3)


def test_a_rejection_suppresses_what_resembles_it_not_everything(world):
    rec, world_, now = world
    by_topic: dict[int, list[str]] = {}
    for v in world_.video_ids:
        by_topic.setdefault(world_.topic_of[v], []).append(v)
    liked, rejected, other = by_topic[0], by_topic[1], by_topic[2]
    user = "picky"
    rec.record_events([Event(user, v, "like", now - 50 + i) for i, v in enumerate(liked[:5])]
                      + [Event(user, rejected[0], "not_interested", now - 10)])
    cat = rec.catalogue()
    from service.recommend.hybrid import HybridScorer

    scorer = HybridScorer(cat, rec.user_profile(user, now), rec.blend(), now, 7.0)
    rows = np.array([cat.row[v] for v in rejected[1:4] + other[:3]])
    negative = scorer.signals(rows)["negative"]
    assert (negative[:3] < 0).all()
    assert (negative[3:] == 0).all()
