"""Uploaded media kept for re-analysis (`REELSENSE_KEEP_MEDIA=true`): each file under the data dir, named by its
content hash (`media/<first two hex digits>/<sha256>.<container>`), so `reelsense reindex` can re-embed a video
uploaded through the API after a model or fusion change.

Off by default because it costs disk: every upload's bytes, once per content (a re-upload of the same bytes is
the same file), up to `REELSENSE_MAX_UPLOAD_MB` each. Nothing serves these files; deleting a video leaves its file
(a re-upload of it can be re-embedded later; remove the folder to reclaim space).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_ID = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class KeptMedia:
    """The content-addressed folder of kept uploads."""

    root: Path

    def folder_for(self, video_id: str) -> Path:
        """Where a file of this content goes (created by the caller that moves it there)."""
        if not _ID.match(video_id):
            raise ValueError(f"not a content hash: {video_id!r}")
        return self.root / video_id[:2]

    def find(self, video_id: str) -> Path | None:
        """The kept file of this content, whatever its container, or None."""
        if not _ID.match(video_id):
            return None
        folder = self.root / video_id[:2]
        found = sorted(folder.glob(f"{video_id}.*")) if folder.is_dir() else []
        return next((p for p in found if p.is_file()), None)
