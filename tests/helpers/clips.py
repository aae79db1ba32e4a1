"""Frames and clips generated in code, with known content, for the media and visual tests."""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

SIZE = (96, 128)  # height, width


def solid(rgb) -> np.ndarray:
    """One frame of SIZE filled with one RGB colour."""
    return np.full((*SIZE, 3), rgb, np.uint8)


def write_clip(path, frames_at: list[tuple[float, np.ndarray]], size: tuple[int, int] = SIZE,
               options: dict[str, str] | None = None) -> None:
    """Encode (time, RGB frame) pairs with exact millisecond timestamps, so the frame rate may vary; frames of
    `size` (height by width); `options` are extra libx264 options (e.g. {"g": "25"} for a keyframe every 25 frames)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = size[1], size[0], "yuv420p"
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


def write_clip_with_audio(path, frames_at: list[tuple[float, np.ndarray]], audio: np.ndarray, sr: int = 22050,
                          size: tuple[int, int] = SIZE) -> None:
    """Like `write_clip` (frames of `size`, height by width), plus a mono AAC track of `audio` (float32 at `sr`)."""
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = size[1], size[0], "yuv420p"
        video.time_base = Fraction(1, 1000)
        video.codec_context.time_base = Fraction(1, 1000)
        video.options = {"crf": "18"}
        sound = container.add_stream("aac", rate=sr)
        sound.layout = "mono"
        for t, rgb in frames_at:
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts, frame.time_base = round(t * 1000), Fraction(1, 1000)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        for start in range(0, audio.size, 1024):
            chunk = av.AudioFrame.from_ndarray(audio[None, start : start + 1024].astype(np.float32), format="fltp",
                                               layout="mono")
            chunk.sample_rate, chunk.pts, chunk.time_base = sr, start, Fraction(1, sr)
            for packet in sound.encode(chunk):
                container.mux(packet)
        for packet in sound.encode():
            container.mux(packet)
