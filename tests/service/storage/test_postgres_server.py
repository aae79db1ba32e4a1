"""The test PostgreSQL server itself: it runs unprivileged, with pgvector's HNSW index available."""
from __future__ import annotations

import os

import psycopg


def test_the_test_server_runs_pgvector_as_an_unprivileged_user(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname='vector'").fetchone()[0]
        assert tuple(int(p) for p in version.split(".")) >= (0, 8, 0)
        assert conn.execute("SHOW server_version_num").fetchone()[0] >= "180000"
        user = conn.execute("SELECT usename FROM pg_stat_activity WHERE pid = pg_backend_pid()").fetchone()[0]
        assert user == "postgres"
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v vector(3))")
        conn.execute("CREATE INDEX ON t USING hnsw (v vector_cosine_ops)")
        conn.execute("INSERT INTO t VALUES (1, '[1,0,0]'), (2, '[0,1,0]')")
        assert conn.execute("SELECT id FROM t ORDER BY v <=> '[0.9,0.1,0]' LIMIT 1").fetchone()[0] == 1


def test_the_server_process_is_not_root(postgres_server):
    pid = int((postgres_server.data / "postmaster.pid").read_text().split()[0])
    assert os.stat(f"/proc/{pid}").st_uid != 0
