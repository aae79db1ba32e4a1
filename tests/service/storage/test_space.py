"""One embedding space per store, also under concurrent writers: the space check and the `meta.space_id` write
happen in the same write transaction, so two writers with different model settings cannot both pass."""
from __future__ import annotations

import sqlite3
import threading

import numpy as np
import pytest

from service.errors import SpaceMismatchError
from service.storage import Store
from tests.helpers.records import synthetic_record

ROUNDS = 8
BATCH = 30  # records per writer: a write transaction long enough for the other writer to check meanwhile


def batch(space: str, offset: int) -> list:
    rng = np.random.default_rng(offset)
    return [synthetic_record(f"{space}-{offset + i}", {m: rng.normal(size=4) for m in ("text", "visual", "audio")},
                             space_id=space) for i in range(BATCH)]


def race(path) -> dict[str, object]:
    """Two writers (own connections, like a CLI `embed --db` beside a live server) add at the same moment."""
    outcomes: dict[str, object] = {}
    start = threading.Barrier(2)

    def write(space: str, offset: int) -> None:
        records = batch(space, offset)
        with Store(path) as store:
            start.wait()
            try:
                outcomes[space] = store.add_many(records)
            except SpaceMismatchError as exc:
                outcomes[space] = exc

    threads = [threading.Thread(target=write, args=(s, n * 1000)) for n, s in enumerate(("space-a", "space-b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_of_two_writers_with_different_spaces_exactly_one_wins(tmp_path, round_):
    path = tmp_path / "s.db"
    outcomes = race(path)
    won = [s for s, o in outcomes.items() if o == BATCH]
    lost = [o for o in outcomes.values() if isinstance(o, SpaceMismatchError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert lost[0].code == "space_mismatch"
    with sqlite3.connect(path) as db:
        stored = {s for (s,) in db.execute("SELECT DISTINCT space_id FROM videos")}
        (meta,) = db.execute("SELECT value FROM meta WHERE key='space_id'").fetchone()
    assert stored == {meta} == set(won)
