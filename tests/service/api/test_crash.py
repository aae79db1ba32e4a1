"""A server killed with SIGKILL in the middle of an upload (and of event writes) leaves nothing behind: after a
restart the store passes SQLite's integrity check, what was stored is still there, and no temporary upload file
is left in the incoming folder."""
from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from service.factory import Components
from tests.helpers import REPO, SAMPLE_MEDIA
from tests.helpers.api import AUTH, KEY

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(settings, port: int) -> subprocess.Popen:
    """`reelsense serve` in a process group of its own (so the kill takes its workers too); waits for /healthz."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "REELSENSE_DATA_DIR": str(settings.data_dir),
           "REELSENSE_CLIP_MODEL": settings.clip_model, "REELSENSE_CLIP_PRETRAINED": settings.clip_pretrained,
           "REELSENSE_MAX_FRAMES": str(settings.max_frames), "REELSENSE_CLIP_TEXT_SEARCH": "false",
           "REELSENSE_API_KEYS": KEY, "REELSENSE_WORKERS": "1", "REELSENSE_RATE_LIMIT_PER_S": "0"}
    process = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env,
                               cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stderr.read().decode()[-2000:])
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError("the server did not start")


def half_an_upload(port: int, incoming: Path) -> socket.socket:
    """Send the headers and the first part of a large multipart upload, and wait until the server has a
    temporary file for it; the socket stays open (the rest never comes)."""
    boundary = "crashtestboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.mp4\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    chunk = (SAMPLE_MEDIA / "pasta_recipe.mp4").read_bytes()[:60_000]
    request = (f"POST /videos HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {KEY}\r\n"
               f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 10000000\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(request + head + chunk)
    deadline = time.monotonic() + 30
    while not any(p.stat().st_size > 0 for p in incoming.glob("upload-*.part")):
        if time.monotonic() > deadline:
            raise TimeoutError("no temporary upload file appeared")
        time.sleep(0.05)
    return sock


def test_kill_9_mid_upload_then_restart_leaves_a_sound_store_and_no_temp_files(settings_factory, analyzer):
    settings = settings_factory()
    store = Components(settings).store()
    record = analyzer.analyze(SAMPLE_MEDIA / "gym_workout.mp4")
    store.add(record)
    store.close()
    incoming = settings.uploads / ".incoming"
    port = free_port()
    server = start_server(settings, port)
    stop = threading.Event()

    def write_events() -> None:  # writes in flight when the process dies
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            while not stop.is_set():
                try:
                    http.post("/events", json={"events": [{"user_id": "crash", "video_id": record.id,
                                                            "type": "view", "completion": 0.5}] * 20}, headers=AUTH)
                except httpx.HTTPError:
                    return

    writer = threading.Thread(target=write_events, daemon=True)
    try:
        writer.start()
        sock = half_an_upload(port, incoming)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        sock.close()
        stop.set()
        writer.join(timeout=10)
        assert list(incoming.glob("upload-*.part"))  # the killed server did leave its temporary file
        server = start_server(settings, port)
        assert list(incoming.glob("upload-*.part")) == []
        with sqlite3.connect(settings.database) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            assert http.get(f"/videos/{record.id}").status_code == 200
            profile = http.get("/users/crash/profile", headers=AUTH).json()
        assert profile["event_counts"]["view"] % 20 == 0  # whole batches or nothing
    finally:
        stop.set()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
