"""Librosa's numba JIT cache, safe when several processes start at once and when its files are damaged.

numba writes each cache file atomically, but processes cold-starting together on an empty folder compile and
write the same entries at once, and a damaged entry makes every later process fail as it loads it (an
UnpicklingError, or a crash inside the loaded machine code). So:

* the folder is per version (numba, librosa, Python): an upgrade never reads another version's entries;
* the first warm-up in a folder runs in a child process, holding an exclusive lock on the folder, while the
  other processes wait on the lock; if the child fails (exception or signal), the folder is emptied and the
  child runs again, rebuilding it; the folder's state is then recorded (`VERIFIED`);
* a process whose folder still matches that record warms up directly, loading the entries; one that finds the
  folder changed (a new entry, a damaged file) checks it in a child first, as above.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

log = logging.getLogger(__name__)
LOCK = ".lock"
VERIFIED = ".verified"
CHECK_TIMEOUT_S = 900.0  # a cold compile of librosa's kernels takes about a minute on a busy 2-core machine
_CHECK = ("from extractors.parent import exit_with_parent; exit_with_parent({parent}); "
          "from extractors.audio.extractor import AudioExtractor; AudioExtractor(warm_up=False).warm_up_now()")


def versioned_folder(root: str | os.PathLike) -> Path:
    """The cache folder for this numba, librosa and Python under `root` (read without importing numba, which
    reads NUMBA_CACHE_DIR once, when it is imported)."""
    def v(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "none"

    return Path(root) / f"numba-{v('numba')}-librosa-{v('librosa')}-py{sys.version_info[0]}.{sys.version_info[1]}"


def configure_numba_cache(cache_dir: str | os.PathLike | None) -> None:
    """Point numba's on-disk cache at the versioned folder under `cache_dir`, before librosa is imported
    (an explicit NUMBA_CACHE_DIR in the environment wins)."""
    if cache_dir and "NUMBA_CACHE_DIR" not in os.environ:
        folder = versioned_folder(cache_dir)
        folder.mkdir(parents=True, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = str(folder)


def warm_up_safely(warm_up: Callable[[], None]) -> None:
    """Run `warm_up` (the first librosa analysis of this process) with the cache folder known to load."""
    folder = os.environ.get("NUMBA_CACHE_DIR")
    if not folder:
        warm_up()
        return
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if not _verified(folder):
        with _locked(folder):
            if not _verified(folder):  # another process may have done it while this one waited
                _check_or_rebuild(folder)
    warm_up()


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _state(folder: Path) -> str:
    """A digest of every cache file's name, size and modification time (dot files are locks and records)."""
    entries = sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
                     for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def _verified(folder: Path) -> bool:
    try:
        return json.loads((folder / VERIFIED).read_text()).get("state") == _state(folder)
    except (OSError, ValueError, AttributeError):
        return False


def _check_or_rebuild(folder: Path) -> None:
    """Warm up in a child process; on failure empty the folder and let a child rebuild it. Records the state."""
    if not _child_warm_up(folder):
        log.warning("the numba cache in %s does not load; emptying it and compiling again", folder)
        for entry in folder.iterdir():
            if entry.name != LOCK:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        if not _child_warm_up(folder):
            log.error("librosa's warm-up fails even on an empty numba cache in %s", folder)
            return
    tmp = folder / f"{VERIFIED}.{os.getpid()}"
    tmp.write_text(json.dumps({"state": _state(folder)}))
    os.replace(tmp, folder / VERIFIED)


def _child_warm_up(folder: Path) -> bool:
    root = str(Path(__file__).resolve().parents[2])  # the folder holding the extractors package
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(folder), "PYTHONPATH": path}
    try:
        done = subprocess.run([sys.executable, "-c", _CHECK.format(parent=os.getpid())], env=env,
                              capture_output=True, text=True, timeout=CHECK_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return False
    if done.returncode != 0:
        log.warning("numba cache check in %s exited with %s: %s", folder, done.returncode, done.stderr[-500:])
    return done.returncode == 0
