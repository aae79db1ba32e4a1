"""Thumbnails and shots in the store: written with the video in one transaction, read without their bytes,
deleted with the video, and older stores migrate to hold them."""
from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from service.records import FrameThumbnail
from service.storage import Store
from service.storage import database as database_module
from tests.helpers import SAMPLE_MEDIA


@pytest.fixture(scope="module")
def record(analyzer):
    return analyzer.analyze(SAMPLE_MEDIA / "gym_workout.mp4")


def rows(store: Store, table: str) -> int:
    return store._one(f"SELECT COUNT(*) FROM {table}")[0]


def test_a_stored_video_lists_its_frames_without_their_bytes(record, tmp_path):
    with Store(tmp_path / "db.sqlite") as store:
        store.add(record)
        loaded = store.get(record.id)
    assert [(f.index, f.time_s, f.width, f.height) for f in loaded.frames] == [
        (f.index, f.time_s, f.width, f.height) for f in record.frames]
    assert {f.jpeg for f in loaded.frames} == {None}
    assert loaded.shot_starts == record.shot_starts


def test_each_frame_reads_back_byte_for_byte(record, tmp_path):
    with Store(tmp_path / "db.sqlite") as store:
        store.add(record)
        assert [store.frame_jpeg(record.id, f.index) for f in record.frames] == [f.jpeg for f in record.frames]
        assert store.frame_jpeg(record.id, len(record.frames)) is None
        assert store.thumbnail_bytes(record.id) == sum(len(f.jpeg) for f in record.frames)


def test_deleting_a_video_deletes_its_thumbnails_and_shots(record, tmp_path):
    with Store(tmp_path / "db.sqlite") as store:
        store.add(record)
        store.delete(record.id)
        assert store.frame_jpeg(record.id, 0) is None
        assert (rows(store, "video_frames"), rows(store, "video_shots")) == (0, 0)


def test_a_failed_write_leaves_neither_the_video_nor_its_frames(record, tmp_path):
    duplicate = [*record.frames, FrameThumbnail(0, 9.0, 16, 9, b"\xff\xd8")]  # index 0 twice
    with Store(tmp_path / "db.sqlite") as store:
        with pytest.raises(sqlite3.IntegrityError):
            store.add(replace(record, frames=duplicate))
        assert not store.has(record.id)
        assert rows(store, "video_frames") == 0


def test_reembedding_replaces_the_thumbnails(record, tmp_path):
    with Store(tmp_path / "db.sqlite") as store:
        store.add(record)
        fewer = replace(record, frames=record.frames[:2], shot_starts=[0.0])
        store.replace_vectors([fewer])
        assert len(store.get(record.id).frames) == 2
        assert store.get(record.id).shot_starts == [0.0]


def test_a_store_made_before_thumbnails_migrates_and_reads_videos_without_frames(record, tmp_path):
    path = tmp_path / "old.sqlite"
    with Store(path) as store:
        store.add(record)
    _downgrade_to_first_schema(path)  # what a store written before thumbnails (and later features) holds
    with Store(path) as store:
        assert store.schema_version == len(database_module.MIGRATIONS)
        assert store.get(record.id).frames == []
        store.add(replace(record, id="f" * 64))
        assert len(store.get("f" * 64).frames) == len(record.frames)


def _downgrade_to_first_schema(path) -> None:
    """Drop every table, index and trigger that later migrations added, and mark the file as version 1."""
    with sqlite3.connect(":memory:") as first:
        first.executescript(database_module.MIGRATIONS[0])
        keep = {name for (name,) in first.execute("SELECT name FROM sqlite_master")}
    with sqlite3.connect(path) as conn:
        later = conn.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
        for kind, name in later:
            if name not in keep and kind in ("table", "index", "trigger"):
                conn.execute(f"DROP {kind.upper()} IF EXISTS {name}")
        conn.execute("PRAGMA user_version=1")
