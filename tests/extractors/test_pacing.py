"""Hook and pacing on clips generated with known cuts and beats, decoded and analysed by the real extractors."""
from __future__ import annotations

import librosa
import numpy as np
import pytest

from extractors.audio import AudioExtractor
from extractors.media import decode
from extractors.pacing import PacingInput, beat_alignment, cuts_timeline, describe_pacing, hook_stats
from tests.helpers.clips import solid, write_clip, write_clip_with_audio

SR = 22050
FPS = 25
RED, BLUE, GREEN, YELLOW = (220, 30, 30), (30, 40, 220), (30, 200, 60), (230, 220, 40)


def colour_at(t: float, cuts: list[float]) -> tuple[int, int, int]:
    palette = (RED, BLUE, GREEN, YELLOW)
    return palette[sum(1 for c in cuts if c <= t + 1e-9) % len(palette)]


def clip_frames(seconds: float, cuts: list[float]) -> list[tuple[float, np.ndarray]]:
    return [(i / FPS, solid(colour_at(i / FPS, cuts))) for i in range(int(seconds * FPS))]


def pacing_of(path) -> tuple[dict, list[str]]:
    media = decode(path)
    audio = AudioExtractor(warm_up=False).extract_samples(media.audio, media.sample_rate).stats
    stats, tags = describe_pacing(PacingInput(media.info.duration_s, media.frame_times, media.frames,
                                              media.shot_starts, audio=audio))
    return stats, [t.label for t in tags]


@pytest.fixture(scope="module")
def cut_at_one_second(tmp_path_factory):
    path = tmp_path_factory.mktemp("hook") / "cut_at_1s.mp4"
    write_clip(path, clip_frames(4.0, [1.0]))
    return pacing_of(path)


def test_hook_counts_the_cut_at_one_second(cut_at_one_second):
    hook = cut_at_one_second[0]["hook"]
    assert hook["cuts"] == 1
    assert hook["cut_times"] == [pytest.approx(1.0, abs=0.05)]


def test_hook_of_a_clip_without_audio_says_so(cut_at_one_second):
    hook = cut_at_one_second[0]["hook"]
    assert hook["sound"] == "none" and hook["loudness_db"] is None


def test_one_cut_is_not_a_fast_paced_opening(cut_at_one_second):
    assert "fast-paced opening" not in cut_at_one_second[1]


def test_solid_shots_have_no_motion_in_the_opening(cut_at_one_second):
    assert cut_at_one_second[0]["hook"]["motion"] == pytest.approx(0.0, abs=0.01)


def test_three_cuts_in_three_seconds_make_a_fast_paced_opening(tmp_path):
    path = tmp_path / "fast.mp4"
    write_clip(path, clip_frames(4.0, [0.7, 1.4, 2.1]))
    stats, tags = pacing_of(path)
    assert stats["hook"]["cuts"] == 3
    assert "fast-paced opening" in tags


def beat_music(bpm: float, seconds: float) -> np.ndarray:
    """A kick drum on every beat over a held A minor chord: music with a clear pulse."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    y = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 261.63, 329.63)) * 0.08
    kick = librosa.clicks(times=np.arange(0, seconds, 60.0 / bpm), sr=SR, length=n, click_freq=60.0,
                          click_duration=0.15)
    return (y + 0.8 * kick).astype(np.float32)


@pytest.fixture(scope="module")
def beat_clips(tmp_path_factory):
    """Two 8 s clips over 120 BPM music: cuts every second on the beat, and the same cuts 250 ms late."""
    folder = tmp_path_factory.mktemp("beats")
    out = {}
    for name, offset in (("on_beat", 0.0), ("off_beat", 0.25)):
        cuts = [round(s + offset, 3) for s in np.arange(1.0, 8.0, 1.0)]
        write_clip_with_audio(folder / f"{name}.mp4", clip_frames(8.0, cuts), beat_music(120, 8.0), SR)
        out[name] = pacing_of(folder / f"{name}.mp4")
    return out


def test_cuts_on_generated_beats_score_high_alignment(beat_clips):
    alignment = beat_clips["on_beat"][0]["pacing"]["beat_alignment"]
    assert alignment["cuts"] >= 6
    assert alignment["share"] >= 0.8


def test_cuts_off_the_beat_score_low_alignment(beat_clips):
    alignment = beat_clips["off_beat"][0]["pacing"]["beat_alignment"]
    assert alignment["share"] <= alignment["chance"]


def test_on_beat_edit_tag_only_for_cuts_on_the_beat(beat_clips):
    assert "on-beat edit" in beat_clips["on_beat"][1]
    assert "on-beat edit" not in beat_clips["off_beat"][1]


def test_cuts_on_the_beat_lie_within_the_tolerance(beat_clips):
    alignment = beat_clips["on_beat"][0]["pacing"]["beat_alignment"]
    assert alignment["median_offset_s"] <= alignment["tolerance_s"] == 0.08


def test_cuts_timeline_counts_cuts_per_second():
    timeline = cuts_timeline([0.5, 1.2, 1.7, 3.5], 4.0)
    assert timeline == {"bin_s": 1.0, "cuts_per_s": [1.0, 2.0, 0.0, 1.0]}


def test_long_clips_get_longer_timeline_bins():
    assert cuts_timeline([10.0], 120.0)["bin_s"] == 4.0


def test_alignment_chance_level_follows_the_beat_period():
    alignment = beat_alignment([1.0, 2.0], [0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
    assert alignment["chance"] == pytest.approx(0.32)
    assert alignment["share"] == 1.0


def test_no_alignment_without_beats():
    assert beat_alignment([1.0, 2.0], []) is None


def test_hook_faces_are_read_at_the_times_they_were_counted():
    frames = [solid((90, 90, 90)) for _ in range(10)]
    x = PacingInput(10.0, [float(t) for t in range(10)], frames, [0.0], faces_per_frame=[0, 2], face_times=[1.0, 7.0])
    assert hook_stats(x)["faces_max"] == 0  # the face was seen at 7 s, after the opening
