"""numba's JIT cache under concurrency and damage: processes cold-starting together on an empty cache folder all
succeed, and a damaged cache is rebuilt instead of failing every process that loads it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from extractors.audio.jit_cache import VERIFIED, configure_numba_cache, versioned_folder
from tests.helpers import REPO

pytestmark = pytest.mark.slow  # two cold compiles of librosa's kernels (about 30 s each on an idle 2-core machine)
_START = "from extractors.audio import AudioExtractor; AudioExtractor(); print('warm')"


def _start(folder: Path) -> subprocess.Popen:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(folder), "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", _START], env=env, cwd=str(REPO), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen) -> tuple[int, str]:
    out, err = process.communicate(timeout=900)
    return process.returncode, out + err[-2000:]


@pytest.fixture(scope="module")
def cold_started(tmp_path_factory) -> tuple[Path, list[tuple[int, str]]]:
    """Three processes started at once on an empty cache folder (one compiles, the others wait and load)."""
    folder = tmp_path_factory.mktemp("numba_cold")
    processes = [_start(folder) for _ in range(3)]
    return folder, [_finish(p) for p in processes]


def test_three_cold_starts_at_once_all_succeed(cold_started):
    _, outcomes = cold_started
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes


def test_the_filled_cache_is_recorded_as_verified(cold_started):
    folder, _ = cold_started
    assert (folder / VERIFIED).is_file()
    assert list(folder.rglob("*.nbc"))


def test_a_damaged_cache_is_rebuilt_and_the_process_starts(cold_started):
    folder, _ = cold_started
    damaged = list(folder.rglob("*.nbc"))
    for entry in damaged:
        entry.write_bytes(b"#not a pickle" * 8)
    code, output = _finish(_start(folder))
    assert code == 0, output
    assert all(not p.exists() or not p.read_bytes().startswith(b"#not a pickle") for p in damaged)


def test_the_cache_folder_is_per_version(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    configure_numba_cache(tmp_path)
    assert os.environ["NUMBA_CACHE_DIR"] == str(versioned_folder(tmp_path))
    assert Path(os.environ["NUMBA_CACHE_DIR"]).name.startswith("numba-")
