"""One storage suite, run on each backend (SQLite file, PostgreSQL database): what the service reads back is
the same whichever store wrote it."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from extractors.audio.fingerprint import SoundPrint
from extractors.base import Tag
from extractors.visual.framehash import FramePrint
from service.errors import SpaceMismatchError
from service.records import FrameThumbnail, Moment
from service.storage.rows import CatalogueRow, StateRow, VideoSignalRow
from tests.helpers.records import synthetic_record


def record(vid: str, seed: int = 0, space: str = "synthetic", created_at: float = 1000.0, tags=(), width: int = 4):
    rng = np.random.default_rng(seed)
    return synthetic_record(vid, {m: rng.normal(size=width) for m in ("text", "visual", "audio")}, space_id=space,
                            created_at=created_at, tags=list(tags))


@pytest.fixture()
def store(open_store):
    return open_store()


def test_a_record_reads_back_as_it_was_written(store):
    rec = record("a", 1, tags=[Tag("food", 0.8, "category")])
    rec.frames = [FrameThumbnail(0, 0.5, 8, 6, b"\xff\xd8jpeg0"), FrameThumbnail(1, 1.5, 8, 6, b"\xff\xd8j1")]
    rec.shot_starts = [0.0, 1.2]
    rec.moments = [Moment("frame", 0.0, 1.0, 0, "", "clip", np.ones(4, np.float32)),
                   Moment("text", 1.0, 2.0, 1, "hello", "ocr", None)]
    assert store.add(rec) is True
    assert store.add(record("a", 2)) is False  # the same id again: nothing changes
    back = store.get("a")
    assert back.fused.vector.tobytes() == rec.fused.vector.astype("<f4").tobytes()
    assert back.fused.dims == rec.fused.dims and back.fused.weights == rec.fused.weights
    for m, f in rec.features.items():
        np.testing.assert_array_equal(back.features[m].vector, f.vector.astype(np.float32))
        assert [t.label for t in back.features[m].tags] == [t.label for t in f.tags]
    assert (back.title, back.created_at, back.space_id, back.info) == (rec.title, 1000.0, "synthetic", rec.info)
    assert [(f.index, f.time_s, f.jpeg) for f in back.frames] == [(0, 0.5, None), (1, 1.5, None)]
    assert back.shot_starts == [0.0, 1.2]
    assert store.frame_jpeg("a", 1) == b"\xff\xd8j1" and store.frame_jpeg("a", 7) is None
    assert store.thumbnail_bytes("a") == len(b"\xff\xd8jpeg0") + len(b"\xff\xd8j1")
    moments = store.moments_of(["a", "none"])
    assert [m.text for m in moments["a"]] == ["", "hello"] and moments["none"] == []
    np.testing.assert_array_equal(moments["a"][0].vector, np.ones(4))
    assert store.moment_count() == 2
    assert (store.has("a"), store.has("b"), store.count(), store.ids()) == (True, False, 1, ["a"])
    assert store.space_id == "synthetic" and store.dims() == rec.fused.dims


def test_ranking_rows_slots_and_the_catalogue(store):
    store.add_many([record(f"v{i}", i, created_at=1000.0 + i, tags=[Tag("pets", 0.9, "category")] if i % 2
                           else []) for i in range(5)])
    slots = store.slots_of(["v0", "v3", "missing"])
    assert set(slots) == {"v0", "v3"} and slots["v0"] < slots["v3"]
    chunks = list(store.catalogue_rows(chunk=2))
    assert [len(c) for c in chunks] == [2, 2, 1]
    rows = [r for c in chunks for r in c]
    assert all(isinstance(r, CatalogueRow) for r in rows)
    assert [r.video_id for r in rows] == [f"v{i}" for i in range(5)]
    assert rows[1].fused == store.get("v1").fused.vector.astype("<f4").tobytes()
    assert [r.fused for r in next(store.catalogue_rows(with_vectors=False))] == [None] * 5
    assert sorted(store.live_slots()) == [r.slot for r in rows]
    info = store.ranking_info(["v1"])["v1"]
    assert info.slot == slots_of(store, "v1") and info.category == "pets" and "pets" in info.tags
    assert sorted(store.slots_tagged("pets")) == sorted(slots_of(store, v) for v in ("v1", "v3"))
    assert store.ranking_tags(["v1", None])["v1"] == info.tags
    store.set_category("v0", "food")
    assert store.ranking_info(["v0"])["v0"].category == "food"


def slots_of(store, vid: str) -> int:
    return store.slots_of([vid])[vid]


def test_a_record_of_another_space_is_refused_and_nothing_is_stored(store):
    store.add(record("a", 1))
    with pytest.raises(SpaceMismatchError):
        store.add_many([record("b", 2), record("c", 3, space="other")])
    assert store.ids() == ["a"]


def test_events_counters_and_erasure(store):
    store.add_many([record("a", 1), record("b", 2)])
    store.add_events([("u", "a", "view", 10.0, 3.0, 0.9), ("u", "a", "like", 11.0, None, None),
                      ("w", "a", "skip", 12.0, None, None), ("w", "b", "impression", 13.0, None, None)])
    assert [e.type for e in store.events("u")] == ["view", "like"]
    assert len(store.events()) == 4 and store.has_events("w") and not store.has_events("x")
    assert store.users() == ["u", "w"]
    counts = store.video_event_counts()
    assert (counts["a"]["view"], counts["a"]["complete_view"], counts["a"]["like"], counts["a"]["skip"]) == (1, 1,
                                                                                                             1, 1)
    assert store.counters(["a"])["a"]["watch_seconds"] == 3.0
    by_slot = {row[0]: row for row in store.counters_by_slot()}
    assert by_slot[slots_of(store, "a")][1:5] == (0, 1, 1, 2)  # impressions, views, skips, engagements
    before = store.counters()
    store.rebuild_counters()
    _close(store.counters(), before)
    assert store.delete_user("u") is True and store.delete_user("u") is False
    assert store.events("u") == [] and store.counters(["a"])["a"]["like"] == 0 and store.users() == ["w"]


def _close(a: dict, b: dict) -> bool:
    assert a.keys() == b.keys()
    for vid in a:
        assert a[vid] == {k: pytest.approx(v) for k, v in b[vid].items()}
    return True


def test_deleting_a_video_takes_its_events_and_counters_and_marks_its_users_stale(store):
    store.add_many([record("a", 1), record("b", 2)])
    with store.state_session() as session:
        session.write_user("u", StateRow(10.0, b"\x00" * 8, "{}", "k", False),
                           {"a": VideoSignalRow(1.0, None, 10.0, True, 1)})
    store.add_events([("u", "a", "like", 10.0, None, None)])  # no fold given: the state is marked stale
    assert store.user_state("u").stale is True
    with store.state_session() as session:
        session.write_states({"u": StateRow(10.0, b"\x01" * 8, "{}", "k", False)})
    assert store.user_state("u").stale is False
    assert store.delete("a") is True and store.delete("a") is False
    assert store.events() == [] and "a" not in store.counters()
    assert store.user_state("u").stale is True and store.video_signals("u") == {}


def test_the_state_session_reads_and_writes_users_rows(store):
    store.add_many([record("a", 1), record("b", 2)])
    with store.state_session() as session:
        assert session.dims() == store.dims()
        units = {u.video_id: u for u in session.units_rows(["a", "b", "a"])}
        assert units["a"].fused == store.get("a").fused.vector.astype("<f4").tobytes()
        session.write_states({"u": StateRow(5.0, b"vec", '{"n": 1}', "key", False)})
        session.write_signal_pairs({("u", "a"): VideoSignalRow(0.5, None, 5.0, True, 1),
                                    ("u", "b"): VideoSignalRow(0.2, -0.4, 5.0, True, -1)})
        assert session.read_states(["u", "nobody"])["u"].vectors == b"vec"
        pairs = session.read_signal_pairs([("u", "a"), ("u", "b"), ("x", "a")])
        assert set(pairs) == {("u", "a"), ("u", "b")} and pairs[("u", "b")].floor == -0.4
    assert {u.video_id for u in store.units_rows(["b"])} == {"b"}
    history = {h.video_id: h for h in store.history_slots("u")}
    assert history["b"].rejected and history["b"].signal == -0.4 and not history["a"].rejected
    assert store.video_signals("u")["a"] == VideoSignalRow(0.5, None, 5.0, True, 1)
    with store.state_session() as session:
        assert session.forget_state("u") == 3
    assert store.user_state("u") is None


def test_users_settings_and_fitted_parameters(store):
    store.add_many([record("a", 1), record("b", 2)])
    store.set_interests("u", "cooking", [{"label": "food", "weight": 1.0}])
    assert store.interests("u") == ("cooking", [{"label": "food", "weight": 1.0}]) and store.interests("x") is None
    assert store.shows_sensitive("u") is False
    store.set_show_sensitive("u", True)
    assert store.shows_sensitive("u") is True
    store.delete_user("u")
    assert store.shows_sensitive("u") is True and store.interests("u") is None  # a setting outlives history
    store.delete_user("u", erase=True)
    assert store.shows_sensitive("u") is False
    store.save_fusion_weights("global", {"text": 0.5}, {"k": 1}, {"ndcg": 0.3})
    assert store.fusion_weights()["weights"] == {"text": 0.5} and store.fusion_weights("none") is None
    store.save_co_engagement([("a", "b", 0.7)])
    assert store.co_engagement_by_slot() == [(slots_of(store, "a"), slots_of(store, "b"), 0.7)]


def test_reindexing_replaces_every_vector_and_bumps_the_generation(store):
    store.add_many([record("a", 1), record("b", 2)])
    with pytest.raises(ValueError, match="not re-embedded"):
        store.replace_vectors([record("a", 3, space="new")])
    store.replace_vectors([record("a", 3, space="new"), record("b", 4, space="new")])
    assert store.space_id == "new" and store.vectors_generation == 1
    assert store.get("a").fused.vector.tobytes() == record("a", 3).fused.vector.astype("<f4").tobytes()


def test_a_reindex_that_could_not_reembed_some_videos_leaves_them_flagged_out_of_the_ranking(store):
    store.add_many([record(v, i, created_at=1000.0 + i) for i, v in enumerate("abc")])
    old_slot = slots_of(store, "c")
    seq = store.last_change()
    # the new space has another width: the flagged video's old vector stays stored next to the new ones
    store.replace_vectors([record("a", 5, space="new", width=6), record("b", 6, space="new", width=6)], flagged=["c"])
    assert store.flagged_ids() == ["c"] and store.space_id == "new" and store.vectors_generation == 1
    assert set(store.slots_of(["a", "b", "c"])) == {"a", "b"} and len(store.live_slots()) == 2
    kept = store.get("c")
    assert kept.space_id == "synthetic" and kept.fused.vector.tobytes() == record("c", 2).fused.vector.astype(
        "<f4").tobytes()
    assert [r.video_id for c in store.catalogue_rows() for r in c] == ["a", "b"]
    with pytest.raises(ValueError, match="not re-embedded"):  # the flagged one must be named again, or re-embedded
        store.replace_vectors([record("a", 7, space="new", width=6)])
    # re-embedded later: back in the ranking with a new slot, announced to the other serving processes
    store.replace_vectors([record("c", 8, space="new", width=6)])
    assert store.flagged_ids() == [] and store.vectors_generation == 2 and slots_of(store, "c") > old_slot
    assert store.get("c").space_id == "new" and store.dims() == record("c", 8, width=6).fused.dims
    kinds = [(kind, key) for _, kind, key in store.changes_after(seq)[0]]
    assert ("video_added", "c") in kinds and kinds[-1] == ("vectors", "*")


def test_a_videos_thumbnails_and_media_prints_read_back_for_export(store):
    rec = record("a", 1)
    rec.frames = [FrameThumbnail(0, 0.5, 8, 6, b"\xff\xd8jpeg0"), FrameThumbnail(3, 2.5, 8, 6, b"\xff\xd8j3")]
    rec.sound_print = SoundPrint(np.array([7, 2**32 - 1, 7], np.uint32), np.array([0, 5, 9], np.int32), 3.5)
    rec.frame_print = FramePrint(np.array([2**64 - 1, 12345], np.uint64), np.array([0.5, 2.5], np.float64))
    store.add_many([rec, record("b", 2)])
    assert store.frame_jpegs("a") == {0: b"\xff\xd8jpeg0", 3: b"\xff\xd8j3"}
    assert store.frame_jpegs("b") == {} and store.frame_jpegs("missing") == {}
    sound, frames = store.prints_of("a")
    np.testing.assert_array_equal(sound.hashes, rec.sound_print.hashes)
    np.testing.assert_array_equal(sound.times, rec.sound_print.times)
    assert sound.hashes.dtype == np.uint32 and sound.times.dtype == np.int32
    assert (sound.seconds, sound.version) == (3.5, rec.sound_print.version)
    np.testing.assert_array_equal(frames.hashes, rec.frame_print.hashes)
    np.testing.assert_array_equal(frames.times, rec.frame_print.times)
    assert frames.hashes.dtype == np.uint64 and frames.version == rec.frame_print.version
    empty_sound, empty_frames = store.prints_of("b")  # stored without prints: empty ones, as linking wrote them
    assert empty_sound.empty and empty_frames.empty
    assert store.prints_of("missing") == (None, None)
    store.delete("a")
    assert store.frame_jpegs("a") == {} and store.prints_of("a") == (None, None)


def test_event_batches_written_at_once_through_two_stores_all_count(open_store):
    """Two connections (two replicas) writing events of the same videos at the same time: none is lost."""
    first, second = open_store(), open_store()
    first.add_many([record("a", 1), record("b", 2)])
    errors: list[BaseException] = []

    def write(store, user: str) -> None:
        try:
            for i in range(20):
                store.add_events([(user, "a", "like", float(i), None, None), (user, "b", "view", float(i), 1.0, 0.2)])
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=write, args=(s, u)) for s, u in ((first, "u"), (second, "w"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    counts = first.video_event_counts()
    assert (counts["a"]["like"], counts["b"]["view"]) == (40, 40)
    incremental = first.counters()
    first.rebuild_counters()
    _close(first.counters(), incremental)
