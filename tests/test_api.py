"""The HTTP API against the real app: TestClient in process, and a real uvicorn server on a loopback port.

One app (two worker processes with the tiny CLIP) serves the whole module, so models load once.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient

from service.api import create_app
from service.workers import WorkerError
from tests.helpers import SAMPLE_MEDIA

KEY = "test-key-123"
AUTH = {"X-API-Key": KEY}
MAX_UPLOAD_MB = 0.25


def meta(name: str) -> dict:
    data = json.loads((SAMPLE_MEDIA / f"{name}.json").read_text())
    return {"title": data["title"], "description": data["description"], "hashtags": " ".join(data["hashtags"])}


def wait_ready(app, workers: int = 1, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while app.state.pool.ready_workers < workers:
        assert time.monotonic() < deadline, f"workers not ready: {app.state.pool.last_error}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server(settings_factory):
    """A real uvicorn server on 127.0.0.1 (its lifespan starts the pool); yields (app, base_url)."""
    import uvicorn

    settings = settings_factory(workers=2, api_keys=f"other-key,{KEY}", max_upload_mb=MAX_UPLOAD_MB,
                                job_timeout_s=60, worker_max_jobs=50)
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    wait_ready(app, 2)
    yield app, f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=30)
    sock.close()


@pytest.fixture(scope="module")
def client(server):
    app, _ = server
    return TestClient(app)  # same app and pool, served in process


def upload(client, name: str, data: bytes | None = None, fields: dict | None = None, **kwargs):
    body = data if data is not None else (SAMPLE_MEDIA / f"{name}.mp4").read_bytes()
    return client.post("/videos", files={"file": ("whatever.bin", body, "application/octet-stream")},
                       data=fields if fields is not None else meta(name), headers=AUTH, **kwargs)


@pytest.fixture(scope="module")
def indexed(client):
    """Four sample clips uploaded once; name -> video id."""
    ids = {}
    for name in ("pasta_recipe", "gym_workout", "dance_party", "cat_zoomies"):
        r = upload(client, name)
        assert r.status_code in (200, 201), r.text
        ids[name] = r.json()["id"]
    return ids


# -- health ---------------------------------------------------------------------------------------
def test_health_ready_metrics_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["workers_ready"] >= 1
    client.get("/videos/" + "0" * 64)
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "text/plain" in metrics.headers["content-type"]
    assert 'reelsense_http_requests_total{method="GET",route="/videos/{video_id}",status="404"}' in metrics.text
    spec = client.get("/openapi.json").json()
    for path in ("/videos", "/videos/{video_id}", "/videos/{video_id}/similar", "/search", "/events", "/jobs/{job_id}",
                 "/users/{user_id}/interests", "/users/{user_id}/profile", "/users/{user_id}/history",
                 "/users/{user_id}/recommendations", "/healthz", "/readyz", "/metrics"):
        assert path in spec["paths"], path
    assert "multipart/form-data" in spec["paths"]["/videos"]["post"]["requestBody"]["content"]


# -- videos ---------------------------------------------------------------------------------------
def test_upload_tags_then_same_content_returns_existing(client, indexed):
    first = client.get(f"/videos/{indexed['pasta_recipe']}").json()
    assert len(first["id"]) == 64 and first["title"] == meta("pasta_recipe")["title"]
    assert any(t["label"] == "#pasta" and t["source"] == "hashtag" for t in first["tags"])
    assert set(first["weights"]) == {"text", "visual", "audio"} and first["space_id"]
    assert "path" not in first and first["stats"]["audio"]
    again = upload(client, "pasta_recipe", fields={"title": "different title, same bytes"})
    assert again.status_code == 200 and again.json()["id"] == first["id"] and again.json()["created"] is False


def test_similar_search_and_delete(client, indexed):
    similar = client.get(f"/videos/{indexed['gym_workout']}/similar", params={"k": 3}).json()["items"]
    assert len(similar) == 3 and indexed["gym_workout"] not in {i["video_id"] for i in similar}
    assert [i["rank"] for i in similar] == [1, 2, 3]
    assert similar[0]["score"] >= similar[-1]["score"]
    hits = client.get("/search", params={"q": "Friday night dance challenge", "k": 2}).json()["items"]
    assert hits[0]["video_id"] == indexed["dance_party"]
    assert client.get("/search", params={"q": ""}).json()["error"]["code"] == "invalid_request"
    r = upload(client, "forest_timelapse")
    assert r.status_code == 201, r.text
    vid = r.json()["id"]
    assert client.delete(f"/videos/{vid}").status_code == 401
    assert client.delete(f"/videos/{vid}", headers=AUTH).json() == {"id": vid, "deleted": True}
    assert client.get(f"/videos/{vid}").json()["error"]["code"] == "video_not_found"
    assert vid not in {i["video_id"] for i in client.get("/search", params={"q": "forest timelapse"}).json()["items"]}
    assert client.delete(f"/videos/{vid}", headers=AUTH).status_code == 404


def test_async_job_for_large_or_requested(server):
    _, base = server
    client = httpx.Client(base_url=base, timeout=60)  # jobs run on the server's event loop
    r = upload(client, "sunset_beach", params={"mode": "async"})
    assert r.status_code == 202 and r.headers["location"] == f"/jobs/{r.json()['job_id']}"
    for _ in range(600):
        job = client.get(r.headers["location"]).json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert job["status"] == "done" and job["http_status"] == 201
    assert job["result"]["id"] == job["video_id"] and job["result"]["tags"]
    assert client.get("/jobs/nope").json()["error"]["code"] == "job_not_found"


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
def test_bad_uploads_fail_cleanly(client, case, status, code):
    good = (SAMPLE_MEDIA / "pasta_recipe.mp4").read_bytes()
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
    assert r.json()["error"]["code"] == code and r.json()["error"]["message"]
    assert ".part" not in r.json()["error"]["message"]  # no internal file names in what the client reads
    assert client.get("/healthz").status_code == 200
    assert not list((client.app.state.settings.uploads / ".incoming").iterdir())  # nothing left behind


def test_upload_request_errors(client):
    assert client.post("/videos", files={"file": ("a.mp4", b"x")}).json()["error"]["code"] == "unauthorized"
    wrong = client.post("/videos", files={"file": ("a.mp4", b"x")}, headers={"X-API-Key": "nope"})
    assert wrong.status_code == 401
    r = client.post("/videos", json={"file": "x"}, headers=AUTH)
    assert r.status_code == 415 and r.json()["error"]["code"] == "not_multipart"
    r = client.post("/videos", data={"title": "no file"}, files={"other": ("x", b"y")}, headers=AUTH)
    assert r.json()["error"]["code"] == "missing_file"


# -- events and users -----------------------------------------------------------------------------
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
    assert r.status_code == 422 and r.json()["error"]["code"] == code and r.json()["error"]["index"] == 1
    assert sum(client.get(f"/users/{user}/profile").json()["event_counts"].values()) == 0


def test_event_request_errors(client, indexed):
    event = {"user_id": "u", "video_id": indexed["pasta_recipe"], "type": "like"}
    assert client.post("/events", json={"events": [event]}).status_code == 401
    assert client.post("/events", json={"events": []}, headers=AUTH).json()["error"]["code"] == "invalid_request"
    assert client.post("/events", content=b"{not json", headers={**AUTH, "content-type": "application/json"}).status_code == 422
    r = client.post("/events", json={"events": [event] * 20000}, headers=AUTH)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_recommendations_follow_events(client, indexed):
    user = "alice"
    assert client.delete(f"/users/{user}/history", headers=AUTH).json()["history_cleared"] is True
    cold = client.get(f"/users/{user}/recommendations", params={"k": 3}).json()["items"]
    assert len(cold) == 3
    events = [
        {"user_id": user, "video_id": indexed["gym_workout"], "type": "like"},
        {"user_id": user, "video_id": indexed["gym_workout"], "type": "view", "watch_seconds": 6, "completion": 1.0},
        {"user_id": user, "video_id": indexed["cat_zoomies"], "type": "not_interested"},
    ]
    assert client.post("/events", json={"events": events}, headers=AUTH).json() == {"accepted": 3}
    profile = client.get(f"/users/{user}/profile").json()
    assert profile["event_counts"]["like"] == 1 and profile["event_counts"]["not_interested"] == 1
    items = client.get(f"/users/{user}/recommendations", params={"k": 10, "diversity": 0.3}).json()["items"]
    ids = [i["video_id"] for i in items]
    assert indexed["cat_zoomies"] not in ids
    assert items and all({"video_id", "score", "rank", "explanation"} <= set(i) for i in items)
    assert [i["rank"] for i in items] == list(range(1, len(items) + 1))
    assert client.get(f"/users/{user}/recommendations", params={"diversity": 2}).status_code == 422
    interests = client.put("/users/bob/interests", json={"text": "pasta and home cooking", "tags": ["#food"]}, headers=AUTH)
    assert interests.status_code == 200
    profile = client.get("/users/bob/profile").json()
    assert profile["stated_interests"] and profile["interest_tags"][0]["label"] == "food"
    assert client.get("/users/bad%20id!/profile").status_code == 422


# -- real server: concurrency, crashes, timeouts ----------------------------------------------------
def test_concurrent_uploads_of_same_file_give_one_record(server):
    app, base = server
    body = (SAMPLE_MEDIA / "rainy_study.mp4").read_bytes()

    def post(_):
        with httpx.Client(base_url=base, timeout=120) as http:
            return http.post("/videos", files={"file": ("x.mp4", body)}, data=meta("rainy_study"), headers=AUTH)

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(post, range(6)))
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert sorted(r.status_code for r in responses).count(201) == 1
    assert len({r.json()["id"] for r in responses}) == 1
    count = app.state.stores.get().conn.execute("SELECT COUNT(*) FROM videos WHERE id=?", (responses[0].json()["id"],))
    assert count.fetchone()[0] == 1


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
        counts = [sum(http.get(f"/users/w{n}/profile").json()["event_counts"].values()) for n in range(16)]
    assert counts == [20] * 16


def test_streamed_upload_over_limit_is_refused(server):
    _, base = server

    def chunks():  # chunked transfer: no Content-Length to trust
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/x\"\r\n\r\n"
        for _ in range(40):
            yield b"\x00" * 16384
        yield b"\r\n--b--\r\n"

    with httpx.Client(base_url=base, timeout=60) as http:
        try:
            r = http.post("/videos", content=chunks(), headers={**AUTH, "content-type": "multipart/form-data; boundary=b"})
            assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        except httpx.TransportError:
            pass  # the server may close the connection before the client finishes sending
        assert http.get("/healthz").status_code == 200


def test_killed_worker_fails_only_its_request(server):
    app, base = server
    wait_ready(app, 2)
    body = (SAMPLE_MEDIA / "phone_review.mp4").read_bytes()
    with httpx.Client(base_url=base, timeout=120) as http:
        for _attempt in range(5):
            with ThreadPoolExecutor(1) as pool:
                future = pool.submit(http.post, "/videos", files={"file": ("x.mp4", body)}, headers=AUTH)
                killed = False
                while not future.done():
                    pids = app.state.pool.busy_pids()
                    if pids:
                        os.kill(pids[0], signal.SIGKILL)
                        killed = True
                        break
                    time.sleep(0.002)
                r = future.result()
            if killed:
                break
            http.delete(f"/videos/{r.json()['id']}", headers=AUTH)  # finished before we caught it: try again
        assert killed, "never caught the worker mid-job"
        assert r.status_code == 422 and r.json()["error"]["code"] == "decoder_crashed"
        assert http.get("/healthz").status_code == 200
        ok = http.post("/videos", files={"file": ("x.mp4", body)}, data=meta("phone_review"), headers=AUTH)
        assert ok.status_code == 201, ok.text


def test_hung_job_times_out_and_worker_is_replaced(server):
    app, base = server
    wait_ready(app, 2)
    restarts = app.state.pool.restarts
    with pytest.raises(WorkerError) as info:
        app.state.pool.run(SAMPLE_MEDIA / "gym_workout.mp4", {}, "0" * 64, timeout_s=0.001)
    assert info.value.code == "timeout" and info.value.http_status == 504
    assert app.state.pool.restarts == restarts + 1
    wait_ready(app, 2)
    record = app.state.pool.run(SAMPLE_MEDIA / "gym_workout.mp4", {"title": "gym"}, "1" * 64)
    assert record.id == "1" * 64 and record.title == "gym"
