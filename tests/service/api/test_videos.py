"""Videos: upload (sync and as a job), read, similar, delete, and uploads that must fail cleanly."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.helpers.api import AUTH, UNKNOWN_VIDEO, clip_bytes, form_fields, upload, wait_for_job


def test_upload_answers_the_video_with_its_tags(client, indexed):
    video = client.get(f"/videos/{indexed['pasta_recipe']}").json()
    assert video["id"] == indexed["pasta_recipe"]
    assert video["title"] == form_fields("pasta_recipe")["title"]
    assert any(t["label"] == "#pasta" and t["source"] == "hashtag" for t in video["tags"])
    assert set(video["weights"]) == {"text", "visual", "audio"}
    assert video["space_id"]
    assert video["stats"]["audio"]
    assert "path" not in video  # a server-side detail


def test_same_content_returns_the_stored_video(client, indexed):
    again = upload(client, "pasta_recipe", fields={"title": "different title, same bytes"})
    assert again.status_code == 200
    assert again.json()["id"] == indexed["pasta_recipe"]
    assert again.json()["created"] is False
    assert again.json()["title"] == form_fields("pasta_recipe")["title"]


def test_top_limits_the_tags(client, indexed):
    assert len(client.get(f"/videos/{indexed['gym_workout']}", params={"top": 2}).json()["tags"]) == 2


def test_similar_videos_exclude_the_video_and_are_ranked(client, indexed):
    r = client.get(f"/videos/{indexed['gym_workout']}/similar", params={"k": 3}).json()
    assert r["video_id"] == indexed["gym_workout"]
    items = r["items"]
    assert len(items) == 3
    assert indexed["gym_workout"] not in {i["video_id"] for i in items}
    assert [i["rank"] for i in items] == [1, 2, 3]
    assert items[0]["score"] >= items[-1]["score"]


def test_similar_of_a_video_stored_but_not_yet_indexed_is_409(client, app, indexed):
    """Stored by another writer after the catalogue was built (no invalidation reached this app yet)."""
    client.get(f"/videos/{indexed['gym_workout']}/similar")  # the catalogue is built now
    record = app.state.store.get(indexed["cat_zoomies"])
    record.id = "e" * 64
    assert app.state.store.add(record)
    try:
        r = client.get(f"/videos/{record.id}/similar")
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "not_indexed"
    finally:
        client.delete(f"/videos/{record.id}", headers=AUTH)


def test_delete_removes_the_video_everywhere(client, indexed):
    r = upload(client, "forest_timelapse")
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    fresh = {"k": 10, "created_after": client.app.state.store.get(vid).created_at - 1}
    feed = client.get("/users/newcomer/recommendations", params=fresh, headers=AUTH).json()["items"]
    assert vid in {i["video_id"] for i in feed}  # in the live index at once: no rebuild
    assert client.delete(f"/videos/{vid}").status_code == 401
    assert client.delete(f"/videos/{vid}", headers=AUTH).json() == {"id": vid, "deleted": True}
    assert client.get("/users/newcomer/recommendations", params=fresh, headers=AUTH).json()["items"] == []
    assert client.get(f"/videos/{vid}").json()["error"]["code"] == "video_not_found"
    assert vid not in {i["video_id"] for i in client.get("/search", params={"q": "forest timelapse"}).json()["items"]}
    assert client.delete(f"/videos/{vid}", headers=AUTH).status_code == 404


@pytest.mark.parametrize("url", ["/videos/{}", "/videos/{}/similar"])
@pytest.mark.parametrize("bad_id", ["abc", "F" * 64, "0" * 63, "0" * 65])
def test_malformed_video_ids_are_invalid_requests(client, url, bad_id):
    r = client.get(url.format(bad_id))
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


def test_delete_with_a_malformed_id_is_invalid(client):
    assert client.delete("/videos/abc", headers=AUTH).status_code == 422


def test_unknown_video_is_404(client):
    assert client.get(f"/videos/{UNKNOWN_VIDEO}").json()["error"]["code"] == "video_not_found"


def test_async_upload_becomes_a_job(http):
    r = upload(http, "sunset_beach", params={"mode": "async"})  # jobs run on the server's event loop
    assert r.status_code == 202
    assert r.headers["location"] == f"/jobs/{r.json()['job_id']}"
    assert r.json()["location"] == r.headers["location"]
    job = wait_for_job(http, r.headers["location"])
    assert job["status"] == "done"
    assert job["http_status"] == 201
    assert job["result"]["id"] == job["video_id"]
    assert job["result"]["tags"]


def test_failed_job_records_the_error_and_its_status(http):
    good = clip_bytes("pasta_recipe")
    r = upload(http, "pasta_recipe", data=good[: len(good) // 2], fields={}, params={"mode": "async"})
    job = wait_for_job(http, r.headers["location"])
    assert job["status"] == "failed"
    assert job["http_status"] == 422
    assert job["error"]["code"] == "corrupt"
    assert job["result"] is None


def test_unknown_job_is_404(client):
    assert client.get("/jobs/nope").json()["error"]["code"] == "job_not_found"


def test_invalid_mode_is_invalid_request(client):
    r = upload(client, "pasta_recipe", params={"mode": "later"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    "case, status, code",
    [
        ("zero_bytes", 422, "empty_file"),
        ("random_bytes", 415, "unsupported_format"),
        ("text_as_mp4", 415, "unsupported_format"),
        ("hls_playlist", 415, "unsupported_format"),
        ("truncated", 422, "corrupt"),
        ("oversized", 413, "too_large"),
    ],
)
def test_bad_uploads_fail_cleanly(client, app, case, status, code):
    good = clip_bytes("pasta_recipe")
    data = {
        "zero_bytes": b"",
        "random_bytes": os.urandom(4096),
        "text_as_mp4": b"this is a text file pretending to be a video\n" * 50,
        "hls_playlist": b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
        "truncated": good[: len(good) // 2],
        "oversized": good * 5,  # > MAX_UPLOAD_MB
    }[case]
    r = upload(client, "pasta_recipe", data=data, fields={})
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]
    assert ".part" not in r.json()["error"]["message"]  # no internal file names in what the client reads
    assert client.get("/healthz").status_code == 200
    assert not list((app.state.settings.uploads / ".incoming").iterdir())  # nothing left behind


def test_upload_request_errors(client):
    assert client.post("/videos", files={"file": ("a.mp4", b"x")}).json()["error"]["code"] == "unauthorized"
    wrong = client.post("/videos", files={"file": ("a.mp4", b"x")}, headers={"X-API-Key": "nope"})
    assert wrong.status_code == 401
    r = client.post("/videos", json={"file": "x"}, headers=AUTH)
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "not_multipart"
    r = client.post("/videos", data={"title": "no file"}, files={"other": ("x", b"y")}, headers=AUTH)
    assert r.json()["error"]["code"] == "missing_file"


def test_concurrent_uploads_of_same_file_give_one_record(server, app):
    _, base = server
    body = clip_bytes("rainy_study")

    def post(_):
        with httpx.Client(base_url=base, timeout=120) as http:
            return http.post("/videos", files={"file": ("x.mp4", body)}, data=form_fields("rainy_study"), headers=AUTH)

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(post, range(6)))
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert sorted(r.status_code for r in responses).count(201) == 1
    assert len({r.json()["id"] for r in responses}) == 1
    assert app.state.store.has(responses[0].json()["id"])


def test_streamed_upload_over_limit_is_refused(http):
    def chunks():  # chunked transfer: no Content-Length to trust
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/x\"\r\n\r\n"
        for _ in range(40):
            yield b"\x00" * 16384
        yield b"\r\n--b--\r\n"

    try:
        r = http.post("/videos", content=chunks(), headers={**AUTH, "content-type": "multipart/form-data; boundary=b"})
        assert r.status_code == 413
        assert r.json()["error"]["code"] == "too_large"
    except httpx.TransportError:
        pass  # the server may close the connection before the client finishes sending
    assert http.get("/healthz").status_code == 200
