"""Running the `reelsense` command in its own process with a test's settings, and looking at processes in /proc."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.helpers import REPO


def settings_env(settings, **extra: str) -> dict[str, str]:
    """The environment under which a `reelsense` process gets the same models and store as `settings`."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "REELSENSE_DATA_DIR": str(settings.data_dir),
           "REELSENSE_CLIP_MODEL": settings.clip_model, "REELSENSE_CLIP_PRETRAINED": settings.clip_pretrained,
           "REELSENSE_MAX_FRAMES": str(settings.max_frames),
           "REELSENSE_CLIP_TEXT_SEARCH": str(settings.clip_text_search).lower()}
    env.update({f"REELSENSE_{k.upper()}": v for k, v in extra.items()})
    return env


def reelsense(settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `reelsense ARGS --db <the settings' store>` to completion in a separate process; fails loudly."""
    done = subprocess.run([sys.executable, "-m", "service.cli", *args, "--db", str(settings.database)],
                          env=settings_env(settings), cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def eventually(check: Callable[[], bool], timeout: float = 30.0, every: float = 0.05) -> bool:
    """Whether `check()` became true within `timeout` seconds (polled)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the state on (the name may hold spaces)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it has exited)."""
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from the parent ids in /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat(int(entry.name)) if entry.name.isdigit() else None
        if fields is not None:
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        out += children
        todo += children
    return out


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time of `pid` so far, in clock ticks (0 once it is gone)."""
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0
