"""Opening and probing a video file: only accepted containers, local bytes only, limits checked before any
frame is decoded, a stable error code for every refusal."""
from __future__ import annotations

import os
from pathlib import Path

import av

from extractors.errors import MediaError
from extractors.media.containers import sniff_file
from extractors.media.types import DEFAULT_LIMITS, MediaInfo, MediaLimits


def open_container(path: Path, limits: MediaLimits = DEFAULT_LIMITS) -> av.container.InputContainer:
    """Open only files that start like a video container, with an accepted demuxer, reading local bytes only.

    FFmpeg would otherwise open playlists (HLS, concat) that pull in other files or URLs. While it reads the
    stream parameters FFmpeg decodes no frame (`skip_frame=all`; it would otherwise decode a first H.264
    frame to learn its pixel format, whatever its size): dimensions come from the container and the codec
    headers alone. `limits` is not consulted here; `decoder_options` holds what is decoded later.
    """
    try:
        family = sniff_file(path)
    except OSError as exc:  # permission, a folder or device named like a video, an I/O error
        raise MediaError("unreadable", f"{path.name} cannot be read ({exc.strerror or type(exc).__name__})") from exc
    if family is None:
        raise MediaError("not_media", f"{path.name} is not a video file (its first bytes match no video container)")
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore",
                            options={"protocol_whitelist": "file", "skip_frame": "all"})
    except av.error.FFmpegError as exc:
        raise MediaError(
            "corrupt", f"{path.name} looks like a video container but cannot be read ({exc.strerror or exc})"
        ) from exc
    if container.format.name not in family.demuxers:
        name = container.format.name
        container.close()
        raise MediaError("not_media", f"{path.name} is a {name!r} file, not an accepted video container")
    return container


def decoder_options(limits: MediaLimits) -> dict[str, str]:
    """FFmpeg decoder options that refuse, before allocating it, any frame over the pixel limit (a stream may
    change size mid-way; its header may claim less than its frames hold)."""
    return {"max_pixels": str(limits.max_pixels)}


def probe(path: str | os.PathLike, limits: MediaLimits = DEFAULT_LIMITS) -> MediaInfo:
    """Read container and codec parameters and enforce limits (size, streams, dimensions, aspect ratio,
    declared duration) without decoding any frame. A duration the container does not declare reads 0.0 here;
    `decode` measures it from the packets and holds the limit on what it decodes."""
    p = Path(path)
    if not p.exists():
        raise MediaError("not_found", f"no such file: {p}")
    if not p.is_file():
        raise MediaError("unreadable", f"{p.name} is not a regular file (a folder, pipe or device)")
    size = p.stat().st_size
    if size == 0:
        raise MediaError("empty_file", f"{p.name} is empty (0 bytes)")
    if size > limits.max_bytes:
        raise MediaError("too_large", f"{p.name} is {size / 1e6:.1f} MB; the limit is {limits.max_bytes / 1e6:.1f} MB")
    with open_container(p, limits) as container:
        return _info(p, size, container, limits)


def _info(p: Path, size: int, container: av.container.InputContainer, limits: MediaLimits) -> MediaInfo:
    if not container.streams.video:
        raise MediaError("no_video_stream", f"{p.name} has no video stream")
    if len(container.streams) > limits.max_streams:
        raise MediaError("too_many_streams",
                         f"{p.name} has {len(container.streams)} streams; the limit is {limits.max_streams}")
    vs = container.streams.video[0]
    codec = vs.codec_context.name if vs.codec_context is not None else None
    if not codec:
        raise MediaError("unsupported_codec", f"{p.name}: the video codec is not supported by this build of FFmpeg")
    width, height = int(vs.codec_context.width or 0), int(vs.codec_context.height or 0)
    if width <= 0 or height <= 0:
        raise MediaError("corrupt", f"{p.name}: the video stream has no frame size")
    if width * height > limits.max_pixels:
        raise MediaError(
            "resolution_too_high", f"{p.name} is {width}x{height}; the limit is {limits.max_pixels} pixels per frame"
        )
    if max(width, height) > limits.max_aspect_ratio * min(width, height):
        raise MediaError("extreme_aspect_ratio", f"{p.name} is {width}x{height}; the longest side may be at most "
                                                 f"{limits.max_aspect_ratio:g} times the shortest")
    duration = _duration(container, vs)
    if duration > limits.max_duration_s:
        raise MediaError("too_long", f"{p.name} lasts {duration:.1f} s; the limit is {limits.max_duration_s:.0f} s")
    rate = vs.average_rate or vs.guessed_rate or vs.base_rate
    audio = container.streams.audio[0] if container.streams.audio else None
    return MediaInfo(
        path=str(p),
        size_bytes=size,
        container=container.format.name,
        duration_s=round(duration, 3),
        fps=round(float(rate), 3) if rate else 0.0,
        width=width,
        height=height,
        rotation=0,
        video_codec=codec,
        audio_codec=audio.codec_context.name if audio is not None else None,
        has_audio=audio is not None,
    )


def _duration(container: av.container.InputContainer, vs) -> float:
    if vs.duration is not None and vs.time_base is not None:
        return float(vs.duration * vs.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0
