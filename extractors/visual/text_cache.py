"""CLIP text vectors of fixed prompt lists (the zero-shot classes), cached on disk per set of weights.

The zero-shot classes are about 700 prompts; CLIP's text tower takes some 10 CPU-seconds for them, which every
`reelsense embed` process would pay again. They depend only on the weights, the precision and the prompts, so
they are stored under a key of those and read back (a damaged or foreign file is recomputed).
"""
from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def weights_key(model: str, weights: str, precision: str) -> str:
    """What identifies a CLIP's text vectors: architecture, weights file (path, size, modification time), dtype."""
    path = Path(weights)
    stamp = f"{path.stat().st_size}:{path.stat().st_mtime_ns}" if path.is_file() else "tag"
    return f"{model}|{path.resolve() if path.is_file() else weights}|{stamp}|{precision}"


class CachedTextEmbed:
    """`embed(texts)` with the result kept in `folder` (None: no cache) under a hash of `key` and the texts."""

    def __init__(self, embed: Callable[[Sequence[str]], np.ndarray], folder: Path | None, key: str):
        self.embed, self.folder, self.key = embed, folder, key

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if self.folder is None:
            return self.embed(texts)
        digest = hashlib.sha256("\0".join([self.key, *texts]).encode()).hexdigest()[:32]
        path = self.folder / f"clip-text-{digest}.npy"
        try:
            cached = np.load(path)
            if cached.ndim == 2 and cached.shape[0] == len(texts):
                return cached
        except (OSError, ValueError):
            pass
        vectors = self.embed(texts)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
        except OSError as exc:  # a read-only data folder only costs the recomputation
            log.warning("cannot cache CLIP text vectors in %s: %s", self.folder, exc)
        return vectors
