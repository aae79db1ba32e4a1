"""Text-to-video search over the uploaded sample clips."""
from __future__ import annotations


def test_search_ranks_the_matching_clip_first(client, indexed):
    hits = client.get("/search", params={"q": "Friday night dance challenge", "k": 2}).json()["items"]
    assert hits[0]["video_id"] == indexed["dance_party"]


def test_search_items_are_ranked_with_explanations(client, indexed):
    hits = client.get("/search", params={"q": "cat running around", "k": 3, "explain": "full"}).json()["items"]
    assert [h["rank"] for h in hits] == [1, 2, 3]
    assert all(set(h) == {"video_id", "score", "rank", "explanation", "moment"} for h in hits)
    assert set(hits[0]["explanation"]["contributions"]) == {"text", "visual", "audio"}


def test_search_echoes_the_query(client, indexed):
    assert client.get("/search", params={"q": "pasta"}).json()["query"] == "pasta"


def test_missing_query_is_invalid_request(client):
    r = client.get("/search", params={"q": ""})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


def test_blank_query_is_422_empty_query(client, indexed):
    """The recommender's QueryError goes through the one error handler, with the status its code maps to."""
    r = client.get("/search", params={"q": "   "})
    assert r.status_code == 422
    assert r.json()["error"] == {"code": "empty_query", "message": "the search query is empty"}


def test_search_hit_carries_its_best_moment(client, indexed):
    hit = client.get("/search", params={"q": "pasta", "k": 1}).json()["items"][0]
    assert hit["video_id"] == indexed["pasta_recipe"]
    assert (hit["moment"]["kind"], hit["moment"]["text"]) == ("text", "PASTA")


def test_search_moment_has_a_time_range_and_a_thumbnail(client, indexed):
    moment = client.get("/search", params={"q": "pasta", "k": 1}).json()["items"][0]["moment"]
    assert 0 <= moment["start_s"] < moment["end_s"] <= 6.1
    assert moment["thumbnail_url"] == f"/videos/{indexed['pasta_recipe']}/frames/{moment['frame_index']}.jpg"
