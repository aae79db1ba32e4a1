"""Startup cleanup of temporary upload files: those of servers that no longer run go, live servers' stay."""
from __future__ import annotations

import os
import subprocess
import sys

from service.api.uploads import remove_stale_uploads


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_files_of_stopped_servers_are_removed_and_live_ones_kept(tmp_path):
    stale = [tmp_path / f"upload-{dead_pid()}-a1b2.part", tmp_path / f"upload-{os.getpid()}-c3d4.part",
             tmp_path / "upload-q9r8.part"]  # a dead server's, this pid's (reused after a restart), unnamed
    live = tmp_path / f"upload-{os.getppid()}-e5f6.part"  # a server that still runs
    other = tmp_path / "notes.txt"
    for path in [*stale, live, other]:
        path.write_bytes(b"partial")
    assert remove_stale_uploads(tmp_path) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


def test_a_missing_folder_has_nothing_to_remove(tmp_path):
    assert remove_stale_uploads(tmp_path / "never-created") == 0
