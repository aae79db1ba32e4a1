"""The accepted video containers: one table shared by the decoder (CLI and batch path) and the HTTP upload
sniffer, so both accept exactly the same files.

A file is recognised from its leading bytes, never from its name; FFmpeg must then open it with the
demuxer its family names. Anything else is refused before FFmpeg parses it (playlists such as HLS or
concat lists would otherwise make it read other files or URLs).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

HEAD_BYTES = 512  # how many leading bytes `sniff` needs to see
TS_PACKET = 188


@dataclass(frozen=True)
class ContainerFamily:
    name: str  # stable short name, used in upload file names and error messages
    label: str  # for people
    demuxers: frozenset[str]  # FFmpeg demuxer names that may open it
    suffixes: frozenset[str]  # file extensions the batch path looks for
    matches: Callable[[bytes], bool]


def _mp4(head: bytes) -> bool:
    return len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free")


def _mpegts(head: bytes) -> bool:
    """A sync byte every 188 bytes (one byte alone matches too much)."""
    return len(head) > TS_PACKET * 2 and all(head[i] == 0x47 for i in (0, TS_PACKET, TS_PACKET * 2))


FAMILIES: tuple[ContainerFamily, ...] = (
    ContainerFamily("mp4", "MP4/MOV", frozenset({"mov,mp4,m4a,3gp,3g2,mj2"}),
                    frozenset({".mp4", ".mov", ".m4v", ".3gp"}), _mp4),
    ContainerFamily("matroska", "Matroska/WebM", frozenset({"matroska,webm"}), frozenset({".mkv", ".webm"}),
                    lambda h: h.startswith(b"\x1a\x45\xdf\xa3")),
    ContainerFamily("avi", "AVI", frozenset({"avi"}), frozenset({".avi"}),
                    lambda h: h.startswith(b"RIFF") and h[8:12] == b"AVI "),
    ContainerFamily("mpegts", "MPEG-TS", frozenset({"mpegts"}), frozenset({".ts", ".mts", ".m2ts"}), _mpegts),
    ContainerFamily("flv", "FLV", frozenset({"flv"}), frozenset({".flv"}), lambda h: h.startswith(b"FLV")),
    ContainerFamily("ogg", "Ogg", frozenset({"ogg"}), frozenset({".ogv", ".ogg"}), lambda h: h.startswith(b"OggS")),
)
VIDEO_SUFFIXES = frozenset(s for f in FAMILIES for s in f.suffixes)
ACCEPTED_LABELS = ", ".join(f.label for f in FAMILIES)


def sniff(head: bytes) -> ContainerFamily | None:
    """The accepted family these leading bytes belong to (pass at least HEAD_BYTES of them), or None."""
    return next((f for f in FAMILIES if f.matches(head)), None)


def sniff_file(path) -> ContainerFamily | None:
    with open(path, "rb") as fh:
        return sniff(fh.read(HEAD_BYTES))
