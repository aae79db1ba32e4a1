"""CLIP text vectors of fixed prompt lists (the zero-shot classes), cached on disk once per machine.

The zero-shot classes are about 700 prompts; CLIP's text tower takes some 10-75 CPU-seconds for them, which
every new data dir, run and Ray actor would pay again. They depend only on the weights' content, the precision,
the libraries that compute them and the prompts (the taxonomy), so they are stored in the machine's cache
folder under a key of those and read back (a damaged or foreign file is recomputed). Processes starting at
once on an empty cache take a lock per entry: one computes, the others wait and read its file.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
DIGEST_CHUNK = 1 << 22


def library_versions(*names: str) -> str:
    """'torch=2.14.1,open_clip_torch=3.3.0': what computes a cached value, part of its key."""
    def v(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "none"

    return ",".join(f"{n}={v(n)}" for n in names)


@lru_cache(maxsize=16)
def _content_digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(DIGEST_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's content (computed once per process and file version: a 350 MB checkpoint takes ~1 s)."""
    path = Path(path)
    st = path.stat()
    return _content_digest(str(path.resolve()), st.st_size, st.st_mtime_ns)


def weights_key(model: str, weights: str, precision: str) -> str:
    """What identifies a CLIP's text vectors: architecture, weights (content digest of a checkpoint file, else the
    pretrained tag), dtype and the versions of the libraries that compute them."""
    path = Path(weights)
    identity = f"sha256:{file_digest(path)}" if path.is_file() else weights
    return f"{Path(model).name}|{identity}|{precision}|{library_versions('torch', 'open_clip_torch')}"


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created), between processes and between threads (one open file each)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class CachedTextEmbed:
    """`embed(texts)` with the result kept in `folder` (None: no cache) under a hash of `key` and the texts.
    `computed` and `loaded` count the lists encoded here and those read back from the cache."""

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray], folder: Path | None, key: str):
        self.embed, self.folder, self.key = embed, folder, key
        self.computed = self.loaded = 0

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if self.folder is None:
            self.computed += 1
            return self.embed(texts)
        digest = hashlib.sha256("\0".join([self.key, *texts]).encode()).hexdigest()[:32]
        path = self.folder / f"clip-text-{digest}.npy"
        cached = self._read(path, len(texts))
        if cached is not None:
            return cached
        try:
            with locked(self.folder / f".clip-text-{digest}.lock"):
                cached = self._read(path, len(texts))  # another process may have written it while this one waited
                if cached is not None:
                    return cached
                vectors = self._compute(texts)
                self._write(path, vectors)
                return vectors
        except OSError as exc:  # no lock in a read-only cache folder: it only costs the recomputation
            log.warning("cannot cache CLIP text vectors in %s: %s", self.folder, exc)
            return self._compute(texts)

    def _write(self, path: Path, vectors: np.ndarray) -> None:
        try:
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
        except OSError as exc:
            log.warning("cannot cache CLIP text vectors in %s: %s", self.folder, exc)

    def _compute(self, texts: Sequence[str]) -> np.ndarray:
        self.computed += 1
        return self.embed(texts)

    def _read(self, path: Path, rows: int) -> np.ndarray | None:
        try:
            cached = np.load(path)
        except (OSError, ValueError):
            return None
        if cached.ndim == 2 and cached.shape[0] == rows:
            self.loaded += 1
            return cached
        return None
