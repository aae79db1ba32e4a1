"""Hostile media made in code (never committed): files whose headers lie or say nothing, and frames far larger
than their files. Each is a few kilobytes to a few megabytes on disk."""
from __future__ import annotations

import io
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_mkv_without_duration(path: Path, seconds: float, fps: int = 5, size: tuple[int, int] = (48, 64)) -> Path:
    """A Matroska file written as a live stream: no duration anywhere in its header (as a 3-hour MKV that made
    the old decoder read every frame and store duration 0.0)."""
    with av.open(str(path), "w", format="matroska", options={"live": "1"}) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[1], size[0], "yuv420p"
        stream.options = {"preset": "ultrafast"}
        picture = np.full((*size, 3), 100, np.uint8)
        for i in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def flat_jpeg(side: int) -> bytes:
    """A valid baseline JPEG of side x side pixels (flat gray) in about side^2 / 64 bytes: the Huffman tables
    of a small PIL encoding (the standard ones), its frame header patched to the new size, and a scan in which
    every block's coefficients are zero (4 bytes per 16x16 MCU of 4:2:0). Decoding it really allocates and
    fills the whole picture."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (128, 128, 128)).save(buf, "JPEG", quality=90, subsampling=2, optimize=False)
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", side, side)
    sos = data.index(b"\xff\xda")
    header_end = sos + 2 + struct.unpack(">H", data[sos + 2 : sos + 4])[0]
    # per MCU: 4 luma blocks (DC "00", EOB "1010") and 2 chroma blocks (DC "00", EOB "00")
    return bytes(data[:header_end]) + b"\x28\xa2\x8a\x00" * ((side + 15) // 16) ** 2 + b"\xff\xd9"


def write_mjpeg_mkv(path: Path, sides: list[int], declared: int) -> Path:
    """Motion-JPEG in Matroska, one frame per second with the given picture sides, the stream declaring
    `declared` x `declared`."""
    with av.open(str(path), "w", format="matroska") as container:
        stream = container.add_stream("mjpeg", rate=1)
        stream.width = stream.height = declared
        stream.pix_fmt = "yuvj420p"
        stream.time_base = Fraction(1, 1000)
        for i, side in enumerate(sides):
            packet = av.Packet(flat_jpeg(side))
            packet.stream, packet.pts, packet.dts, packet.time_base = stream, i * 1000, i * 1000, Fraction(1, 1000)
            container.mux(packet)
    return path
