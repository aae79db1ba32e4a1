"""Group commit: event batches posted at the same time share one write transaction.

A store has one writer at a time and pays for every commit (SQLite: an fsync of the WAL; PostgreSQL: a WAL
flush), so parallel posters each committing their own batch queue behind each other's commits. Here a batch that
arrives while another transaction is running waits, and the next transaction stores every batch waiting by then
(up to `max_events`): one commit for all of them, and the counters, user states and co-engagement of their events
are updated together in it.

Each batch is validated before it joins, so a shared transaction fails only for a reason all of its batches share
(the store busy or unreachable); then every caller in it gets that error and nothing of any of them is stored. The
thread that writes is always one whose own batch is in the group (leader/follower: when a group is done, the first
batch still waiting is woken to write the next one), so no request waits for more than the group ahead of it and
its own.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

WriteRows = Callable[[list[tuple]], int]


@dataclass(eq=False)
class _Batch:
    rows: Sequence[tuple]
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to write the next group rather than because it was stored
    error: BaseException | None = None


class GroupCommit:
    """`submit(rows)` stores one batch through `write` (one transaction), sharing it with concurrent batches."""

    def __init__(self, write: WriteRows, max_events: int = 20_000):
        self.write, self.max_events = write, max_events
        self._lock = threading.Lock()
        self._waiting: list[_Batch] = []
        self._writing = False
        self.commits = 0  # transactions run so far (for /metrics and the tests)

    def submit(self, rows: Sequence[tuple]) -> int:
        """Store `rows` in a transaction shared with whatever batches wait with it; their count once committed."""
        batch = _Batch(rows)
        with self._lock:
            self._waiting.append(batch)
            batch.lead = not self._writing
            self._writing = True
        if not batch.lead:
            batch.done.wait()
        if batch.lead:
            self._write_next_group()
        if batch.error is not None:
            raise batch.error
        return len(rows)

    def _write_next_group(self) -> None:
        """Write the batches at the head of the queue (this thread's first among them), then hand over."""
        with self._lock:
            group, total = [], 0
            while self._waiting and (not group or total + len(self._waiting[0].rows) <= self.max_events):
                group.append(self._waiting.pop(0))
                total += len(group[-1].rows)
        error = None
        try:
            self.write([row for b in group for row in b.rows])
            self.commits += 1
        except BaseException as exc:  # every batch in the transaction shares its fate
            error = exc
        for b in group:
            b.error, b.lead = error, False
            b.done.set()
        with self._lock:
            if self._waiting:
                self._waiting[0].lead = True
                self._waiting[0].done.set()
            else:
                self._writing = False
