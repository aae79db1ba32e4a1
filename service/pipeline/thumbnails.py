"""Small JPEGs of the sampled frames, made while the frames are in memory, so a page (or a time-coded search
result) can show what was analysed without keeping or re-decoding the video."""
from __future__ import annotations

import cv2
import numpy as np

from service.options import ThumbnailOptions
from service.records import FrameThumbnail


def thumbnail_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size that fits `max_side` with the aspect ratio kept; never scaled up, never below 1 pixel."""
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def encode_thumbnail(rgb: np.ndarray, options: ThumbnailOptions) -> tuple[bytes, int, int]:
    """One RGB uint8 frame as JPEG bytes, with the thumbnail's width and height."""
    height, width = rgb.shape[:2]
    size = thumbnail_size(width, height, options.max_side)
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if size != (width, height) else rgb
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, options.quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    if not ok:  # OpenCV reports failure by return value; with a valid uint8 image it does not fail
        raise ValueError(f"could not encode a {width}x{height} frame as JPEG")
    return jpeg.tobytes(), size[0], size[1]


def make_thumbnails(frames: list[np.ndarray], times: list[float], options: ThumbnailOptions) -> list[FrameThumbnail]:
    """One thumbnail per sampled frame, indexed in time order (frames arrive sorted by time)."""
    if options.max_side <= 0:
        return []
    thumbs = []
    for index, (frame, t) in enumerate(zip(frames, times, strict=True)):
        jpeg, width, height = encode_thumbnail(frame, options)
        thumbs.append(FrameThumbnail(index, round(float(t), 3), width, height, jpeg))
    return thumbs
