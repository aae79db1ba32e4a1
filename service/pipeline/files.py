"""Finding media files and naming them by content: a video's id is the SHA-256 of its bytes."""
from __future__ import annotations

import hashlib
from pathlib import Path

from extractors.media.containers import VIDEO_SUFFIXES


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def find_videos(root: Path) -> list[Path]:
    """Video files under a folder (recursive, sorted), by extension; content is checked when decoded. Entries
    named like videos that are not regular files (pipes, devices, broken links) are listed too, so a batch
    reports them (`unreadable`) instead of passing over them in silence."""
    if not root.is_dir():
        return [root]
    return sorted(p for p in root.rglob("*") if not p.is_dir() and p.suffix.lower() in VIDEO_SUFFIXES)
