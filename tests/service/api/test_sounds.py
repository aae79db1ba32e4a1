"""Sounds over HTTP: uploads say their sound and the original they copy, same-sound lists, trending sounds."""
from __future__ import annotations

import pytest

from tests.helpers.api import AUTH, UNKNOWN_VIDEO, upload


def upload_file(client, path, title: str) -> dict:
    r = upload(client, "", data=path.read_bytes(), fields={"title": title, "creator": "dj"})
    assert r.status_code in (200, 201), r.text
    return r.json()


@pytest.fixture(scope="module")
def uploaded(client, sound_clips) -> dict[str, dict]:
    """Two videos over one song, a clip and its downscaled, trimmed, re-encoded copy, through the workers."""
    return {name: upload_file(client, sound_clips[name], name)
            for name in ("song_later", "song_excerpt", "clip", "clip_copy")}


def test_an_upload_of_a_known_sound_answers_its_sound_id_and_offset(uploaded):
    later, excerpt = uploaded["song_later"], uploaded["song_excerpt"]
    assert excerpt["sound"]["sound_id"] == later["sound"]["sound_id"]
    assert excerpt["sound"]["offset_s"] == pytest.approx(9.5, abs=0.1)


def test_an_upload_of_a_copy_answers_the_original_it_duplicates(uploaded):
    assert uploaded["clip_copy"]["duplicate_of"] == uploaded["clip"]["id"]


def test_the_stored_video_keeps_its_sound_and_duplicate_of(client, uploaded):
    video = client.get(f"/videos/{uploaded['clip_copy']['id']}").json()
    assert video["duplicate_of"] == uploaded["clip"]["id"]
    assert video["sound"] == uploaded["clip_copy"]["sound"]


def test_same_sound_lists_the_other_video_with_the_matched_offset(client, uploaded):
    r = client.get(f"/videos/{uploaded['song_later']['id']}/same-sound").json()
    assert r["sound_id"] == uploaded["song_later"]["sound"]["sound_id"]
    assert [i["video_id"] for i in r["items"]] == [uploaded["song_excerpt"]["id"]]
    assert r["items"][0]["offset_s"] == pytest.approx(9.5, abs=0.1)  # the excerpt starts 9.5 s into this video


def test_same_sound_of_a_video_without_sound_is_empty(client, indexed):
    r = client.get(f"/videos/{indexed['cat_zoomies']}/same-sound").json()
    assert (r["sound_id"], r["items"]) == (None, [])


def test_same_sound_of_an_unknown_video_is_404(client):
    assert client.get(f"/videos/{UNKNOWN_VIDEO}/same-sound").json()["error"]["code"] == "video_not_found"


def test_trending_ranks_the_sound_with_more_uses_and_engagement_first(client, uploaded):
    events = [{"user_id": f"fan{i}", "video_id": uploaded["song_excerpt"]["id"], "type": "like"} for i in range(3)]
    assert client.post("/events", json={"events": events}, headers=AUTH).status_code == 200
    r = client.get("/sounds/trending", params={"window_hours": 1}).json()
    ours = {video["sound"]["sound_id"] for video in uploaded.values()}  # other modules' uploads share the store
    top = next(item for item in r["items"] if item["sound_id"] in ours)
    assert top["sound_id"] == uploaded["song_later"]["sound"]["sound_id"]
    assert (top["uses_in_window"], top["events"], top["videos"]) == (2, {"like": 3}, 2)


@pytest.mark.parametrize("hours", [0, -1, "soon"])
def test_trending_refuses_a_window_that_is_not_a_positive_number_of_hours(client, hours):
    r = client.get("/sounds/trending", params={"window_hours": hours})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_request")
