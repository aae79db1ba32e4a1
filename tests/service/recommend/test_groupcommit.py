"""Group commit over a real store: batches that arrive while a transaction runs are stored together in the next
one, each caller gets its own count, and a shared transaction that fails fails every batch in it, storing none."""
from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from service.errors import StoreBusyError
from service.recommend.groupcommit import GroupCommit
from service.storage import Store
from tests.helpers.records import synthetic_record

FOLLOWERS = 5
VIDEOS = 10


def store_with_videos(path, **options) -> Store:
    store = Store(path, **options)
    rng = np.random.default_rng(0)
    for i in range(VIDEOS):
        store.add(synthetic_record(f"v{i}", {m: rng.normal(size=4) for m in ("text", "visual", "audio")}))
    return store


def rows_of(user: str, n: int) -> list[tuple]:
    return [(user, f"v{i % VIDEOS}", "view", 1000.0 + i, 2.0, 0.4) for i in range(n)]


def gated(store: Store, gate: threading.Event, entered: threading.Event, sizes: list[int]):
    """The store's own event write; the first call holds its transaction's turn until `gate` opens."""
    def write(rows: list[tuple]) -> int:
        sizes.append(len(rows))
        if len(sizes) == 1:
            entered.set()
            assert gate.wait(30)
        return store.add_events(rows)
    return write


def run_group(writer: GroupCommit, gate: threading.Event, entered: threading.Event) -> list:
    """One batch whose write is held at the gate, FOLLOWERS batches queued behind it, then the gate opened."""
    with ThreadPoolExecutor(FOLLOWERS + 1) as pool:
        first = pool.submit(writer.submit, rows_of("first", 3))
        assert entered.wait(30)
        rest = [pool.submit(writer.submit, rows_of(f"user{i}", i + 1)) for i in range(FOLLOWERS)]
        deadline = time.monotonic() + 30
        while len(writer._waiting) < FOLLOWERS and time.monotonic() < deadline:
            time.sleep(0.01)
        gate.set()
        outcomes = []
        for future in [first, *rest]:
            try:
                outcomes.append(future.result(timeout=60))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes


def test_waiting_batches_share_the_next_transaction(tmp_path):
    with store_with_videos(tmp_path / "store.db") as store:
        sizes: list[int] = []
        gate, entered = threading.Event(), threading.Event()
        writer = GroupCommit(gated(store, gate, entered, sizes))
        outcomes = run_group(writer, gate, entered)
        assert outcomes == [3, *range(1, FOLLOWERS + 1)]
        assert sizes == [3, sum(range(1, FOLLOWERS + 1))] and writer.commits == 2
        assert len(store.events()) == 3 + sum(range(1, FOLLOWERS + 1))
        assert [len(store.events(f"user{i}")) for i in range(FOLLOWERS)] == list(range(1, FOLLOWERS + 1))


def test_a_group_is_capped_at_max_events(tmp_path):
    with store_with_videos(tmp_path / "store.db") as store:
        sizes: list[int] = []
        gate, entered = threading.Event(), threading.Event()
        writer = GroupCommit(gated(store, gate, entered, sizes), max_events=6)
        assert run_group(writer, gate, entered) == [3, *range(1, FOLLOWERS + 1)]
        assert sizes[0] == 3 and all(s <= 6 for s in sizes[1:]) and sum(sizes) == 3 + sum(range(1, FOLLOWERS + 1))


def test_a_failed_shared_transaction_fails_every_batch_in_it_and_stores_none(tmp_path):
    path = tmp_path / "store.db"
    with store_with_videos(path, timeout_s=0.2) as store:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock past the busy timeout
        gate, entered = threading.Event(), threading.Event()
        writer = GroupCommit(gated(store, gate, entered, []))
        outcomes = run_group(writer, gate, entered)
        assert all(isinstance(o, StoreBusyError) for o in outcomes) and len(outcomes) == FOLLOWERS + 1
        blocker.execute("ROLLBACK")
        blocker.close()
        assert store.events() == []
        assert writer.submit(rows_of("after", 2)) == 2 and len(store.events()) == 2  # the writer is not stuck


@pytest.mark.parametrize("posters", [8])
def test_many_threads_posting_at_once_all_land(tmp_path, posters):
    with store_with_videos(tmp_path / "store.db") as store:
        writer = GroupCommit(store.add_events)
        with ThreadPoolExecutor(posters) as pool:
            counts = list(pool.map(lambda i: [writer.submit(rows_of(f"p{i}-{j}", 4)) for j in range(10)],
                                   range(posters)))
        assert counts == [[4] * 10] * posters
        assert len(store.events()) == posters * 10 * 4 and writer.commits <= posters * 10
