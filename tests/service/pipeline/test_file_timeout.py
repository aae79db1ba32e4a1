"""REELSENSE_FILE_TIMEOUT_S: a file whose CPU stage overruns its limit is that file's `file_timeout` row, its
worker processes are replaced, and the batch goes on; the same files embed normally within the limit."""
from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from service.pipeline.batch import embed_folder
from service.pipeline.files import find_videos
from service.storage import Store
from tests.helpers import SAMPLE_MEDIA

CLIPS = ["cat_zoomies", "gym_workout", "pasta_recipe"]


@pytest.fixture(scope="module")
def components(settings_factory):
    from service.factory import Components

    return Components(settings_factory(media_processes=2, file_timeout_s=0.01))


@pytest.fixture(scope="module")
def pooled(components):
    return components.analyzer


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("timeout_media")
    for name in CLIPS:
        shutil.copy(SAMPLE_MEDIA / f"{name}.mp4", folder)
    return folder


def test_the_setting_reaches_the_batch(pooled):
    assert pooled.batch.file_timeout_s == 0.01 and pooled.batch.processes == 2


def test_files_over_the_limit_are_reported_and_nothing_is_stored(pooled, folder, tmp_path):
    with Store(tmp_path / "store.db") as store:
        report = embed_folder(pooled, store, find_videos(folder))
        assert sorted((f.path.name, f.code) for f in report.failures) == [(f"{n}.mp4", "file_timeout") for n in CLIPS]
        assert all("REELSENSE_FILE_TIMEOUT_S" in f.message for f in report.failures)
        assert report.embedded == 0 and store.count() == 0


def test_after_a_timeout_the_replaced_workers_embed_within_the_limit(components, pooled, folder, tmp_path):
    pool = components.media_pool()  # one pool for both runs: the second gets the workers that replaced the first's
    with Store(tmp_path / "store.db") as store:
        try:
            first = embed_folder(pooled, store, find_videos(folder)[:1], pool=pool)
            pooled.batch = replace(pooled.batch, file_timeout_s=600.0)
            report = embed_folder(pooled, store, find_videos(folder), pool=pool)
        finally:
            pooled.batch = replace(pooled.batch, file_timeout_s=0.01)
            pool.close()
        assert [f.code for f in first.failures] == ["file_timeout"]
        assert (report.failures, report.embedded, store.count()) == ([], len(CLIPS), len(CLIPS))
