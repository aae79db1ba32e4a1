"""Which frames decoding keeps: evenly spread targets, by timestamp under a variable frame rate, and an own
frame for a shot too short for any timed sample; on clips generated here, with known answers."""
from __future__ import annotations

import numpy as np
import pytest

from extractors.media import SamplingOptions, decode, sample_times
from extractors.visual.frame_stats import COLOUR_NAMES, colour_names, compute_frame_stats
from tests.helpers.clips import solid, write_clip


def test_sampling_is_capped_and_spread():
    times = sample_times(100.0, SamplingOptions(frames_per_second=1.0, max_frames=10))
    assert len(times) == 10 and times[0] == pytest.approx(5.0) and times[-1] == pytest.approx(95.0)


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
    stats = compute_frame_stats(media.frames, media.frame_times, media.info.duration_s, media.shot_starts,
                                media.motion_per_s)
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
    for t, frame in zip(media.frame_times, media.frames, strict=True):
        assert (float(frame.mean()) - 40) / 50 == pytest.approx(t, abs=0.05)  # content matches its timestamp
    # Each target gets the first frame shown at or after it (the sparse part has one every 0.5 s),
    # where picking by index at the average rate (14 fps) would land near 0.3, 1.0, 1.5, 2.5 s.
    for target, t in zip(targets, media.frame_times, strict=True):
        assert target - 0.05 <= t <= target + 0.5
    assert media.frame_times[-1] >= 3.0
