"""`store copy` moves a whole store between backends: SQLite -> PostgreSQL -> SQLite reads back equal."""
from __future__ import annotations

import numpy as np
import pytest

from service.errors import CommandError
from service.records import FrameThumbnail, Moment
from service.storage import Store
from service.storage.postgres import PostgresStore
from service.storage.rows import StateRow, VideoSignalRow
from service.storage.transfer import copy_store
from tests.service.storage.test_backends import record


def _fill(store: Store) -> None:
    first = record("a", 1, created_at=1000.0)
    first.frames = [FrameThumbnail(0, 0.5, 8, 6, b"\xff\xd8a0")]
    first.shot_starts = [0.0]
    first.moments = [Moment("frame", 0.0, 1.0, 0, "hi", "clip", np.ones(4, np.float32))]
    store.add_many([first, record("b", 2, created_at=1001.0), record("c", 3, created_at=1002.0)])
    store.delete("b")  # a hole in the slots: the copy keeps them
    store.add_events([("u", "a", "like", 10.0, None, None), ("w", "c", "view", 11.0, 4.0, 0.9)])
    with store.state_session() as session:
        session.write_user("u", StateRow(10.0, b"\x01" * 8, "{}", "key", True),
                           {"a": VideoSignalRow(1.0, None, 10.0, True, 1)})
    store.set_interests("u", "food", [{"label": "food"}])
    store.set_show_sensitive("w", True)
    store.save_fusion_weights("global", {"text": 1.0}, {}, {})
    store.save_co_engagement([("a", "c", 0.5)])


def _snapshot(store) -> dict:
    return {"ids": store.ids(), "slots": store.slots_of(store.ids()), "records": [
        (r.id, r.fused.vector.tobytes(), r.title, r.created_at, [f.index for f in r.frames], r.shot_starts)
        for r in store.records()], "events": store.events(), "counters": store.counters(), "users": store.users(),
        "state": store.user_state("u"), "signals": store.video_signals("u"), "interests": store.interests("u"),
        "sensitive": store.shows_sensitive("w"), "fitted": store.fusion_weights()["weights"],
        "co": store.co_engagement_by_slot(), "jpeg": store.frame_jpeg("a", 0), "dims": store.dims(),
        "moments": [m.text for m in store.moments_of(["a"])["a"]], "space": store.space_id}


def test_a_store_copied_to_postgresql_and_back_reads_the_same(tmp_path, postgres_url):
    with Store(tmp_path / "src.db") as src:
        _fill(src)
        before = _snapshot(src)
        with PostgresStore(postgres_url, cache_dir=tmp_path) as middle:
            counts = copy_store(src, middle)
            assert counts["videos"] == 2 and counts["events"] == 2
            assert _snapshot(middle) == before
            middle.add(record("d", 4, created_at=1003.0))  # new ids continue after the copied ones
            assert middle.slots_of(["d"])["d"] > max(before["slots"].values())
            middle.delete("d")
            with Store(tmp_path / "back.db") as back:
                copy_store(middle, back)
                assert _snapshot(back) == before
                with pytest.raises(CommandError, match="empty"):
                    copy_store(middle, back)


def test_the_store_copy_command_moves_a_store_between_kinds(tmp_path, postgres_url):
    from service.cli import main

    with Store(tmp_path / "src.db") as src:
        _fill(src)
        before = _snapshot(src)
    assert main(["store", "copy", "--from", str(tmp_path / "src.db"), "--to", postgres_url, "--quiet"]) == 0
    assert main(["store", "copy", "--from", postgres_url, "--to", str(tmp_path / "back.db"), "--quiet"]) == 0
    with Store(tmp_path / "back.db") as back:
        assert _snapshot(back) == before
    assert main(["store", "copy", "--from", str(tmp_path / "src.db"), "--to", postgres_url, "--quiet"]) != 0
