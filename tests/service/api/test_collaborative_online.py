"""The collaborative signal learns as events arrive: no `reelsense fit`, a real server over the sample clips."""
from __future__ import annotations

from tests.helpers.api import AUTH


def _likes(user: str, *videos: str) -> list[dict]:
    return [{"user_id": user, "video_id": v, "type": "like"} for v in videos]


def test_a_new_users_first_like_brings_what_users_like_them_liked_with_no_fit(client, indexed):
    a, b, c, d = (indexed[n] for n in ("pasta_recipe", "gym_workout", "dance_party", "cat_zoomies"))
    events = []
    for n in range(40):  # B and D are equally popular; only who liked them together differs
        events += _likes(f"co-ab-{n}", a, b) + _likes(f"co-cd-{n}", c, d)
    assert client.post("/events", json={"events": events}, headers=AUTH).json() == {"accepted": len(events)}
    client.post("/events", json={"events": _likes("co-new-a", a) + _likes("co-new-c", c)}, headers=AUTH)

    # The served feeds' collaborative signal (other tests in the package post events too, so popularity, and
    # with it the whole ranking, is not equal here: the signal each feed scored is what is compared).
    co_a, co_c = _collaborative(client, "co-new-a"), _collaborative(client, "co-new-c")
    assert co_a[b] > co_a.get(d, 0.0), co_a
    assert co_c[d] > co_c.get(b, 0.0), co_c


def _collaborative(client, user: str) -> dict[str, float]:
    r = client.get(f"/users/{user}/recommendations", params={"k": 10, "diversity": 0.0, "explain": "full"},
                   headers=AUTH)
    assert r.status_code == 200, r.text
    return {i["video_id"]: i["explanation"]["signals"].get("collaborative", 0.0) for i in r.json()["items"]}


def test_a_skip_lowers_what_the_pair_adds(client, indexed):
    a, b = indexed["pasta_recipe"], indexed["gym_workout"]
    user = "co-skip-probe"
    client.post("/events", json={"events": _likes(user, a)}, headers=AUTH)
    before = _signal(client, user, b)
    skips = []
    for n in range(40):  # users who liked A and skipped B
        skips += [*_likes(f"co-skip-{n}", a), {"user_id": f"co-skip-{n}", "video_id": b, "type": "skip"}]
    client.post("/events", json={"events": skips}, headers=AUTH)
    assert _signal(client, user, b) < before


def _signal(client, user: str, video: str) -> float:
    """The unstandardised collaborative score of `video` for `user` in the served recommender (the explanation's
    is a z-score over the candidates)."""
    import time

    rec = client.app.state.recommender
    cat = rec.catalogue()
    profile = rec.user_profile(user)
    co = rec.collaborative(rec.db(), cat, profile, time.time())
    liked = profile.history_signal > 0
    return co.expand(profile.history_slots[liked], profile.history_signal[liked]).get(cat.row[video], 0.0)
