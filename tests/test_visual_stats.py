"""Weight-free visual statistics and shot-aware sampling on frames and clips generated here, with known answers."""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from extractors.frame_stats import COLOUR_NAMES, FaceCounter, colour_names, compute_frame_stats
from extractors.media import SamplingOptions, decode, sample_times

SIZE = (96, 128)  # height, width


def solid(rgb) -> np.ndarray:
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
            frame.pts, frame.time_base = int(round(t * 1000)), Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


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


def test_hard_cuts_are_counted_and_a_short_shot_gets_its_own_frame(tmp_path):
    path = tmp_path / "cuts.mp4"
    colours = [(0.0, (220, 30, 30)), (0.7, (30, 60, 220)), (1.0, (40, 200, 60))]  # the blue shot lasts 0.3 s

    def colour_at(t: float):
        return [c for start, c in colours if start <= t + 1e-9][-1]

    write_clip(path, [(i / 25, solid(colour_at(i / 25))) for i in range(75)])
    media = decode(path, options=SamplingOptions(frames_per_second=1.0))
    assert media.shot_starts == pytest.approx([0.0, 0.7, 1.0], abs=0.05)
    names = [COLOUR_NAMES[int(np.bincount(colour_names(f)).argmax())] for f in media.frames]
    assert "blue" in names  # no timed sample (0.5, 1.5, 2.5 s) falls in the 0.3 s blue shot
    assert media.frame_times == sorted(media.frame_times)
    stats = compute_frame_stats(media.frames, media.frame_times, media.info.duration_s, media.shot_starts, media.motion_per_s)
    assert stats.shots == 3 and stats.cuts_per_s == pytest.approx(2 / 3.0, abs=0.05)
    off = decode(path, options=SamplingOptions(frames_per_second=1.0, detect_shots=False))
    assert len(off.frames) == 3 and off.shot_starts == []


def test_variable_frame_rate_is_sampled_by_timestamp(tmp_path):
    """Dense frames for a second, then sparse ones: frame indices would land at the wrong times."""
    times = [i * 0.02 for i in range(50)] + [1.0 + i * 0.5 for i in range(7)]  # 50 fps then 2 fps, 4 s in all

    def grey(t: float) -> np.ndarray:
        return solid((int(40 + 50 * t),) * 3)  # the frame's own time is written in its brightness

    path = tmp_path / "vfr.mkv"  # Matroska keeps each frame's timestamp as written
    write_clip(path, [(t, grey(t)) for t in times])
    options = SamplingOptions(frames_per_second=1.0, detect_shots=False)
    media = decode(path, options=options)
    targets = sample_times(media.info.duration_s, options)
    assert len(media.frames) == len(targets) >= 4
    for t, frame in zip(media.frame_times, media.frames):
        assert (float(frame.mean()) - 40) / 50 == pytest.approx(t, abs=0.05)  # content matches its timestamp
    # Each target gets the first frame shown at or after it (the sparse part has one every 0.5 s),
    # where picking by index at the average rate (14 fps) would land near 0.3, 1.0, 1.5, 2.5 s.
    for target, t in zip(targets, media.frame_times):
        assert target - 0.05 <= t <= target + 0.5
    assert media.frame_times[-1] >= 3.0


def test_no_faces_on_synthetic_frames():
    counter = FaceCounter()
    assert counter.count(moving_square(0.0, 0.0)) == 0
    assert counter.count(solid((200, 170, 150))) == 0
