"""Both stores implement the store interface exactly: what a backend must provide is this list."""
from __future__ import annotations

import inspect

import pytest

from service.storage import Store
from service.storage.interface import VideoStore
from service.storage.postgres import PostgresStore


def _members(cls) -> dict[str, object]:
    return {n: v for n, v in vars(cls).items() if not n.startswith("_")}


@pytest.mark.parametrize("backend", [Store, PostgresStore], ids=["sqlite", "postgres"])
def test_each_store_has_every_interface_member_with_its_signature(backend):
    for name, member in _members(VideoStore).items():
        assert hasattr(backend, name), f"{backend.__name__} lacks {name}"
        implemented = inspect.getattr_static(backend, name)
        if isinstance(member, property):
            assert isinstance(implemented, property), name
            continue
        expected = list(inspect.signature(member).parameters)
        assert list(inspect.signature(implemented).parameters) == expected, name


INTERNAL = {"transaction", "change_log", "half_life_days"}  # the SQLite store's own parts and opening settings


def test_the_interface_lists_every_public_store_method_but_the_internal_parts():
    public = {n for n in dir(Store) if not n.startswith("_")} - INTERNAL
    assert public - set(_members(VideoStore)) == set()


PG_INTERNAL = {"transaction", "retrying", "thread_safe", "half_life_days", "exact_scan_max"}  # pool, retry, settings


def test_the_postgres_store_has_no_public_method_outside_the_interface():
    public = {n for n in dir(PostgresStore) if not n.startswith("_")} - PG_INTERNAL
    assert public - set(_members(VideoStore)) == set()
