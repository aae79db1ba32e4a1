"""Events, stated interests, profiles and recommendations."""
from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.helpers.api import AUTH


@pytest.mark.parametrize(
    "bad, code",
    [
        ({"type": "love"}, "unknown_event_type"),
        ({"watch_seconds": -1}, "bad_watch_time"),
        ({"completion": 1.5}, "bad_completion"),
        ({"video_id": "f" * 64}, "unknown_video"),
        ({"user_id": ""}, "missing_field"),
    ],
)
def test_malformed_events_store_nothing(client, indexed, bad, code):
    user = f"bad-{code}"
    good = {"user_id": user, "video_id": indexed["pasta_recipe"], "type": "view", "watch_seconds": 3, "completion": 0.5}
    r = client.post("/events", json={"events": [good, {**good, **bad}]}, headers=AUTH)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["index"] == 1
    assert sum(client.get(f"/users/{user}/profile", headers=AUTH).json()["event_counts"].values()) == 0


def test_event_request_errors(client, indexed):
    event = {"user_id": "u", "video_id": indexed["pasta_recipe"], "type": "like"}
    assert client.post("/events", json={"events": [event]}).status_code == 401
    assert client.post("/events", json={"events": []}, headers=AUTH).json()["error"]["code"] == "invalid_request"
    not_json = client.post("/events", content=b"{not json", headers={**AUTH, "content-type": "application/json"})
    assert not_json.status_code == 422
    r = client.post("/events", json={"events": [event] * 20000}, headers=AUTH)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"


def test_more_events_than_a_batch_may_hold_is_413(client, indexed, app):
    event = {"user_id": "u", "video_id": indexed["pasta_recipe"], "type": "like"}
    r = client.post("/events", json={"events": [event] * (app.state.settings.max_events_per_batch + 1)}, headers=AUTH)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_many_events"


def test_recommendations_follow_events(client, indexed):
    user = "alice"
    assert client.delete(f"/users/{user}/history", headers=AUTH).json() == {"user_id": user, "history_cleared": True}
    cold = client.get(f"/users/{user}/recommendations", params={"k": 3}, headers=AUTH).json()
    assert cold["user_id"] == user
    assert len(cold["items"]) == 3
    events = [
        {"user_id": user, "video_id": indexed["gym_workout"], "type": "like"},
        {"user_id": user, "video_id": indexed["gym_workout"], "type": "view", "watch_seconds": 6, "completion": 1.0},
        {"user_id": user, "video_id": indexed["cat_zoomies"], "type": "not_interested"},
    ]
    assert client.post("/events", json={"events": events}, headers=AUTH).json() == {"accepted": 3}
    profile = client.get(f"/users/{user}/profile", headers=AUTH).json()
    assert profile["event_counts"]["like"] == 1
    assert profile["event_counts"]["not_interested"] == 1
    feed = client.get(f"/users/{user}/recommendations", params={"k": 10, "diversity": 0.3}, headers=AUTH)
    items = feed.json()["items"]
    assert indexed["cat_zoomies"] not in [i["video_id"] for i in items]
    assert items
    assert all(set(i) == {"video_id", "score", "rank", "explanation"} for i in items)
    assert [i["rank"] for i in items] == list(range(1, len(items) + 1))


def test_diversity_outside_0_1_is_invalid(client):
    assert client.get("/users/alice/recommendations", params={"diversity": 2}, headers=AUTH).status_code == 422


def test_stated_interests_shape_the_profile(client, indexed):
    r = client.put("/users/bob/interests", json={"text": "pasta and home cooking", "tags": ["#food"]}, headers=AUTH)
    assert r.status_code == 200
    assert r.json()["user_id"] == "bob"
    profile = client.get("/users/bob/profile", headers=AUTH).json()
    assert profile["stated_interests"]
    assert profile["interest_tags"][0]["label"] == "food"


def test_interests_need_the_api_key(client):
    assert client.put("/users/bob/interests", json={"text": "cats"}).status_code == 401


def test_malformed_user_id_is_invalid(client):
    assert client.get("/users/bad%20id!/profile").status_code == 422


def test_sixteen_concurrent_event_writers_lose_nothing(server, indexed):
    _, base = server
    video = indexed["dance_party"]

    def writer(n: int) -> int:
        with httpx.Client(base_url=base, timeout=60) as http:
            for _ in range(5):
                batch = [{"user_id": f"w{n}", "video_id": video, "type": "view", "watch_seconds": 1.0}] * 4
                assert http.post("/events", json={"events": batch}, headers=AUTH).status_code == 200
        return n

    with ThreadPoolExecutor(16) as pool:
        assert len(list(pool.map(writer, range(16)))) == 16
    with httpx.Client(base_url=base) as http:
        profiles = [http.get(f"/users/w{n}/profile", headers=AUTH).json() for n in range(16)]
    counts = [sum(profile["event_counts"].values()) for profile in profiles]
    assert counts == [20] * 16


def test_created_after_ranks_only_newer_videos(client, app, indexed):
    store = app.state.store.current()
    cut = sorted(store.get(v).created_at for v in indexed.values())[len(indexed) // 2 - 1]
    newer = {v for v in store.ids() if store.get(v).created_at > cut}  # other tests' uploads count too
    for user in ("fresh-cold", "alice"):
        feed = client.get(f"/users/{user}/recommendations", params={"k": 20, "created_after": cut}, headers=AUTH)
        items = feed.json()["items"]
        assert items
        assert {i["video_id"] for i in items} <= newer
    r = client.get("/users/alice/recommendations", params={"created_after": -5}, headers=AUTH)
    assert r.json()["error"]["code"] == "invalid_request"


def test_a_feed_waiting_on_the_store_does_not_hold_up_other_feeds(server, app, indexed):
    """No lock around the recommender: a feed blocked on the database (its user's state must be rebuilt, and
    another process holds the write lock) leaves other users' feeds answering meanwhile."""
    _, base = server
    db = app.state.settings.database
    with sqlite3.connect(db) as other:  # events written by another process without the state update
        other.execute("INSERT INTO events(user_id, video_id, type, ts) VALUES ('stalled', ?, 'like', 5.0)",
                      (indexed["gym_workout"],))
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the store's write lock
    try:
        with ThreadPoolExecutor(1) as pool, httpx.Client(base_url=base, timeout=60) as http:
            slow = pool.submit(http.get, "/users/stalled/recommendations", headers=AUTH)
            time.sleep(0.5)
            assert not slow.done()
            assert http.get("/users/alice/recommendations", headers=AUTH).status_code == 200
            assert http.get(f"/videos/{indexed['gym_workout']}/similar").status_code == 200
            assert not slow.done()
            blocker.execute("ROLLBACK")
            assert slow.result().status_code == 200
    finally:
        blocker.close()
