"""Limits hold on what is decoded, not only on what the header claims: files that declare no duration, frame and
pixel budgets, pictures larger or thinner than allowed, too many streams, files that cannot be read."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from extractors.media import MediaError, MediaLimits, decode, probe
from tests.helpers import REPO, SAMPLE_MEDIA
from tests.helpers.clips import write_clip
from tests.helpers.hostile import write_mjpeg_mkv, write_mkv_without_duration

MB = 1024 * 1024


@pytest.fixture(scope="module")
def undeclared(tmp_path_factory) -> Path:
    """30 s of video in an MKV whose header declares no duration."""
    return write_mkv_without_duration(tmp_path_factory.mktemp("mkv") / "live.mkv", seconds=30)


def test_an_mkv_without_a_duration_declares_none(undeclared):
    assert probe(undeclared).duration_s == 0.0


def test_a_file_without_a_declared_duration_is_measured_and_sampled_across(undeclared):
    media = decode(undeclared)
    assert media.info.duration_s == pytest.approx(30.0, abs=0.5)
    assert len(media.frames) == 30
    assert media.frame_times[-1] > 28


def test_a_file_without_a_declared_duration_is_refused_past_the_limit_before_decoding(undeclared):
    with pytest.raises(MediaError) as err:
        decode(undeclared, MediaLimits(max_duration_s=10))
    assert err.value.code == "too_long"
    assert "declares no duration" in err.value.message


def test_the_frame_budget_stops_the_decoder():
    with pytest.raises(MediaError) as err:
        decode(SAMPLE_MEDIA / "gym_workout.mp4", MediaLimits(max_decoded_frames=10))
    assert err.value.code == "too_many_frames"


def test_the_pixel_budget_stops_the_decoder():
    with pytest.raises(MediaError) as err:
        decode(SAMPLE_MEDIA / "gym_workout.mp4", MediaLimits(max_decoded_pixels=240 * 424 * 5))
    assert err.value.code == "too_many_frames"


@pytest.mark.parametrize("size", [(16, 3840), (3840, 16)])
def test_extreme_aspect_ratios_are_refused_before_any_frame_is_decoded(tmp_path, size):
    path = tmp_path / "thin.mp4"
    write_clip(path, [(i / 5, np.full((*size, 3), 90, np.uint8)) for i in range(5)], size=size)
    with pytest.raises(MediaError) as err:
        probe(path)
    assert err.value.code == "extreme_aspect_ratio"


def test_too_many_streams_are_refused():
    with pytest.raises(MediaError) as err:
        probe(SAMPLE_MEDIA / "gym_workout.mp4", MediaLimits(max_streams=1))  # video and audio: two streams
    assert err.value.code == "too_many_streams"


def test_a_pipe_named_like_a_video_is_unreadable_and_never_opened(tmp_path):
    fifo = tmp_path / "clip.mp4"
    os.mkfifo(fifo)  # opening it for reading would block forever
    with pytest.raises(MediaError) as err:
        probe(fifo)
    assert err.value.code == "unreadable"


_PROBE_AS_ANOTHER_USER = """
import json, os, sys
from extractors.media import MediaError, probe
if os.geteuid() == 0:
    os.setgid(65534)
    os.setuid(65534)  # nobody, after the imports (the interpreter may live where nobody cannot read)
try:
    probe(sys.argv[1])
    print(json.dumps({"code": None}))
except MediaError as exc:
    print(json.dumps({"code": exc.code, "message": exc.message}))
"""


def test_a_file_the_user_may_not_read_is_unreadable():
    """Run as an unprivileged user (tests may run as root, who reads every file)."""
    folder = Path(tempfile.mkdtemp())
    try:
        os.chmod(folder, 0o755)
        secret = folder / "secret.mp4"
        secret.write_bytes((SAMPLE_MEDIA / "cat_zoomies.mp4").read_bytes())
        os.chmod(secret, 0)
        out = subprocess.run([sys.executable, "-c", _PROBE_AS_ANOTHER_USER, str(secret)], capture_output=True,
                             text=True, timeout=60, cwd=str(REPO),
                             env={**os.environ, "PYTHONPATH": str(REPO)})
        answer = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        os.chmod(folder / "secret.mp4", 0o600)
        (folder / "secret.mp4").unlink()
        folder.rmdir()
    assert answer["code"] == "unreadable"
    assert "secret.mp4" in answer["message"]


_PEAK_MEMORY = """
import json, resource, sys
from extractors.media import MediaError, decode
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    media = decode(sys.argv[1])
    outcome = {"frames": len(media.frames), "warnings": media.warnings}
except MediaError as exc:
    outcome = {"code": exc.code}
outcome["peak_delta_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps(outcome))
"""


def _decode_in_a_fresh_process(path: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", _PEAK_MEMORY, str(path)], capture_output=True, text=True,
                         timeout=120, cwd=str(REPO), env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_16000_square_header_is_refused_with_little_memory(tmp_path):
    """A real 16000x16000 picture (decoding it fills 384 MB of YUV) behind a header that says so."""
    outcome = _decode_in_a_fresh_process(write_mjpeg_mkv(tmp_path / "huge.mkv", [16000, 16000], declared=16000))
    assert outcome["code"] == "resolution_too_high"
    assert outcome["peak_delta_kib"] < 100 * 1024


def test_a_frame_larger_than_its_header_says_is_never_allocated(tmp_path):
    """A stream declared 64x64 whose third frame is 16000x16000: the decoder refuses that frame before
    allocating it (before this check, decoding it raised the peak memory by about 390 MB)."""
    path = write_mjpeg_mkv(tmp_path / "grows.mkv", [64, 64, 16000, 64], declared=64)
    outcome = _decode_in_a_fresh_process(path)
    assert outcome["peak_delta_kib"] < 100 * 1024
    assert outcome.get("frames", 0) <= 2
