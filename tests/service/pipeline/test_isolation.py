"""One bad file never stops a batch: every hostile file of the hardening probe gets its own error row (or, for a
bad sidecar, a warning and a video embedded without words) and the good files after it are stored."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from extractors.errors import MediaError, ModelUnavailableError
from service.pipeline.batch import embed_folder
from service.pipeline.failures import file_error
from service.pipeline.files import find_videos
from service.pipeline.pool import ThreadMedia
from service.pipeline.sidecar import read_sidecar
from service.storage import Store
from tests.helpers.clips import textured, write_clip
from tests.helpers.hostile import write_mkv_without_duration

GOOD_WORDS = {"title": "pasta night", "hashtags": ["#pasta", "#dinner"]}


def _clip_with_sidecar(folder: Path, name: str, sidecar: bytes | None) -> Path:
    """A two-second clip of its own content (its own id) with the given sidecar bytes."""
    video = folder / f"{name}.mp4"
    seed = sum(name.encode())
    write_clip(video, [(i / 5, textured(seed, i / 5)) for i in range(10)])
    if sidecar is not None:
        video.with_suffix(".json").write_bytes(sidecar)
    return video


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    _clip_with_sidecar(folder, "a_null_hashtags", b'{"title": "pasta night", "hashtags": null}')
    _clip_with_sidecar(folder, "b_deep", b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")  # 195 KiB
    _clip_with_sidecar(folder, "c_huge", b'{"title": "' + b"x" * (50 * 1024 * 1024) + b'"}')
    _clip_with_sidecar(folder, "d_wrong_type", b'{"title": "fine", "hashtags": 5}')
    os.mkfifo(folder / "e_pipe.mp4")
    write_clip(folder / "f_thin.mp4", [(i / 5, np.full((16, 3840, 3), 90, np.uint8)) for i in range(5)],
               size=(16, 3840))
    write_mkv_without_duration(folder / "g_long_no_duration.mkv", seconds=700, fps=1)  # the limit is 600 s
    _clip_with_sidecar(folder, "z_last_good", json.dumps(GOOD_WORDS).encode())
    return folder


@pytest.fixture(scope="module")
def report_and_store(analyzer, hostile_folder, tmp_path_factory):
    """The session's analyzer, its CPU stage in threads of this process (no worker processes to start)."""
    media = ThreadMedia(analyzer.media, 2)
    try:
        with Store(tmp_path_factory.mktemp("store") / "store.db") as store:
            report = embed_folder(analyzer, store, find_videos(hostile_folder), pool=media)
            yield report, {Path(r.path).name: r for r in store.records()}
    finally:
        media.close()


def test_every_hostile_file_is_listed(hostile_folder):
    assert [p.name for p in find_videos(hostile_folder)] == [
        "a_null_hashtags.mp4", "b_deep.mp4", "c_huge.mp4", "d_wrong_type.mp4", "e_pipe.mp4", "f_thin.mp4",
        "g_long_no_duration.mkv", "z_last_good.mp4"]


def test_bad_media_become_error_rows_with_stable_codes(report_and_store):
    report, _ = report_and_store
    assert {f.path.name: f.code for f in report.failures} == {
        "e_pipe.mp4": "unreadable", "f_thin.mp4": "extreme_aspect_ratio", "g_long_no_duration.mkv": "too_long"}


def test_the_good_file_after_them_is_stored_with_its_words(report_and_store):
    _, stored = report_and_store
    good = stored["z_last_good.mp4"]
    assert (good.title, good.hashtags) == (GOOD_WORDS["title"], GOOD_WORDS["hashtags"])


def test_null_hashtags_read_as_none(report_and_store):
    _, stored = report_and_store
    assert (stored["a_null_hashtags.mp4"].title, stored["a_null_hashtags.mp4"].hashtags) == ("pasta night", [])


@pytest.mark.parametrize("name", ["b_deep.mp4", "c_huge.mp4", "d_wrong_type.mp4"])
def test_a_bad_sidecar_is_a_warning_and_the_video_is_embedded_without_words(report_and_store, name):
    report, stored = report_and_store
    assert name in {w.path.name for w in report.warnings if w.code == "sidecar_invalid"}
    assert (stored[name].title, stored[name].hashtags) == ("", [])
    assert any(w.startswith("[sidecar_invalid]") for w in stored[name].warnings)


def test_the_sidecar_reasons_say_what_was_wrong(hostile_folder):
    reasons = {name: read_sidecar(hostile_folder / f"{name}.mp4").problem.message
               for name in ("b_deep", "c_huge", "d_wrong_type")}
    assert "nested too deeply" in reasons["b_deep"]
    assert "KiB" in reasons["c_huge"]
    assert "hashtags" in reasons["d_wrong_type"]


@pytest.mark.parametrize("exc, code", [
    (PermissionError(13, "Permission denied"), "unreadable"),
    (MemoryError(), "out_of_memory"),
    (RecursionError("maximum recursion depth exceeded"), "analysis_failed"),
    (TypeError("'NoneType' object is not iterable"), "analysis_failed"),
])
def test_any_failure_of_one_file_becomes_its_error_row(exc, code):
    error = file_error(Path("clip.mp4"), exc)
    assert isinstance(error, MediaError) and error.code == code and "clip.mp4" in error.message


def test_a_missing_model_still_stops_the_batch():
    """Not about one file: every file would fail the same way, so it is not turned into rows."""
    with pytest.raises(ModelUnavailableError):
        file_error(Path("clip.mp4"), ModelUnavailableError("REELSENSE_CLIP_MODEL", "no weights"))
