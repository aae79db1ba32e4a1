"""Batches through `Analyzer.analyze_many`: the CPU stage in worker processes, text and CLIP across videos in
this process. The records are those of analysing each file alone, in input order; a bad file is reported and
the batch goes on; a worker process killed mid-batch costs nothing but a restart."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from extractors.errors import MediaError
from service.fusion import MODALITIES
from service.storage import Store
from tests.helpers import SAMPLE_MEDIA

FILES = ["gym_workout.mp4", "pasta_recipe.mp4", "cat_zoomies.mp4", "dance_party.mp4"]


@pytest.fixture(scope="module")
def pooled(settings_factory):
    """An Analyzer whose batches use two worker processes and put up to 64 frames in one CLIP pass."""
    from service.factory import Components

    return Components(settings_factory(media_processes=2, clip_batch_size=64)).analyzer


def _spawned_children() -> list[int]:
    """Process ids of this process's spawned pool workers (read from /proc, Linux; not the resource tracker)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if f"\nPPid:\t{os.getpid()}\n" in status and b"spawn_main" in cmdline:
            pids.append(int(entry.name))
    return pids


def test_a_pooled_batch_gives_the_records_of_single_analyses_in_order(pooled, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 40)
    paths = [SAMPLE_MEDIA / FILES[0], broken, *(SAMPLE_MEDIA / f for f in FILES[1:])]
    results = list(pooled.analyze_many(paths))
    assert [r[0] for r in results] == paths
    path, record, error, _ = results[1]
    assert record is None and isinstance(error, MediaError) and error.code == "not_media"
    for path, record, error, seconds in results[:1] + results[2:]:
        alone = pooled.analyze(path)
        assert error is None and record.id == alone.id
        for m in MODALITIES:
            np.testing.assert_allclose(record.features[m].vector, alone.features[m].vector, atol=1e-4)
        assert {"decode", "ocr", "audio", "text", "visual"} <= set(seconds)


def test_what_the_workers_make_reaches_the_store_as_from_a_single_analysis(pooled, tmp_path):
    """Thumbnails, sound and picture prints and the safety flag are made in the worker processes; hook and pacing
    statistics and the per-frame CLIP moments here. A pooled batch's record carries them all, as stored."""
    path = SAMPLE_MEDIA / "dance_party.mp4"
    [(_, record, error, _)] = list(pooled.analyze_many([path]))
    alone = pooled.analyze(path)
    assert error is None
    assert record.frames
    assert [(f.time_s, f.jpeg) for f in record.frames] == [(f.time_s, f.jpeg) for f in alone.frames]
    np.testing.assert_array_equal(record.sound_print.hashes, alone.sound_print.hashes)
    np.testing.assert_array_equal(record.frame_print.hashes, alone.frame_print.hashes)
    stats, single = record.features["visual"].stats, alone.features["visual"].stats
    assert (stats["hook"], stats["pacing"]) == (single["hook"], single["pacing"])
    assert stats["safety"]["status"] == single["safety"]["status"]
    frame_moments = [m for m in record.moments if m.kind == "frame"]
    assert len(frame_moments) == len(record.frames)
    np.testing.assert_allclose(np.stack([m.vector for m in frame_moments]),
                               np.stack([m.vector for m in alone.moments if m.kind == "frame"]), atol=1e-4)
    with Store(tmp_path / "store.db") as store:
        assert store.add(record)
        stored = store.get(record.id)
        moments = store.moments_of([record.id])[record.id]
        assert store.frame_jpeg(record.id, 0) == record.frames[0].jpeg
    assert len(stored.frames) == len(record.frames)
    assert len([m for m in moments if m.kind == "frame" and m.vector is not None]) == len(frame_moments)


def test_workers_killed_mid_batch_are_replaced_and_every_file_still_comes_out(pooled, caplog):
    paths = [SAMPLE_MEDIA / f for f in FILES * 3]
    batch = pooled.analyze_many(paths)
    first = next(batch)
    deadline = time.monotonic() + 30
    while not (children := _spawned_children()) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in children:  # every worker, so that files in flight are lost for sure
        os.kill(pid, signal.SIGKILL)
    results = [first, *batch]
    assert not set(children) & set(_spawned_children())  # the killed workers were replaced
    assert "pool restarted" in caplog.text
    assert [r[0] for r in results] == paths
    assert all(error is None and record is not None for _, record, error, _ in results)
