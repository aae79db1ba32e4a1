"""Frame thumbnails over HTTP: listed in the video's JSON with their time, shot and URL, served as JPEG, gone with
the video."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.helpers.api import AUTH, UNKNOWN_VIDEO
from tests.helpers.clips import solid, write_clip

RED, BLUE = (220, 30, 30), (30, 30, 220)
CUT_S = 1.5


@pytest.fixture(scope="module")
def cut_clip(client, tmp_path_factory) -> dict:
    """A generated 3 s clip, red then blue with one hard cut at 1.5 s, uploaded once; its video JSON."""
    path = tmp_path_factory.mktemp("clips") / "cut.mp4"
    write_clip(path, [(i / 25, solid(RED if i / 25 < CUT_S else BLUE)) for i in range(75)])
    r = client.post("/videos", files={"file": ("cut.mp4", path.read_bytes())}, data={"title": "red then blue"},
                    headers=AUTH)
    assert r.status_code in (200, 201), r.text
    return r.json()


def mean_colour(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB).reshape(-1, 3).mean(axis=0)


def test_the_video_lists_its_frames_in_time_order_with_urls(cut_clip):
    frames = cut_clip["frames"]
    assert [f["index"] for f in frames] == list(range(len(frames)))
    assert [f["time_s"] for f in frames] == sorted(f["time_s"] for f in frames)
    assert frames[0]["url"] == f"/videos/{cut_clip['id']}/frames/0.jpg"


def test_the_shot_boundaries_are_listed_and_each_frame_knows_its_shot(cut_clip):
    assert cut_clip["shot_starts"] == pytest.approx([0.0, CUT_S], abs=0.05)
    assert [f["shot"] for f in cut_clip["frames"]] == [int(f["time_s"] >= CUT_S) for f in cut_clip["frames"]]


def test_a_thumbnail_is_a_small_jpeg_of_that_frame(client, cut_clip):
    first, last = cut_clip["frames"][0], cut_clip["frames"][-1]
    r = client.get(first["url"])
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    assert np.abs(mean_colour(r.content) - RED).max() < 25
    assert np.abs(mean_colour(client.get(last["url"]).content) - BLUE).max() < 25
    assert (first["width"], first["height"]) == (128, 96)  # the clip is smaller than the thumbnail limit


def test_a_stored_video_read_later_lists_the_same_frames(client, cut_clip):
    again = client.get(f"/videos/{cut_clip['id']}").json()
    assert again["frames"] == cut_clip["frames"]


@pytest.mark.parametrize(("video", "index", "status", "code"), [
    ("cut", 999, 404, "frame_not_found"),
    ("unknown", 0, 404, "video_not_found"),
    ("cut", -1, 422, "invalid_request"),
    ("malformed", 0, 422, "invalid_request"),
])
def test_missing_or_malformed_frames_are_refused_with_a_code(client, cut_clip, video, index, status, code):
    video_id = {"cut": cut_clip["id"], "unknown": UNKNOWN_VIDEO, "malformed": "abc"}[video]
    r = client.get(f"/videos/{video_id}/frames/{index}.jpg")
    assert r.status_code == status
    assert r.json()["error"]["code"] == code


def test_deleting_the_video_deletes_its_thumbnails(client, cut_clip):
    url = cut_clip["frames"][0]["url"]
    assert client.delete(f"/videos/{cut_clip['id']}", headers=AUTH).status_code == 200
    assert client.get(url).json()["error"]["code"] == "video_not_found"
