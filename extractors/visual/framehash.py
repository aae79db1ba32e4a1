"""Perceptual frame hashes over time: whether two videos show the same pictures, re-encoded, rescaled,
letterboxed or trimmed.

Each sampled frame, with black bars cropped away, gets imagehash's 64-bit pHash (the signs of the lowest
DCT coefficients of a 32x32 grey image), which survives re-encoding and rescaling; cropping the bars makes a
letterboxed copy hash like its source. Frames with too little structure (a flat colour) are skipped: every
flat frame hashes alike, so they would make any two videos of one colour scheme look the same. Two prints
are compared at a time offset (from the sound match, or the best one their frame hashes vote for): each frame
of one is matched against the other's frames near the same moment, since the samples of a trimmed copy do
not fall on the source's sample times.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRAME_HASH_VERSION = "phash64-v1"
BAR_LEVEL = 24  # a border row or column whose brightest pixel is below this is a black bar
MIN_STRUCTURE = 6.0  # grey-level standard deviation below which a frame is flat and not hashed
MAX_BITS = 12  # Hamming distance (of 64) up to which two frames show the same picture (unrelated: about 32)
MIN_MATCHED_SHARE = 0.75  # share of the overlapping frames that must match
MIN_COVERAGE = 0.75  # the overlap must cover this share of the shorter video's hashed frames
MIN_FRAMES = 2  # fewer matched frames prove nothing


@dataclass(frozen=True)
class FramePrint:
    hashes: np.ndarray  # uint64 pHash per informative frame
    times: np.ndarray  # float64 seconds
    version: str = FRAME_HASH_VERSION

    @property
    def empty(self) -> bool:
        return self.hashes.size == 0

    @classmethod
    def none(cls) -> FramePrint:
        return cls(np.zeros(0, np.uint64), np.zeros(0, np.float64))


@dataclass(frozen=True)
class PictureMatch:
    offset_s: float  # where the first print starts in the second's time
    matched: int  # frames of the overlap that show the same picture
    compared: int  # frames of the first print that fall in the overlap


def frame_print(frames: list[np.ndarray], times: list[float]) -> FramePrint:
    """The pHash of every informative frame, with its time."""
    import imagehash
    from PIL import Image

    hashes, kept = [], []
    for rgb, t in zip(frames, times, strict=True):
        grey = np.asarray(Image.fromarray(crop_bars(rgb)).convert("L").resize((64, 64)), np.float32)
        if float(grey.std()) < MIN_STRUCTURE:
            continue
        bits = imagehash.phash(Image.fromarray(grey.astype(np.uint8))).hash.reshape(-1)
        hashes.append(int(np.packbits(bits).view(">u8")[0]))
        kept.append(float(t))
    return FramePrint(np.array(hashes, np.uint64), np.array(kept, np.float64))


def crop_bars(rgb: np.ndarray) -> np.ndarray:
    """The frame without black bars along its edges (letterbox or pillarbox); at least half of each side stays."""
    bright = rgb.max(axis=2)
    rows = np.nonzero(bright.max(axis=1) >= BAR_LEVEL)[0]
    cols = np.nonzero(bright.max(axis=0) >= BAR_LEVEL)[0]
    if rows.size == 0 or cols.size == 0:
        return rgb
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    if bottom - top < rgb.shape[0] // 2 or right - left < rgb.shape[1] // 2:
        return rgb
    return rgb[top:bottom, left:right]


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bit differences between every hash of `a` (rows) and of `b` (columns)."""
    x = np.bitwise_xor(a[:, None], b[None, :])
    return np.unpackbits(x.view(np.uint8).reshape(*x.shape, 8), axis=-1).sum(axis=-1)


def compare(a: FramePrint, b: FramePrint, offset_s: float | None = None) -> PictureMatch:
    """How well `a` lines up with `b` at `offset_s` (a's time t is b's t + offset), or at the best offset the
    close frame pairs vote for when no offset is given."""
    if a.empty or b.empty:
        return PictureMatch(0.0, 0, 0)
    distances = hamming(a.hashes, b.hashes)
    if offset_s is not None:
        return _at_offset(a, b, distances, offset_s)
    i, j = np.nonzero(distances <= MAX_BITS)
    if i.size == 0:
        return PictureMatch(0.0, 0, int(a.hashes.size))
    candidates = np.unique(np.round((b.times[j] - a.times[i]) * 4) / 4)
    tried = [_at_offset(a, b, distances, float(o)) for o in candidates]
    return max(tried, key=lambda m: (m.matched, -m.compared))


def _at_offset(a: FramePrint, b: FramePrint, distances: np.ndarray, offset_s: float) -> PictureMatch:
    """Each frame of `a` inside b's span (shifted by the offset) matches if a frame of b within the tolerance
    (half b's largest sampling gap, at least 0.6 s) is close enough."""
    gaps = np.diff(b.times)
    tolerance = max(0.6, 0.5 * float(gaps.max()) if gaps.size else 0.6)
    shifted = a.times + offset_s
    inside = (shifted >= b.times[0] - tolerance) & (shifted <= b.times[-1] + tolerance)
    near = np.abs(shifted[:, None] - b.times[None, :]) <= tolerance
    best = np.where(near, distances, 64).min(axis=1)
    matched = int(np.count_nonzero(inside & (best <= MAX_BITS)))
    return PictureMatch(round(offset_s, 3), matched, int(np.count_nonzero(inside)))


def is_duplicate(match: PictureMatch, a: FramePrint, b: FramePrint) -> bool:
    """Same pictures: most of the overlapping frames match, and the overlap covers most of the shorter video."""
    shorter = max(1, min(a.hashes.size, b.hashes.size))
    return (match.matched >= MIN_FRAMES and match.matched >= MIN_MATCHED_SHARE * max(match.compared, 1)
            and match.compared >= MIN_COVERAGE * shorter)
