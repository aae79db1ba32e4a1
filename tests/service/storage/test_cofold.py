"""The online co-engagement tables on each backend: what event batches fold in equals a from-scratch build over
the same events, negative feedback lowers a pair, each video keeps its strongest neighbours, and a user's recent
list is bounded and erased with the user."""
from __future__ import annotations

import math

import numpy as np
import pytest

from service.options import CoOptions
from service.recommend.cofold import build_from_scratch, fold_co
from service.storage.counters import decay
from service.storage.rows import EventRow
from tests.helpers.records import synthetic_record

KINDS = ("like", "view", "share", "skip", "not_interested", "impression", "comment")


def _record(vid: str, seed: int):
    rng = np.random.default_rng(seed)
    return synthetic_record(vid, {m: rng.normal(size=4) for m in ("text", "visual", "audio")}, space_id="s")


def _store_with(open_store, n_videos: int):
    store = open_store()
    store.add_many([_record(f"v{i}", i) for i in range(n_videos)])
    return store


def _add(store, rows: list[EventRow], opts: CoOptions) -> None:
    store.add_events(rows, apply=lambda s, batch: s.co_apply(fold_co(batch, s.co_recent({r.user_id for r in batch}),
                                                                     opts)))


def _random_stream(seed: int, n: int, users: int, videos: int) -> list[EventRow]:
    rng = np.random.default_rng(seed)
    ts = 1.0e9 + np.cumsum(rng.exponential(86400.0 * 3, n))  # a stream over years: decay matters
    out = []
    for t in ts:
        kind = KINDS[int(rng.integers(len(KINDS)))]
        completion = float(rng.uniform()) if kind == "view" else None
        out.append(EventRow(f"u{int(rng.integers(users))}", f"v{int(rng.integers(videos))}", kind, float(t), None,
                            completion))
    return out


def _batches(rows: list, rng: np.random.Generator):
    start = 0
    while start < len(rows):
        size = int(rng.integers(1, 40))
        yield rows[start : start + size]
        start += size


@pytest.mark.parametrize("seed", [0, 1])
def test_the_online_table_equals_a_from_scratch_build_over_a_random_stream(open_store, seed):
    opts = CoOptions(co_recent=5)
    store = _store_with(open_store, 30)
    events = _random_stream(seed, 600, users=25, videos=30)
    for batch in _batches(events, np.random.default_rng(seed + 100)):
        _add(store, batch, opts)
    pairs, videos = build_from_scratch(events, opts)
    now = events[-1].ts
    hl = opts.half_life_s
    stored = {(r.video_id, r.neighbour_id): r for r in store.co_neighbours([f"v{i}" for i in range(30)], 10_000,
                                                                           now, hl)}
    assert set(stored) == set(pairs) and len(pairs) > 100
    for key, (value, ts) in pairs.items():
        row = stored[key]
        assert math.isclose(row.count, value * decay(now - ts, hl), rel_tol=1e-9, abs_tol=1e-9), key
        n_a = videos.get(key[0], (0.0, now))
        assert math.isclose(row.n_video, n_a[0] * decay(now - n_a[1], hl), rel_tol=1e-9, abs_tol=1e-12)
    assert any(r.count < 0 for r in stored.values())  # skips and not-interested counted against pairs


def test_a_skip_and_a_not_interested_lower_the_pair(open_store):
    opts = CoOptions()
    store = _store_with(open_store, 3)
    t = 1.0e9
    _add(store, [EventRow("u", "v0", "like", t, None, None), EventRow("u", "v1", "like", t + 1, None, None),
                 EventRow("w", "v0", "like", t + 2, None, None), EventRow("w", "v1", "like", t + 3, None, None)], opts)

    def pair() -> float:
        rows = {r.neighbour_id: r.count for r in store.co_neighbours(["v0"], 10, t + 10, opts.half_life_s)}
        return rows.get("v1", 0.0)

    before = pair()
    assert before == pytest.approx(2.0, abs=1e-4)
    _add(store, [EventRow("x", "v1", "like", t + 4, None, None), EventRow("x", "v0", "skip", t + 5, None, None)], opts)
    assert pair() == pytest.approx(before - 0.5, abs=1e-4)
    _add(store, [EventRow("x", "v0", "not_interested", t + 6, None, None)], opts)
    assert pair() == pytest.approx(before - 1.5, abs=1e-4)
    # the reverse direction holds the same count: v1's neighbour list reads it too
    back = {r.neighbour_id: r.count for r in store.co_neighbours(["v1"], 10, t + 10, opts.half_life_s)}
    assert back["v0"] == pytest.approx(before - 1.5, abs=1e-4)


def test_each_video_keeps_its_strongest_neighbours_and_each_user_a_bounded_recent_list(open_store):
    opts = CoOptions(co_recent=3, co_neighbours=4)
    store = _store_with(open_store, 12)
    t = 1.0e9
    rows = []
    for n in range(1, 12):  # pair v0 with v_n by n users each: v8..v11 are its strongest
        for u in range(n):
            rows += [EventRow(f"u{n}-{u}", "v0", "like", t, None, None), EventRow(f"u{n}-{u}", f"v{n}", "like", t + 1,
                                                                                  None, None)]
    _add(store, rows, opts)
    got = store.co_neighbours(["v0"], 100, t + 2, opts.half_life_s)
    assert sorted(r.neighbour_id for r in got) == ["v10", "v11", "v8", "v9"]
    assert [r.neighbour_id for r in store.co_neighbours(["v0"], 2, t + 2, opts.half_life_s)] == ["v11", "v10"]
    _add(store, [EventRow("long", f"v{i}", "like", t + 10 + i, None, None) for i in range(6)], opts)
    with store.state_session() as session:
        assert list(session.co_recent(["long"])["long"]) == ["v3", "v4", "v5"]
    store.delete_user("long", erase=True)
    with store.state_session() as session:
        assert session.co_recent(["long"]) == {}
    store.delete("v11")
    assert "v11" not in {r.neighbour_id for r in store.co_neighbours(["v0"], 100, t + 2, opts.half_life_s)}


def test_engaging_again_with_a_recent_video_adds_no_pairs(open_store):
    opts = CoOptions()
    store = _store_with(open_store, 2)
    t = 1.0e9
    _add(store, [EventRow("u", "v0", "like", t, None, None), EventRow("u", "v1", "view", t + 1, None, 0.9),
                 EventRow("u", "v1", "like", t + 2, None, None), EventRow("u", "v0", "share", t + 3, None, None),
                 EventRow("u", "v1", "view", t + 4, None, 0.2)], opts)
    (row,) = store.co_neighbours(["v0"], 10, t + 4, opts.half_life_s)
    assert (row.neighbour_id, row.count, row.n_video, row.n_neighbour) == pytest.approx(("v1", 1.0, 1.0, 1.0))
