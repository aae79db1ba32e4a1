"""The three decode modes on generated clips with known cuts, and on PySceneDetect's public test videos when
they are on this machine: the same cuts as a full decode where the mode promises it, fewer frames decoded."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from extractors.errors import ModelUnavailableError
from extractors.media import SamplingOptions, decode, sample_times
from tests.helpers.clips import solid, textured, write_clip

FPS = 25
CUTS = [1.6, 3.2]  # seconds; the shots pan over different textures
# PySceneDetect's test videos, when fetched (see bench/shot_accuracy.py); never part of this repository.
SCENEDETECT = Path(os.environ.get("REELSENSE_BENCH_CACHE", Path.home() / ".cache" / "reelsense-bench")) / "scenedetect"


def _seed(t: float) -> int:
    return sum(1 for c in CUTS if c <= t + 1e-9)


@pytest.fixture(scope="module")
def keyed_clip(tmp_path_factory) -> Path:
    """4.8 s at 25 fps, a keyframe every 1 s plus x264's scene-cut keyframes at the cuts."""
    path = tmp_path_factory.mktemp("modes") / "keyed.mp4"
    frames = [(i / FPS, textured(_seed(i / FPS), i / FPS)) for i in range(int(4.8 * FPS))]
    write_clip(path, frames, options={"g": str(FPS), "bf": "3"})
    return path


@pytest.mark.parametrize("mode", ["full", "reference", "fast"])
def test_every_mode_finds_the_cuts_and_keeps_one_frame_per_sample_time(keyed_clip, mode):
    media = decode(keyed_clip, options=SamplingOptions(decode_mode=mode))
    assert media.shot_starts[1:] == pytest.approx(CUTS, abs=0.05)
    assert len(media.frame_times) == len(sample_times(media.info.duration_s, SamplingOptions()))


def test_reference_and_fast_modes_decode_fewer_frames(keyed_clip):
    decoded = {mode: decode(keyed_clip, options=SamplingOptions(decode_mode=mode)).decoded_frames
               for mode in ("full", "reference", "fast")}
    assert decoded["full"] == int(4.8 * FPS)
    assert decoded["reference"] < decoded["full"]
    assert decoded["fast"] < decoded["reference"]


def test_a_fade_in_from_black_starts_a_shot(tmp_path):
    """The first frames of a fade-in differ little from black; the shot still starts there."""
    frames = [(i / FPS, solid((0, 0, 0))) for i in range(25)]
    frames += [(1 + i / FPS, solid((min(255, 2 + 3 * i),) * 3)) for i in range(25)]
    path = tmp_path / "fade.mp4"
    write_clip(path, frames)
    media = decode(path, options=SamplingOptions(decode_mode="full"))
    assert media.shot_starts == pytest.approx([0.0, 1.0], abs=0.05)


def test_an_unknown_mode_names_the_setting(keyed_clip):
    with pytest.raises(ModelUnavailableError) as err:
        decode(keyed_clip, options=SamplingOptions(decode_mode="turbo"))
    assert err.value.details["setting"] == "REELSENSE_DECODE_MODE"


# PySceneDetect's goldens (ContentDetector): testvideo.mp4 at frames 30, 180, 394 (29.97 fps; 394 is a fade-in
# from black), goldeneye-vfr-drop3.mp4 at frames 90, 210 of its 24000/1001 fps timeline.
GOLDENS = {"testvideo.mp4": ([30, 180, 394], 30000 / 1001), "goldeneye-vfr-drop3.mp4": ([90, 210], 24000 / 1001)}


@pytest.mark.parametrize("mode", ["full", "reference"])
@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_pyscenedetect_cuts_are_found(name, mode):
    path = SCENEDETECT / name
    if not path.is_file():
        pytest.skip(f"{path} is absent: fetch PySceneDetect's test videos (see bench/shot_accuracy.py)")
    frames, fps = GOLDENS[name]
    starts = decode(path, options=SamplingOptions(decode_mode=mode)).shot_starts
    for frame in frames:
        assert any(abs(s - frame / fps) <= 0.1 for s in starts), f"cut at frame {frame} missed: {starts}"
