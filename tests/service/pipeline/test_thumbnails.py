"""Frame thumbnails: small JPEGs of the sampled frames, made in the analysis path with the shots beside them."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from service.options import ThumbnailOptions
from service.pipeline.thumbnails import encode_thumbnail, make_thumbnails
from tests.helpers import SAMPLE_MEDIA, sidecar

SMALL = ThumbnailOptions(max_side=160, quality=70)


def decoded(jpeg: bytes) -> np.ndarray:
    """The JPEG decoded back to RGB."""
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def frame(height: int, width: int, rgb=(200, 40, 30)) -> np.ndarray:
    return np.full((height, width, 3), rgb, np.uint8)


@pytest.mark.parametrize(("height", "width", "expected"), [
    (252, 448, (160, 90)),  # landscape: the width is the long side
    (448, 252, (90, 160)),  # portrait (most short videos)
    (48, 64, (64, 48)),  # already small: never scaled up
])
def test_the_long_side_fits_and_the_aspect_ratio_is_kept(height, width, expected):
    jpeg, w, h = encode_thumbnail(frame(height, width), SMALL)
    assert (w, h) == expected
    assert decoded(jpeg).shape == (expected[1], expected[0], 3)


def test_the_picture_survives_the_compression():
    jpeg, _, _ = encode_thumbnail(frame(252, 448, (200, 40, 30)), SMALL)
    assert np.abs(decoded(jpeg).reshape(-1, 3).mean(axis=0) - (200, 40, 30)).max() < 8


def test_one_thumbnail_per_frame_in_time_order():
    frames = [frame(90, 160, (i * 60, 0, 0)) for i in range(3)]
    thumbs = make_thumbnails(frames, [0.5, 1.5, 2.25], SMALL)
    assert [t.index for t in thumbs] == [0, 1, 2]
    assert [t.time_s for t in thumbs] == [0.5, 1.5, 2.25]
    assert all(t.jpeg.startswith(b"\xff\xd8") for t in thumbs)  # JPEG start-of-image marker


def test_a_max_side_of_zero_turns_thumbnails_off():
    assert make_thumbnails([frame(90, 160)], [0.0], ThumbnailOptions(max_side=0)) == []


def test_analysis_keeps_a_thumbnail_per_sampled_frame_and_the_cuts(analyzer):
    record = analyzer.analyze(SAMPLE_MEDIA / "pasta_recipe.mp4")  # a cut every 2 s over 6 s
    every = sidecar("pasta_recipe")["generated"]["cut_every_s"]
    assert record.shot_starts == pytest.approx([0.0, every, 2 * every], abs=0.1)
    assert len(record.frames) == record.features["visual"].stats["frames"]
    times = [f.time_s for f in record.frames]
    assert times == sorted(times)
    assert max(max(f.width, f.height) for f in record.frames) == 160
    assert all(len(f.jpeg) < 12_000 for f in record.frames)
    assert [record.shot_of(t) for t in times] == [int(t // every) for t in times]
