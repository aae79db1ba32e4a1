"""Erasure leaves no readable bytes behind: with `PRAGMA secure_delete` SQLite overwrites deleted content, so an
erased user's interests do not survive in free pages of the file until a VACUUM."""
from __future__ import annotations

from service.storage import Store

MARKER = "zebra-marmalade-quintessence-"  # a stated interest nobody else would write


def test_an_erased_users_words_are_not_left_in_the_file(tmp_path):
    path = tmp_path / "s.db"
    with Store(path) as store:
        for n in range(200):  # enough rows to fill pages that deletion then frees
            store.set_interests(f"user-{n}", MARKER * 20 + str(n), [])
        for n in range(200):
            store.delete_user(f"user-{n}", erase=True)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    leftovers = [p.name for p in tmp_path.iterdir() if MARKER.encode() in p.read_bytes()]
    assert leftovers == []


def test_secure_delete_is_on_whatever_the_sqlite_builds_default(tmp_path, monkeypatch):
    """Some SQLite builds compile secure_delete on (Debian's), most leave it off: the store sets it itself."""
    import sqlite3

    from service.storage import database

    real = sqlite3.connect

    def connect_with_it_off(*args, **kwargs):
        conn = real(*args, **kwargs)
        conn.execute("PRAGMA secure_delete=OFF")
        return conn

    monkeypatch.setattr(database.sqlite3, "connect", connect_with_it_off)
    with Store(tmp_path / "s.db") as store:
        assert store.conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
