"""The real app for the API tests: one uvicorn server on a loopback port (two worker processes with the tiny
CLIP) serves the whole package, so models load once; a TestClient drives the same app in process."""
from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from service.api import create_app
from tests.helpers.api import ANALYSIS_QUEUE, KEY, MAX_UPLOAD_MB, SAMPLE_CLIPS, TOKEN_SECRET, upload, wait_ready


@pytest.fixture(scope="package")
def server(settings_factory):
    """A real uvicorn server on 127.0.0.1 (its lifespan starts the pool); yields (app, base_url)."""
    import uvicorn

    settings = settings_factory(workers=2, api_keys=f"other-key,{KEY}", max_upload_mb=MAX_UPLOAD_MB,
                                job_timeout_s=60, worker_max_jobs=50, rate_limit_per_s=0,
                                user_token_secret=TOKEN_SECRET, analysis_queue=ANALYSIS_QUEUE)
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    wait_ready(app, 2)
    yield app, f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=30)
    sock.close()


@pytest.fixture(scope="package")
def app(server):
    return server[0]


@pytest.fixture(scope="package")
def client(app):
    """In-process client of the served app (same pool, store and recommender)."""
    return TestClient(app)


@pytest.fixture(scope="package")
def http(server):
    """A real HTTP client of the server, for what must cross a socket (streams, concurrency, background jobs)."""
    with httpx.Client(base_url=server[1], timeout=120) as client:
        yield client


@pytest.fixture(scope="package")
def indexed(client) -> dict[str, str]:
    """The sample clips of SAMPLE_CLIPS uploaded once; name -> video id."""
    ids = {}
    for name in SAMPLE_CLIPS:
        r = upload(client, name)
        assert r.status_code in (200, 201), r.text
        ids[name] = r.json()["id"]
    return ids


@pytest.fixture(scope="package")
def idle_client(settings_factory):
    """An app whose worker pool is never started (not ready), with its lifespan run: recommender loaded."""
    app = create_app(settings_factory(api_keys=KEY), start_workers=False)
    with TestClient(app) as client:
        yield client
