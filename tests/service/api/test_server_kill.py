"""A `reelsense serve` process killed with SIGKILL while a worker analyses an upload takes its workers with it:
nothing of it is left decoding for nobody, and nothing is left for a restarted server to find."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import numpy as np
import pytest

from tests.helpers import REPO
from tests.helpers.api import AUTH, KEY
from tests.helpers.clips import solid, write_clip_with_audio
from tests.helpers.processes import alive, cpu_ticks, descendants, eventually, settings_env

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads processes from /proc")
LONG_S = 240  # long enough that the analysis is still running when the server is killed
EXIT_WITHIN_S = 2.0  # the bound for the workers to follow their server


def long_clip(path) -> None:
    """A few frames over four minutes of a noisy tone (librosa's analysis of it takes seconds)."""
    sr = 22050
    t = np.arange(LONG_S * sr) / sr
    audio = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * np.random.default_rng(0).normal(size=t.size)
    write_clip_with_audio(path, [(float(s), solid((s % 255, 90, 140))) for s in range(0, LONG_S, 8)],
                          audio.astype(np.float32), sr)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_server_killed_mid_upload_leaves_no_worker_alive(settings_factory, tmp_path):
    settings = settings_factory()
    long_clip(tmp_path / "long.mp4")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "1",
                               "--db", str(settings.database)], env=settings_env(settings, api_keys=KEY), cwd=REPO)
    children: list[int] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            assert eventually(lambda: _ready(http, server), timeout=300, every=0.5), "the server never got ready"
            children = descendants(server.pid)
            idle = {pid: cpu_ticks(pid) for pid in children}
            r = http.post("/videos", params={"mode": "async"}, headers=AUTH,
                          files={"file": ("long.mp4", (tmp_path / "long.mp4").read_bytes())})
            assert r.status_code == 202, r.text
            # a worker is analysing: it has used half a second of CPU since it sat idle
            assert eventually(lambda: any(cpu_ticks(p) - idle[p] > os.sysconf("SC_CLK_TCK") // 2 for p in children),
                              timeout=120)
            assert http.get(r.json()["location"]).json()["status"] == "running"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        assert eventually(lambda: not any(alive(p) for p in children), timeout=EXIT_WITHIN_S), \
            f"still alive {EXIT_WITHIN_S} s after the server was killed: {[p for p in children if alive(p)]}"
    finally:
        for pid in [server.pid, *children]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        server.wait(timeout=30)


def _ready(http: httpx.Client, server: subprocess.Popen) -> bool:
    assert server.poll() is None, "the server exited during start-up"
    try:
        return http.get("/readyz").status_code == 200
    except httpx.TransportError:
        return False
