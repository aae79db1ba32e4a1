"""Frames and clips generated in code, with known content, for the media and visual tests."""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

SIZE = (96, 128)  # height, width


def solid(rgb) -> np.ndarray:
    """One frame of SIZE filled with one RGB colour."""
    return np.full((*SIZE, 3), rgb, np.uint8)


def write_clip(path, frames_at: list[tuple[float, np.ndarray]], options: dict[str, str] | None = None) -> None:
    """Encode (time, RGB frame) pairs with exact millisecond timestamps, so the frame rate may vary;
    `options` are extra libx264 options (e.g. {"g": "25"} for a keyframe every 25 frames)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = SIZE[1], SIZE[0], "yuv420p"
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.options = {"crf": "18", **(options or {})}
        for t, rgb in frames_at:
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = round(t * 1000), Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def textured(seed: int, t: float) -> np.ndarray:
    """A frame of SIZE: a random colour texture of `seed` panned by `t` (motion within a shot, a new
    picture at each new seed), so cuts and motion look as in real footage, not flat colours."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (SIZE[0] // 8 + 2, SIZE[1] // 8 + 4, 3), dtype=np.uint8)
    big = np.kron(coarse, np.ones((8, 8, 1), np.uint8))
    dx = int(8 * t)
    return np.ascontiguousarray(big[: SIZE[0], dx : dx + SIZE[1]])
