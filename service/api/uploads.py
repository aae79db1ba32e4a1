"""Receive a multipart upload as a stream: byte limit counted as bytes arrive, content hashed on the way,
container sniffed from its first bytes against an allow-list.

The client's file name, extension and Content-Type are never trusted or used as a path: the bytes go to
a randomly named temporary file inside the upload folder, and a kept upload is named by its content hash.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

from extractors.media.containers import ACCEPTED_LABELS, sniff_file
from service.errors import UploadError

FIELDS = ("title", "description", "hashtags", "creator")
MAX_FIELD_BYTES = 16 * 1024
FILE_FIELD = "file"


@dataclass
class Upload:
    path: Path  # random temporary name; delete or `keep` it
    size: int
    sha256: str
    container: str  # accepted family sniffed from the content (extractors.media.containers), e.g. "mp4"
    fields: dict[str, str] = field(default_factory=dict)

    def keep(self, folder: Path) -> Path:
        """Move the file to FOLDER/<sha256>.<container>; the name comes from the content only."""
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{self.sha256}.{self.container}"
        os.replace(self.path, target)
        self.path = target
        return target

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class _FormSink:
    """Callbacks for python-multipart's streaming parser: one file part to disk, small text fields in memory."""

    def __init__(self, folder: Path, max_bytes: int):
        self.folder = folder
        self.max_bytes = max_bytes
        self.fields: dict[str, str] = {}
        self.error: UploadError | None = None
        self.file_path: Path | None = None
        self.file_size = 0
        self.digest = hashlib.sha256()
        self._fh = None
        self._name: str | None = None
        self._buffer = bytearray()
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda d, s, e: self._header_field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._header_value.extend(d[s:e]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self._headers, self._name, self._buffer = {}, None, bytearray()

    def header_end(self) -> None:
        self._headers[bytes(self._header_field).decode("latin-1").lower()] = bytes(self._header_value)
        self._header_field, self._header_value = bytearray(), bytearray()

    def headers_finished(self) -> None:
        _kind, params = parse_options_header(self._headers.get("content-disposition", b""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        if self._name == FILE_FIELD:
            if self._fh is not None:
                self._fail(UploadError("too_many_files", "send exactly one part named 'file'"))
                return
            fd, name = tempfile.mkstemp(prefix=f"upload-{os.getpid()}-", suffix=".part", dir=self.folder)
            self.file_path = Path(name)
            self._fh = os.fdopen(fd, "wb")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.error is not None:
            return
        chunk = data[start:end]
        if self._name == FILE_FIELD and self._fh is not None:
            self.file_size += len(chunk)
            if self.file_size > self.max_bytes:
                self._fail(UploadError("too_large", f"the file is larger than the limit of {self.max_bytes} bytes"))
                return
            self.digest.update(chunk)
            self._fh.write(chunk)
        elif self._name in FIELDS:
            self._buffer.extend(chunk)
            if len(self._buffer) > MAX_FIELD_BYTES:
                self._fail(UploadError("field_too_large", f"form field {self._name!r} exceeds {MAX_FIELD_BYTES} bytes"))
        # other parts are ignored without being stored

    def part_end(self) -> None:
        if self._name == FILE_FIELD and self._fh is not None:
            self._fh.close()
        elif self._name in FIELDS and self.error is None:
            self.fields[self._name] = self._buffer.decode("utf-8", "replace")

    def _fail(self, error: UploadError) -> None:
        self.error = self.error or error

    def cleanup(self) -> None:
        if self._fh is not None and not self._fh.closed:
            self._fh.close()
        if self.file_path is not None:
            self.file_path.unlink(missing_ok=True)


def remove_stale_uploads(folder: Path) -> int:
    """Delete the temporary upload files (`upload-<pid>-*.part`) of server processes that no longer run (or of
    this process's pid reused after a restart, as this process has received nothing yet); those of other live
    servers sharing the folder stay. Returns how many were removed."""
    removed = 0
    for path in folder.glob("upload-*.part") if folder.is_dir() else ():
        pid_text = path.name.split("-")[1]
        pid = int(pid_text) if pid_text.isdigit() else None
        if pid is not None and pid != os.getpid() and _alive(pid):
            continue
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


async def receive_upload(content_type: str | None, stream: AsyncIterator[bytes], folder: Path,
                         max_bytes: int) -> Upload:
    """Parse a multipart/form-data body chunk by chunk; stops reading as soon as a limit is passed."""
    kind, params = parse_options_header(content_type or "")
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UploadError("not_multipart", "send the video as multipart/form-data with a part named 'file'")
    folder.mkdir(parents=True, exist_ok=True)
    sink = _FormSink(folder, max_bytes)
    parser = MultipartParser(boundary, sink.callbacks())
    body_limit = max_bytes + len(FIELDS) * MAX_FIELD_BYTES + 64 * 1024  # file + fields + part headers
    received = 0
    try:
        async for chunk in stream:
            received += len(chunk)
            if received > body_limit:
                sink._fail(UploadError("too_large", f"the request body is larger than the limit of {max_bytes} bytes"))
            if sink.error is None:
                try:
                    parser.write(chunk)
                except Exception as exc:  # python-multipart raises its own parse errors
                    sink._fail(UploadError("bad_multipart", f"the multipart body could not be parsed: {exc}"))
            if sink.error is not None:
                raise sink.error
        parser.finalize()
        if sink.error is not None:
            raise sink.error
        if sink.file_path is None:
            raise UploadError("missing_file", "the form has no part named 'file'")
        if sink.file_size == 0:
            raise UploadError("empty_file", "the uploaded file is empty (0 bytes)")
        family = sniff_file(sink.file_path)
        if family is None:
            raise UploadError("unsupported_format", f"the content is not an accepted video ({ACCEPTED_LABELS}; "
                                                    "checked from its bytes, not its name)")
    except BaseException:
        sink.cleanup()
        raise
    return Upload(sink.file_path, sink.file_size, sink.digest.hexdigest(), family.name, sink.fields)
