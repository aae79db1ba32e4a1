"""The change log: every writer logs what it changed in its own transaction; readers read after a row number."""
from __future__ import annotations

import time

import numpy as np
import pytest

from service.storage import Store
from service.storage.changes import ALL, CATEGORY, COUNTERS, VECTORS, VIDEO_ADDED, VIDEO_DELETED
from tests.helpers.records import synthetic_record


def record(vid: str, seed: int = 0, space: str = "synthetic"):
    rng = np.random.default_rng(seed)
    return synthetic_record(vid, {m: rng.normal(size=4) for m in ("text", "visual", "audio")}, space_id=space)


def logged_after(store: Store, seq: int) -> list[tuple[str, str]]:
    rows, _ = store.changes_after(seq)
    return [(kind, key) for _, kind, key in rows]


@pytest.fixture()
def store(open_store):
    """A store of each backend with two videos."""
    s = open_store()
    s.add_many([record("a", 1), record("b", 2)])
    return s


def test_added_videos_are_logged_in_their_transaction(store):
    assert logged_after(store, 0) == [(VIDEO_ADDED, "a"), (VIDEO_ADDED, "b")]
    assert store.last_change() == 2


def test_a_refused_write_logs_nothing(store):
    before = store.last_change()
    with pytest.raises(Exception, match="embedding space"):
        store.add_many([record("c", 3), record("d", 4, space="other")])
    assert store.last_change() == before


def test_events_log_each_video_whose_counters_changed_once(store):
    seq = store.last_change()
    store.add_events([("u", "a", "view", 1.0, 2.0, 0.5), ("u", "a", "like", 2.0, None, None),
                      ("w", "b", "skip", 3.0, None, None)])
    assert logged_after(store, seq) == [(COUNTERS, "a"), (COUNTERS, "b")]


def test_erasing_a_user_logs_the_videos_their_events_counted_for(store):
    store.add_events([("u", "b", "like", 1.0, None, None)])
    seq = store.last_change()
    store.delete_user("u")
    assert logged_after(store, seq) == [(COUNTERS, "b")]


def test_delete_category_reindex_and_rebuild_are_logged(store):
    seq = store.last_change()
    store.delete("a")
    store.delete("a")  # nothing deleted: nothing logged
    store.set_category("b", "food")
    store.rebuild_counters()
    store.replace_vectors([record("b", 5, space="new")])
    assert logged_after(store, seq) == [(VIDEO_DELETED, "a"), (CATEGORY, "b"), (COUNTERS, ALL), (VECTORS, ALL)]


def test_reading_after_a_row_pages_through_the_log(store):
    store.add_many([record(f"v{i}", i) for i in range(5)])
    rows, skipped = store.changes_after(3, limit=2)
    assert [seq for seq, _, _ in rows] == [4, 5]
    assert skipped is None


def test_rows_pruned_before_being_read_are_reported(store):
    store.prune_changes(time.time() + 1)  # everything is older than that
    assert store.changes_after(0) == ([], 2)
    store.add(record("c", 3))
    rows, skipped = store.changes_after(0)
    assert [(seq, key) for seq, _, key in rows] == [(3, "c")]
    assert skipped == 2
    assert store.changes_after(2) == (rows, None)


def test_data_version_moves_when_another_connection_commits(store, store_kind, open_store):
    """SQLite's data_version ignores the connection's own commits; PostgreSQL's (the newest change number)
    moves on every logged commit, which a follower reads as its own writes coming back (applied harmlessly)."""
    other = Store(store.path) if store_kind == "sqlite" else open_store()
    try:
        version = store.data_version()
        store.add(record("c", 3))  # this connection's own commit
        assert (store.data_version() == version) == (store_kind == "sqlite")
        version = store.data_version()
        other.add(record("d", 4))
        assert store.data_version() != version
    finally:
        other.close()
