"""The update paths of the users' serving state: applied to events as they are stored, or rebuilt from a
user's events (recovery, a stale state, other settings). See service.recommend.state for what the state is.

These functions take the storage session of the transaction that stores the events (no SQL here), so the state
never disagrees with the events; a process that sees another process's events needs nothing more than to read
the rows.
"""
from __future__ import annotations

import numpy as np

from service.config import Settings
from service.recommend.cofold import fold_co
from service.recommend.events import signal
from service.recommend.state import UserState, VideoUnits, effective, settings_key, units_of
from service.storage import Store
from service.storage.counters import decay
from service.storage.rows import EventRow, VideoSignalRow, event_rows
from service.storage.session import StateSession


def _fold_into(row: VideoSignalRow, event: EventRow, ref_ts: float, settings: Settings, half_life_s: float) -> None:
    """One event into a (user, video) row whose values are as of ref_ts (>= the event's time)."""
    kind, completion = event.type, event.completion
    weight = decay(ref_ts - event.ts, half_life_s)
    row.signal += signal(kind, completion, settings.signals) * weight
    if kind == "not_interested":
        floor = settings.signal_not_interested * weight
        row.floor = floor if row.floor is None else min(row.floor, floor)
    if kind != "impression":
        row.seen = True


def _count(state: UserState, events: list[EventRow]) -> None:
    for e in events:
        state.counts[e.type] = state.counts.get(e.type, 0) + 1


def _apply_video(state: UserState, row: VideoSignalRow, units: VideoUnits | None) -> None:
    """Put a (user, video) row's effective signal into the sums and remember which sum it is in."""
    contribution = effective(row)
    row.applied = 0
    if units is None or contribution == 0:
        return
    state.add(contribution, units)
    row.applied = 1 if contribution > 0 else -1
    state.engaged += row.applied == 1


def apply_events(session: StateSession, rows: list[EventRow], settings: Settings) -> None:
    """Bring the state of every user in `rows` up to date (inside the transaction storing `rows`); the batch's
    states and (user, video) rows are read and written in a few statements, not a few per user. The online
    co-engagement table (service.recommend.cofold) is updated in the same transaction."""
    dims = session.dims()
    half_life_s = settings.profile_half_life_days * 86400.0
    key = settings_key(settings)
    units = units_of(session.units_rows({r.video_id for r in rows}), dims)
    by_user: dict[str, dict[str, list[EventRow]]] = {}
    for r in rows:
        by_user.setdefault(r.user_id, {}).setdefault(r.video_id, []).append(r)
    stored = session.read_states(list(by_user))
    fresh = {u for u, row in stored.items() if not row.stale and row.settings_key == key}
    rebuild_many(session, sorted(by_user.keys() - fresh), settings, dims, forget=set(stored))
    pairs = [(u, v) for u in fresh for v in by_user[u]]
    signals = session.read_signal_pairs(pairs)
    states, written = {}, {}
    for user in fresh:
        state = UserState.from_row(stored[user])
        events = [e for video_events in by_user[user].values() for e in video_events]
        state.rescale(max(state.ref_ts, max(e.ts for e in events)), half_life_s)
        for vid, video_events in by_user[user].items():
            written[(user, vid)] = _update_video(state, signals.get((user, vid)), video_events, units, settings,
                                                 half_life_s)
        _count(state, events)
        states[user] = state.to_row(key)
    session.write_states(states)
    session.write_signal_pairs(written)
    session.co_apply(fold_co(rows, session.co_recent(by_user), settings.co))  # the item-item table learns online


def _update_video(state: UserState, row: VideoSignalRow | None, events: list[EventRow],
                  units: dict[str, VideoUnits], settings: Settings, half_life_s: float) -> VideoSignalRow:
    """Take a video's old contribution out of the user's sums, fold its new events in, put it back."""
    vid = events[0].video_id
    row = row or VideoSignalRow(0.0, None, state.ref_ts, False, 0)
    f = decay(state.ref_ts - row.ref_ts, half_life_s)
    row = VideoSignalRow(row.signal * f, None if row.floor is None else row.floor * f, state.ref_ts, row.seen,
                         row.applied)
    if row.applied:
        state.add(effective(row), units[vid], sign=-1)
        state.engaged -= row.applied == 1
    for e in events:
        _fold_into(row, e, state.ref_ts, settings, half_life_s)
    _apply_video(state, row, units.get(vid))
    return row


def fold_events(events: list[EventRow], units: dict[str, VideoUnits], dim: int, settings: Settings
                ) -> tuple[UserState, dict[str, VideoSignalRow]]:
    """A user's state from all their events, from scratch, as of their latest event."""
    half_life_s = settings.profile_half_life_days * 86400.0
    events = event_rows(events)
    ref = max((e.ts for e in events), default=0.0)
    rows: dict[str, VideoSignalRow] = {}
    for e in events:
        _fold_into(rows.setdefault(e.video_id, VideoSignalRow(0.0, None, ref, False, 0)), e, ref, settings, half_life_s)
    state = UserState.empty(dim, ref)
    for vid, row in rows.items():
        _apply_video(state, row, units.get(vid))
    _count(state, events)
    return state, rows


def rebuild(session: StateSession, user: str, settings: Settings, dims: dict[str, int] | None = None
            ) -> UserState | None:
    """Rebuild one user's state from their events (inside the caller's transaction); None without events."""
    dims = dims or session.dims()
    events = session.user_events(user)
    session.forget_state(user)
    if not events:
        return None
    units = units_of(session.units_rows({e.video_id for e in events}), dims)
    state, rows = fold_events(events, units, sum(dims.values()), settings)
    session.write_user(user, state.to_row(settings_key(settings)), rows)
    return state


def rebuild_many(session: StateSession, users: list[str], settings: Settings, dims: dict[str, int],
                 forget: set[str]) -> None:
    """`rebuild` for several users in a few statements: a batch's first-time users (the events just inserted are
    part of their events) and those whose state is stale; `forget`: who has a stored state to delete first."""
    for user in forget.intersection(users):
        session.forget_state(user)
    events = session.users_events(users)
    units = units_of(session.units_rows({e.video_id for rows in events.values() for e in rows}), dims)
    key, states, signals = settings_key(settings), {}, {}
    for user, rows in events.items():
        state, videos = fold_events(rows, units, sum(dims.values()), settings)
        states[user] = state.to_row(key)
        signals.update({(user, vid): row for vid, row in videos.items()})
    session.write_states(states)
    session.write_signal_pairs(signals)


def current_state(store: Store, user: str, settings: Settings) -> UserState | None:
    """The user's state for a read; a missing (older store), stale or other-settings state is rebuilt first."""
    stored = store.user_state(user)
    if stored is not None and not stored.stale and stored.settings_key == settings_key(settings):
        return UserState.from_row(stored)
    if stored is None and not store.has_events(user):
        return None
    with store.state_session() as session:
        return rebuild(session, user, settings)


def scaled_sums(state: UserState, now: float | None, settings: Settings) -> tuple[np.ndarray, np.ndarray, float]:
    """(pos, neg, factor): the sums as of `now` (None: as of the user's latest event)."""
    if now is None or now <= state.ref_ts:
        return state.pos, state.neg, 1.0
    f = decay(now - state.ref_ts, settings.profile_half_life_days * 86400.0)
    return state.pos * f, state.neg * f, f
