"""Where batch inputs and outputs live: a local folder or anything pyarrow's filesystems read (`s3://`, `gs://`,
`hdfs://`, `file://`), so that the nodes of a Ray cluster need no shared disk. A remote file is copied to the
node's local disk (hashing it on the way) because the decoder reads local files.
"""
from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

from extractors.media.containers import VIDEO_SUFFIXES
from service.errors import CommandError
from service.pipeline.files import file_sha256, find_videos


def is_uri(location: str) -> bool:
    """True for `scheme://...`; a plain path (relative or absolute) is a local one."""
    return "://" in location


def filesystem(location: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem and the path inside it; a plain path is the local filesystem (made absolute)."""
    if not is_uri(location):
        return pafs.LocalFileSystem(), str(Path(location).absolute())
    try:
        return pafs.FileSystem.from_uri(location)
    except (pa.ArrowException, ValueError) as exc:
        raise CommandError("bad_location", f"{location}: pyarrow cannot open it ({exc})") from None


def list_media(location: str) -> list[str]:
    """Video files under a folder or URI (recursive, sorted, by extension), as local paths or full URIs; a
    single file is listed alone. Local paths are spelled as `reelsense embed --engine local` spells them, so
    both engines give a file the same `path`."""
    if not is_uri(location):
        root = Path(location)
        if not root.exists():
            raise CommandError("not_found", f"{root} does not exist")
        return [str(p) for p in find_videos(root)]
    fs, base = filesystem(location)
    info = fs.get_file_info(base)
    if info.type == pafs.FileType.NotFound:
        raise CommandError("not_found", f"{location} does not exist")
    scheme = location.split("://", 1)[0]
    if info.type == pafs.FileType.File:
        return [location]
    entries = fs.get_file_info(pafs.FileSelector(base, recursive=True))
    return sorted(f"{scheme}://{e.path}" for e in entries
                  if e.type == pafs.FileType.File and Path(e.path).suffix.lower() in VIDEO_SUFFIXES)


@dataclass
class LocalCopy:
    """A file ready for the decoder: its local path, content hash, and the temporary folder to remove (None
    when the file was local already)."""

    path: Path
    sha256: str
    scratch: Path | None = None

    def remove(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def local_copy(location: str, chunk: int = 1 << 20) -> LocalCopy:
    """The file at `location` on this node's disk, with its SHA-256 (the video id); a remote file's sidecar
    (NAME.json) is copied beside it when it exists."""
    if not is_uri(location):
        return LocalCopy(Path(location), file_sha256(Path(location)))
    fs, path = filesystem(location)
    scratch = Path(tempfile.mkdtemp(prefix="reelsense-"))
    target = scratch / Path(path).name
    digest = hashlib.sha256()
    with fs.open_input_stream(path) as src, open(target, "wb") as dst:
        while block := src.read(chunk):
            digest.update(block)
            dst.write(block)
    sidecar = str(Path(path).with_suffix(".json"))
    if fs.get_file_info(sidecar).type == pafs.FileType.File:
        with fs.open_input_stream(sidecar) as src:
            target.with_suffix(".json").write_bytes(src.read())
    return LocalCopy(target, digest.hexdigest(), scratch)
