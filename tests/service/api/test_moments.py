"""Moments of one video, the hook, pacing and safety stats of an upload, and users' content settings."""
from __future__ import annotations

from tests.helpers.api import AUTH, UNKNOWN_VIDEO


def test_moments_of_a_video_are_ranked_against_the_query(client, indexed):
    body = client.get(f"/videos/{indexed['pasta_recipe']}/moments", params={"q": "pasta"}).json()
    assert body["video_id"] == indexed["pasta_recipe"] and body["query"] == "pasta"
    assert body["items"][0]["text"] == "PASTA"


def test_music_query_finds_the_music_moment(client, indexed):
    items = client.get(f"/videos/{indexed['dance_party']}/moments", params={"q": "music"}).json()["items"]
    assert items[0]["kind"] == "music"


def test_moments_of_an_unknown_video_are_404(client):
    r = client.get(f"/videos/{UNKNOWN_VIDEO}/moments", params={"q": "pasta"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "video_not_found"


def test_blank_moment_query_is_422_empty_query(client, indexed):
    r = client.get(f"/videos/{indexed['pasta_recipe']}/moments", params={"q": "  "})
    assert r.status_code == 422 and r.json()["error"]["code"] == "empty_query"


def test_uploaded_video_reports_hook_pacing_and_safety(client, indexed):
    visual = client.get(f"/videos/{indexed['dance_party']}").json()["stats"]["visual"]
    assert visual["hook"]["cuts"] == 3  # cuts every 0.75 s: at 0.75, 1.5 and 2.25 s
    assert visual["pacing"]["beat_alignment"]["cuts"] >= 6
    assert visual["safety"]["status"] in ("checked", "unavailable")


def test_safety_flag_is_never_safe_when_unchecked(client, indexed):
    safety = client.get(f"/videos/{indexed['cat_zoomies']}").json()["stats"]["visual"]["safety"]
    assert safety["sensitive"] is (None if safety["status"] == "unavailable" else False)


def test_content_settings_default_to_hiding_sensitive_videos(client):
    assert client.get("/users/fresh-user/content-settings", headers=AUTH).json() == {"user_id": "fresh-user",
                                                                      "show_sensitive": False}


def test_a_user_opts_in_to_sensitive_videos(client):
    r = client.put("/users/opt-in-user/content-settings", json={"show_sensitive": True}, headers=AUTH)
    assert r.status_code == 200
    assert client.get("/users/opt-in-user/content-settings", headers=AUTH).json()["show_sensitive"] is True


def test_content_settings_need_the_api_key(client):
    r = client.put("/users/someone/content-settings", json={"show_sensitive": True})
    assert r.status_code == 401
