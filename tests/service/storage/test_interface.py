"""The SQLite store implements the store interface exactly: what a second backend must provide is this list."""
from __future__ import annotations

import inspect

from service.storage import Store
from service.storage.interface import VideoStore


def _members(cls) -> dict[str, object]:
    return {n: v for n, v in vars(cls).items() if not n.startswith("_")}


def test_the_sqlite_store_has_every_interface_member_with_its_signature():
    for name, member in _members(VideoStore).items():
        implemented = inspect.getattr_static(Store, name)
        if isinstance(member, property):
            assert isinstance(implemented, property), name
            continue
        expected = list(inspect.signature(member).parameters)
        assert list(inspect.signature(implemented).parameters) == expected, name


INTERNAL = {"transaction", "change_log", "half_life_days"}  # the SQLite store's own parts and opening settings


def test_the_interface_lists_every_public_store_method_but_the_internal_parts():
    public = {n for n in dir(Store) if not n.startswith("_")} - INTERNAL
    assert public - set(_members(VideoStore)) == set()
