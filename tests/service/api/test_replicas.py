"""Two real `reelsense serve` processes on one PostgreSQL database serve the same answers: an upload through one
is in the other's feed, `similar` and search; events through both all count; an erasure through one is seen by
both; one killed with SIGKILL leaves the other answering.

The waits are generous because this machine is shared (bench/serve_scale.py measures the actual delay)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from service.storage.postgres import PostgresStore
from tests.helpers import REPO
from tests.helpers.api import AUTH, KEY, upload
from tests.helpers.processes import alive, eventually, settings_env
from tests.service.api.test_server_kill import _ready, free_port

VISIBLE_WITHIN_S = 3.0  # the bound is 1 s; the replicas poll every 0.1 s, the slack is this box's load


@pytest.fixture(scope="module")
def replicas(settings_factory, postgres_server, tmp_path_factory):
    """(database URL, [HTTP client of replica A, of replica B], [their processes]): two servers, each with its
    own data folder (as on two machines), on one fresh database."""
    url = postgres_server.create_database()
    servers, clients = [], []
    try:
        for _ in range(2):
            settings = settings_factory(api_keys=KEY)
            port = free_port()
            env = settings_env(settings, api_keys=KEY, database_url=url, change_poll_s="0.1")
            servers.append(subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port),
                                             "--workers", "1"], env=env, cwd=REPO))
            clients.append(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120))
        for http, server in zip(clients, servers, strict=True):
            assert eventually(lambda h=http, s=server: _ready(h, s), timeout=300, every=0.5), "a replica never started"
        yield url, clients, servers
    finally:
        for http in clients:
            http.close()
        for server in servers:
            if alive(server.pid):
                server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.kill(server.pid, signal.SIGKILL)
                server.wait(timeout=30)
        postgres_server.drop_database(url)


@pytest.fixture(scope="module")
def uploaded(replicas) -> dict[str, str]:
    """Two sample clips uploaded through replica A; name -> id."""
    _, (a, _), _ = replicas
    ids = {}
    for name in ("pasta_recipe", "gym_workout"):
        r = upload(a, name)
        assert r.status_code in (200, 201), r.text
        ids[name] = r.json()["id"]
    return ids


def feed(http, user: str = "anyone") -> set[str]:
    r = http.get(f"/users/{user}/recommendations", params={"k": 50}, headers=AUTH)
    assert r.status_code == 200, r.text
    return {item["video_id"] for item in r.json()["items"]}


def test_an_upload_through_one_replica_is_in_the_others_feed_similar_and_search(replicas):
    _, (a, b), _ = replicas
    r = upload(a, "cat_zoomies")
    assert r.status_code in (200, 201), r.text
    vid = r.json()["id"]
    started = time.monotonic()
    visible = eventually(lambda: vid in feed(b), timeout=VISIBLE_WITHIN_S, every=0.02)
    if not visible:
        with PostgresStore(replicas[0]) as store:
            print("A", feed(a), "B", feed(b), "log", store.changes_after(0), store.ids())
    assert visible
    print(f"visible on the other replica after {time.monotonic() - started:.3f} s")
    assert b.get(f"/videos/{vid}").status_code == 200
    assert b.get(f"/videos/{vid}/similar").status_code == 200
    items = b.get("/search", params={"q": "cat zoomies", "k": 10}).json()["items"]
    assert vid in [item["video_id"] for item in items]


def test_the_replicas_find_the_same_similar_videos(replicas, uploaded):
    _, (a, b), _ = replicas
    vid = uploaded["pasta_recipe"]
    assert eventually(lambda: vid in feed(b))

    def similar(http):
        return [item["video_id"] for item in http.get(f"/videos/{vid}/similar", params={"k": 5}).json()["items"]]

    assert eventually(lambda: similar(a) == similar(b))
    assert uploaded["gym_workout"] in similar(b)


def test_events_through_both_replicas_all_count(replicas, uploaded):
    url, clients, _ = replicas
    vid = uploaded["gym_workout"]
    errors: list[str] = []

    def send(http, user: str) -> None:
        for i in range(10):
            r = http.post("/events", json={"events": [{"user_id": user, "video_id": vid, "type": "like"},
                                                      {"user_id": f"{user}-{i}", "video_id": vid, "type": "view",
                                                       "watch_seconds": 2.0, "completion": 0.4}]}, headers=AUTH)
            if r.status_code != 200:
                errors.append(r.text)

    threads = [threading.Thread(target=send, args=(http, f"fan{n}")) for n, http in enumerate(clients * 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with PostgresStore(url) as store:
        counts = store.video_event_counts()[vid]
        assert (counts["like"], counts["view"]) == (40, 40)
        incremental = store.counters([vid])[vid]
        store.rebuild_counters()
        assert store.counters([vid])[vid] == {k: pytest.approx(v) for k, v in incremental.items()}


def test_an_erasure_through_one_replica_is_seen_by_both(replicas, uploaded):
    _, (a, b), _ = replicas
    vid = uploaded["pasta_recipe"]
    r = a.post("/events", json={"events": [{"user_id": "leaver", "video_id": vid, "type": "like"}]}, headers=AUTH)
    assert r.status_code == 200, r.text

    def engaged(http) -> int:
        return http.get("/users/leaver/profile", headers=AUTH).json()["engaged_videos"]

    assert eventually(lambda: engaged(b) == 1)
    assert a.delete("/users/leaver", headers=AUTH).json()["erased"] is True
    assert eventually(lambda: engaged(b) == 0 and engaged(a) == 0, timeout=VISIBLE_WITHIN_S)


def test_one_replica_killed_leaves_the_other_answering(replicas, uploaded):
    _, (_, b), servers = replicas
    before = feed(b, "survivor")
    servers[0].send_signal(signal.SIGKILL)
    servers[0].wait(timeout=30)
    assert feed(b, "survivor") == before
    assert b.post("/events", json={"events": [{"user_id": "survivor", "video_id": uploaded["gym_workout"],
                                               "type": "like"}]}, headers=AUTH).status_code == 200
