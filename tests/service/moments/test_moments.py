"""Time-coded search: a generated clip whose second half shows a word, analysed by the real pipeline (tiny CLIP,
MiniLM, RapidOCR), stored, and searched through the store, the recommender and the CLI."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from service.cli import main
from service.moments import MomentSearch
from service.moments.build import frame_slots
from service.recommend import Recommender
from service.storage import Store
from tests.helpers.clips import write_clip

SIZE = (200, 360)  # height, width: large enough for OCR to read the word
WORD = "HELLO"
SECONDS = 6.0


def word_clip(path) -> None:
    """Plain grey for the first half; the second half is a new shot (a title card: pale yellow, the word on it).

    A moment's time range comes from its sampled frame (one a second here) bounded by cuts, so a word that
    appeared without a cut would be placed up to half a sampling interval early."""
    plain = np.full((*SIZE, 3), 235, np.uint8)
    worded = np.full((*SIZE, 3), (250, 240, 150), np.uint8)
    cv2.putText(worded, WORD, (30, 120), cv2.FONT_HERSHEY_DUPLEX, 2.2, (20, 20, 20), 5, cv2.LINE_AA)
    write_clip(path, [(i / 25, plain if i / 25 < SECONDS / 2 else worded) for i in range(int(SECONDS * 25))], SIZE)


@pytest.fixture(scope="module")
def stored(analyzer, tmp_path_factory):
    """(store path, record) of the word clip, analysed and stored once."""
    folder = tmp_path_factory.mktemp("moments")
    word_clip(folder / "word.mp4")
    record = analyzer.analyze(folder / "word.mp4")
    db = folder / "store.db"
    with Store(db) as store:
        store.add(record)
    return db, record


@pytest.fixture()
def store(stored):
    with Store(stored[0]) as s:
        yield s


def test_the_record_has_a_text_moment_in_the_second_half(stored):
    text = [m for m in stored[1].moments if m.kind == "text"]
    assert [m.text.upper() for m in text] == [WORD]
    assert text[0].start_s >= SECONDS / 2


def test_with_clip_weights_every_sampled_frame_is_a_moment(stored):
    record = stored[1]
    frames = [m for m in record.moments if m.kind == "frame"]
    assert len(frames) == record.features["visual"].stats["frames"]
    assert frames[0].vector.shape == (record.features["visual"].vector.size,)


def test_moments_are_stored_as_float16_and_read_back(store, stored):
    record = stored[1]
    back = store.moments_of([record.id])[record.id]
    assert len(back) == len(record.moments)
    original = next(m for m in record.moments if m.kind == "text").vector
    read = next(m for m in back if m.kind == "text").vector
    assert np.abs(read - original).max() < 1e-3


def test_a_search_for_the_word_returns_a_moment_in_the_second_half(store, stored, analyzer):
    rec = Recommender(store, analyzer.settings, text=analyzer.text)
    items = MomentSearch(store, text=analyzer.text).attach("hello", rec.search("hello", 5))
    moment = items[0]["moment"]
    assert moment["kind"] == "text"
    assert SECONDS / 2 <= moment["start_s"] < moment["end_s"] <= SECONDS


def test_the_best_moment_has_a_thumbnail_of_its_frame(store, stored, analyzer):
    best = MomentSearch(store, text=analyzer.text).rank(stored[1].id, "hello", 1)[0]
    assert best["thumbnail_url"] == f"/videos/{stored[1].id}/frames/{best['frame_index']}.jpg"


def test_a_query_matching_nothing_returns_no_moment(store, stored, analyzer):
    assert MomentSearch(store, text=analyzer.text).rank(stored[1].id, "volcano eruption", 5) == []


def test_search_reads_only_the_moments_of_the_videos_it_returned(stored, analyzer, tmp_path):
    class CountingStore(Store):
        """The real store, recording which videos' moments were read."""

        def __init__(self, path):
            super().__init__(path)
            self.asked: list[str] = []

        def moments_of(self, video_ids):
            self.asked.extend(video_ids)
            return super().moments_of(video_ids)

    with CountingStore(stored[0]) as store:
        MomentSearch(store, text=analyzer.text).attach("hello", [{"video_id": stored[1].id}])
        assert store.asked == [stored[1].id]


def test_deleting_a_video_deletes_its_moments(stored, analyzer, tmp_path):
    with Store(tmp_path / "copy.db") as store:
        store.add(stored[1])
        store.delete(stored[1].id)
        assert store.moment_count() == 0


def test_cli_search_prints_the_best_moment(stored, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("REELSENSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REELSENSE_CLIP_TEXT_SEARCH", "false")
    assert main(["search", "hello", "-k", "1", "--db", str(stored[0])]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["items"][0]["moment"]["start_s"] >= SECONDS / 2


def test_frame_slots_run_from_midpoint_to_midpoint():
    assert frame_slots([0.5, 1.5, 2.5], 3.0) == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]


def test_a_cut_between_two_frames_is_their_slot_boundary():
    assert frame_slots([0.5, 1.5, 2.5], 3.0, [0.0, 1.4]) == [(0.0, 1.4), (1.4, 2.0), (2.0, 3.0)]
