"""Frames and clips generated in code, with known content, for the media and visual tests."""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

SIZE = (96, 128)  # height, width


def solid(rgb) -> np.ndarray:
    """One frame of SIZE filled with one RGB colour."""
    return np.full((*SIZE, 3), rgb, np.uint8)


def write_clip(path, frames_at: list[tuple[float, np.ndarray]]) -> None:
    """Encode (time, RGB frame) pairs with exact millisecond timestamps, so the frame rate may vary."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = SIZE[1], SIZE[0], "yuv420p"
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.options = {"crf": "18"}
        for t, rgb in frames_at:
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = round(t * 1000), Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
