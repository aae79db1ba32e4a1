"""A server's recommender follows writes made through other store connections, from the change log.

The "server" is a Recommender with its ChangeFollower; the "other process" is a second Store connection on the
same file (tests/service/api/test_other_writers.py does the same across real processes)."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from service.config import Settings
from service.recommend import Recommender
from service.recommend.follow import ChangeFollower
from tests.service.storage.test_changes import record


def feed_ids(rec: Recommender, user: str = "someone") -> set[str]:
    return {item["video_id"] for item in rec.recommend(user, k=50)}


@pytest.fixture()
def served(tmp_path, open_store):
    """(recommender, follower, other writer) over one store holding v0..v5, on each backend."""
    other = open_store()
    other.add_many([record(f"v{i}", i) for i in range(6)])
    rec = Recommender(open_store(), Settings(data_dir=tmp_path))
    follower = ChangeFollower(rec, open_store())
    yield rec, follower, other
    follower.stop()
    rec.close()


def test_videos_another_writer_stores_appear_after_a_poll(served):
    rec, follower, other = served
    other.add_many([record("n1", 12), record("n2", 12)])  # same vectors: each is the other's nearest
    assert {"n1", "n2"}.isdisjoint(feed_ids(rec))  # the catalogue is in memory: only the log brings them
    assert follower.poll() == 2
    assert {"n1", "n2"} <= feed_ids(rec)
    assert "n1" in {item["video_id"] for item in rec.similar("n2", k=3)}


def test_videos_another_writer_deletes_leave_the_feed(served):
    rec, follower, other = served
    other.delete("v1")
    follower.poll()
    assert "v1" not in feed_ids(rec)
    assert "v1" not in rec.catalogue().row


def test_a_video_deleted_and_stored_again_ends_up_served_under_its_new_slot(served):
    rec, follower, other = served
    other.delete("v2")
    other.add(record("v2", 2))
    follower.poll()
    assert rec.catalogue().row["v2"] == other.slots_of(["v2"])["v2"]
    assert "v2" in feed_ids(rec)


def test_events_another_writer_stores_update_the_counters(served):
    rec, follower, other = served
    cat = rec.catalogue()
    slot = cat.row["v3"]
    other.add_events([(f"u{i}", "v3", "like", 10.0 + i, None, None) for i in range(4)])
    follower.poll()
    assert cat.cols.engaged[slot] == 4
    other.delete_user("u0")
    follower.poll()
    assert cat.cols.engaged[slot] == 3


def test_own_writes_coming_back_through_the_log_change_nothing(served):
    rec, follower, _ = served
    rec.store.add(record("own", 20))
    rec.video_added("own")
    cat = rec.catalogue()
    before = (len(cat), len(cat.by_time[1]), cat.present.copy())
    follower.poll()
    assert (len(cat), len(cat.by_time[1])) == before[:2]
    assert np.array_equal(cat.present, before[2])


def test_nothing_committed_means_nothing_read(served):
    _, follower, other = served
    follower.poll()
    assert follower.poll() == 0
    other.add(record("late", 30))
    assert follower.poll() == 1


def test_a_log_pruned_past_the_reader_reconciles_with_the_store(served):
    rec, follower, other = served
    other.add(record("unseen", 40))
    other.prune_changes(time.time() + 1)
    other.delete("v4")
    follower.poll()
    assert follower.reconciled == 1
    assert "unseen" in rec.catalogue().row
    assert "v4" not in rec.catalogue().row


def test_a_server_started_on_an_empty_store_serves_the_first_videos_others_store(tmp_path, open_store):
    rec = Recommender(open_store(), Settings(data_dir=tmp_path))
    follower = ChangeFollower(rec, open_store())
    try:
        assert rec.recommend("someone") == []
        open_store().add_many([record("first", 1), record("second", 2)])
        follower.poll()
        assert feed_ids(rec) == {"first", "second"}
    finally:
        follower.stop()


def test_feeds_answered_while_others_delete_and_restore_videos_name_only_stored_ones(served):
    """A delete never waits for readers: a slot emptied between ranking and explaining is left out of the answer."""
    rec, follower, other = served
    failures: list[BaseException] = []
    answers: list[list[str]] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                answers.append([item["video_id"] for item in rec.recommend("reader", k=6)])
                answers.append([item["video_id"] for item in rec.similar("v0", k=4)])
            except BaseException as exc:
                failures.append(exc)
                return

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(40):
            vid = f"v{1 + n % 5}"
            other.delete(vid)
            follower.poll()
            other.add(record(vid, 1 + n % 5))
            follower.poll()
    finally:
        stop.set()
        reader.join()
    assert failures == []
    assert answers and all(None not in ids for ids in answers)
