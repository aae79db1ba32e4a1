"""The words next to a video: NAME.json beside NAME.mp4 (title, description, hashtags, creator).

A sidecar is input like any other: bounded in size before it is read, parsed with the JSON parser's own depth
limit (a RecursionError is caught), and validated with a schema. A sidecar that fails any of these is reported
(`sidecar_invalid`) and the video is embedded without its words; it never stops a batch.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from extractors.base import VideoMeta
from extractors.errors import MediaError

log = logging.getLogger(__name__)
MAX_SIDECAR_BYTES = 256 * 1024  # generous for a title, a description and hashtags
Words = Annotated[str, Field(max_length=20_000)]


class SidecarFields(BaseModel):
    """The accepted shape; other keys are ignored (tools write their own), `null` reads as absent."""

    model_config = ConfigDict(extra="ignore", strict=True)

    title: Words | None = None
    description: Words | None = None
    hashtags: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=200)] | Words | None = None
    creator: Annotated[str, Field(max_length=500)] | None = None

    @field_validator("hashtags")
    @classmethod
    def _split(cls, value: list[str] | str | None) -> list[str]:
        if value is None:
            return []
        return value.split() if isinstance(value, str) else value

    def meta(self) -> VideoMeta:
        return VideoMeta(self.title or "", self.description or "", list(self.hashtags or []), self.creator or "")


@dataclass
class Sidecar:
    """The words read (empty when absent or invalid) and, for an invalid sidecar, why (code `sidecar_invalid`)."""

    meta: VideoMeta
    problem: MediaError | None = None


def read_sidecar(video_path: Path, max_bytes: int = MAX_SIDECAR_BYTES) -> Sidecar:
    """NAME.json next to NAME.mp4 when it exists; any problem with it is returned, never raised."""
    path = Path(video_path).with_suffix(".json")
    try:
        if not path.is_file():
            return Sidecar(VideoMeta())
        size = path.stat().st_size
        if size > max_bytes:
            raise _invalid(path, f"it is {size / 1024:.0f} KiB; a sidecar may hold {max_bytes // 1024} KiB")
        with open(path, "rb") as fh:
            data = json.loads(fh.read(max_bytes + 1))
        return Sidecar(SidecarFields.model_validate(data).meta())
    except MediaError as exc:
        problem = exc
    except RecursionError:
        problem = _invalid(path, "it is nested too deeply")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the document"
        problem = _invalid(path, f"{where}: {first['msg']}")
    except (ValueError, OSError) as exc:  # not JSON, not UTF-8, unreadable
        problem = _invalid(path, str(getattr(exc, "strerror", None) or exc)[:200])
    log.warning("%s", problem)
    return Sidecar(VideoMeta(), problem)


def _invalid(path: Path, why: str) -> MediaError:
    return MediaError("sidecar_invalid", f"{path.name} was ignored, the video is embedded without its words: {why}")
