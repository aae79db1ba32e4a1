"""`reelsense embed` killed with SIGKILL takes its pool of media workers with it: nothing is left decoding for
nobody (the API's analysis workers have the same guarantee, tests/service/api/test_server_kill.py)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from tests.helpers import REPO
from tests.helpers.clips import solid, write_clip_with_audio
from tests.helpers.processes import alive, cpu_ticks, descendants, eventually, settings_env

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")]
LONG_S = 240
EXIT_WITHIN_S = 2.0


def long_clips(folder, n: int = 2) -> None:
    """Clips of a few frames over four minutes of a noisy tone: each keeps a worker busy for seconds."""
    sr = 22050
    t = np.arange(LONG_S * sr) / sr
    for i in range(n):
        audio = 0.3 * np.sin(2 * np.pi * (440 + 50 * i) * t) + 0.05 * np.random.default_rng(i).normal(size=t.size)
        write_clip_with_audio(folder / f"long{i}.mp4", [(float(s), solid((s % 255, 90, 40 * i))) for s in
                                                         range(0, LONG_S, 8)], audio.astype(np.float32), sr)


def test_a_killed_embed_leaves_no_media_worker_alive(settings_factory, tmp_path):
    settings = settings_factory()
    folder = tmp_path / "media"
    folder.mkdir()
    long_clips(folder)
    env = settings_env(settings, media_processes="2")
    embed = subprocess.Popen([sys.executable, "-m", "service.cli", "embed", str(folder), "--db",
                              str(settings.database), "--quiet"], env=env, cwd=REPO)
    workers: list[int] = []
    try:
        # a worker is analysing: a child of the embed process has used 4 s of CPU, more than its start-up
        busy = lambda: [p for p in descendants(embed.pid) if cpu_ticks(p) > 4 * os.sysconf("SC_CLK_TCK")]  # noqa: E731
        assert eventually(lambda: bool(busy()), timeout=240, every=0.2), "no media worker got busy"
        workers = descendants(embed.pid)
        embed.send_signal(signal.SIGKILL)
        embed.wait(timeout=30)
        assert eventually(lambda: not any(alive(p) for p in workers), timeout=EXIT_WITHIN_S), \
            f"still alive {EXIT_WITHIN_S} s after embed was killed: {[_command(p) for p in workers if alive(p)]}"
    finally:
        for pid in [embed.pid, *workers]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        embed.wait(timeout=30)


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            words = f.read().split(b"\0")
        return f"{pid}: {b' '.join(words).decode(errors='replace')[:200]}"
    except OSError:
        return str(pid)
