"""Shared values and calls of the HTTP API tests: the API key, sample-clip form fields, uploads, readiness."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.helpers import SAMPLE_MEDIA, sidecar

KEY = "test-key-123"
AUTH = {"X-API-Key": KEY}
ANALYSIS_QUEUE = 44  # uploads the test server lets wait: more than the 40 threads that answer requests
TOKEN_SECRET = "s" * 32  # REELSENSE_USER_TOKEN_SECRET of the test server: user tokens on
MAX_UPLOAD_MB = 0.25  # the sample clips fit; five of them glued together do not
SAMPLE_CLIPS = ("pasta_recipe", "gym_workout", "dance_party", "cat_zoomies")  # uploaded once per test package
UNKNOWN_VIDEO = "0" * 64  # well-formed, never stored


def form_fields(name: str) -> dict[str, str]:
    """The upload form fields (title, description, hashtags) of a sample clip, from its sidecar."""
    data = sidecar(name)
    return {"title": data["title"], "description": data["description"], "hashtags": " ".join(data["hashtags"])}


def clip_bytes(name: str) -> bytes:
    return (SAMPLE_MEDIA / f"{name}.mp4").read_bytes()


def upload(client, name: str, data: bytes | None = None, fields: dict | None = None, **kwargs):
    """POST /videos with a sample clip (or `data`) under a meaningless file name, with the API key."""
    body = data if data is not None else clip_bytes(name)
    return client.post("/videos", files={"file": ("whatever.bin", body, "application/octet-stream")},
                       data=fields if fields is not None else form_fields(name), headers=AUTH, **kwargs)


def wait_ready(app, workers: int = 1, timeout: float = 180.0) -> None:
    """Block until `workers` analysis workers of the app's pool have loaded their models."""
    deadline = time.monotonic() + timeout
    while app.state.pool.ready_workers < workers:
        if time.monotonic() > deadline:
            raise TimeoutError(f"workers not ready: {app.state.pool.last_error}")
        time.sleep(0.1)


def wait_for_job(client, location: str, timeout: float = 120.0) -> dict:
    """Poll a job until it is done or failed; its last state."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(location).json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


@contextmanager
def serving(app, start_timeout: float = 120.0) -> Iterator[str]:
    """Run `app` on a real uvicorn server on a free loopback port, in a thread; yields its base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
