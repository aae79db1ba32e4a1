"""Weight-free visual statistics on frames and clips generated here, with known answers."""
from __future__ import annotations

import numpy as np
import pytest

from extractors.media import decode
from extractors.visual.frame_stats import COLOUR_NAMES, FaceCounter, colour_names, compute_frame_stats, stats_tags
from tests.helpers.clips import SIZE, solid, write_clip


def moving_square(t: float, speed: float) -> np.ndarray:
    frame = solid((40, 40, 40))
    x = int((10 + speed * t) % (SIZE[1] - 30))
    frame[30:60, x : x + 30] = (250, 250, 250)
    return frame


@pytest.mark.parametrize(
    "rgb, name",
    [((220, 30, 30), "red"), ((40, 200, 60), "green"), ((30, 60, 220), "blue"), ((250, 220, 40), "yellow"),
     ((250, 250, 250), "white"), ((5, 5, 5), "black"), ((128, 128, 128), "gray"), ((120, 70, 20), "brown"),
     ((250, 140, 30), "orange"), ((230, 40, 200), "pink")],
)
def test_solid_colours_get_their_names(rgb, name):
    names = colour_names(solid(rgb))
    assert COLOUR_NAMES[int(np.bincount(names).argmax())] == name


def test_dominant_colours_and_light_of_a_two_colour_frame():
    frame = solid((220, 30, 30))
    frame[:, : SIZE[1] // 4] = (30, 60, 220)  # a quarter blue
    stats = compute_frame_stats([frame, frame], [0.0, 1.0])
    assert [n for n, _ in stats.dominant_colours] == ["red", "blue"]
    assert stats.dominant_colours[0][1] == pytest.approx(0.75, abs=0.03)
    dark = compute_frame_stats([solid((10, 10, 10))])
    assert dark.brightness < 0.1 < stats.brightness
    assert dark.colourfulness < 0.01 < stats.colourfulness
    v = stats.vector()
    assert v.dtype == np.float32 and np.linalg.norm(v) == pytest.approx(1.0, abs=1e-5)


def test_statistics_tags_name_what_a_viewer_sees():
    still_dark = compute_frame_stats([solid((10, 10, 10))] * 3, [0.0, 1.0, 2.0])
    tags = stats_tags(still_dark)
    assert {"black", "static shot", "dark"} <= {t.label for t in tags}
    assert all(t.source == "frame_stats" and 0 < t.score <= 1 for t in tags)


def test_moving_square_has_motion_and_still_frames_do_not(tmp_path):
    moving, still = tmp_path / "moving.mp4", tmp_path / "still.mp4"
    write_clip(moving, [(i / 25, moving_square(i / 25, 28.0)) for i in range(75)])  # 84 px in 3 s: no wrap
    write_clip(still, [(i / 25, moving_square(0.0, 0.0)) for i in range(75)])
    results = {}
    for path in (moving, still):
        media = decode(path)
        results[path.stem] = compute_frame_stats(
            media.frames, media.frame_times, media.info.duration_s, media.shot_starts, media.motion_per_s
        )
    assert results["moving"].motion_level in ("slow", "fast") and results["moving"].motion > 0.02
    assert results["still"].motion_level == "still"
    assert results["moving"].shots == results["still"].shots == 1  # motion is not a cut


def test_no_faces_on_synthetic_frames():
    counter = FaceCounter()
    assert counter.count(moving_square(0.0, 0.0)) == 0
    assert counter.count(solid((200, 170, 150))) == 0


def test_faces_are_counted_on_the_picked_frames_and_every_opening_frame():
    frames = [solid((90, 90, 90)) for _ in range(10)]
    stats = compute_frame_stats(frames, [float(t) for t in range(10)], 10.0, [0.0, 5.0], face_frames=2,
                                face_opening_s=3.0)
    assert stats.face_times == [0.0, 1.0, 2.0, 7.0]  # 0-2 s: the opening; 2 and 7: the middle of each shot
    assert len(stats.faces_per_frame) == len(stats.face_times)
