"""A store held locked by another writer past the busy timeout: 503 `store_busy` with Retry-After, nothing of the
batch written, and the same batch lands once the lock is gone (never a 500)."""
from __future__ import annotations

import sqlite3
import time

import httpx
import numpy as np

from service.api import create_app
from service.storage import Store
from tests.helpers.api import AUTH, KEY, serving
from tests.helpers.records import synthetic_record


def test_a_locked_store_answers_503_and_keeps_nothing(settings_factory, analyzer):
    settings = settings_factory(api_keys=KEY, database_busy_timeout_s=0.3)
    rng = np.random.default_rng(1)
    vectors = {name: rng.normal(size=dim) for name, dim in analyzer.dims.items()}
    record = synthetic_record("ab" * 32, vectors, space_id=analyzer.space_id, created_at=time.time())
    with Store(settings.database) as store:
        store.add(record)
    batch = {"events": [{"user_id": "busy-user", "video_id": record.id, "type": "like"}]}
    with serving(create_app(settings, start_workers=False)) as base, httpx.Client(base_url=base, timeout=60) as http:
        other_writer = sqlite3.connect(settings.database, isolation_level=None)
        other_writer.execute("BEGIN IMMEDIATE")
        try:
            refused = http.post("/events", json=batch, headers=AUTH)
        finally:
            other_writer.execute("ROLLBACK")
            other_writer.close()
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "store_busy"
        assert refused.headers["Retry-After"] == "1"
        assert http.get("/users/busy-user/profile", headers=AUTH).json()["event_counts"]["like"] == 0
        accepted = http.post("/events", json=batch, headers=AUTH)
        assert accepted.status_code == 200, accepted.text
        assert http.get("/users/busy-user/profile", headers=AUTH).json()["event_counts"]["like"] == 1
