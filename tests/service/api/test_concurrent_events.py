"""Many platform backends posting events at once: every batch is stored (no 5xx from SQLite's write lock)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.helpers.api import AUTH

POSTERS = 8
BATCHES = 12


def test_parallel_event_posters_all_land(server, indexed):
    base = server[1]
    videos = list(indexed.values())

    def post(poster: int) -> list[int]:
        codes = []
        with httpx.Client(base_url=base, timeout=60) as http:
            for batch in range(BATCHES):
                events = [{"user_id": f"poster-{poster}-{i}", "video_id": videos[(batch + i) % len(videos)],
                           "type": "view", "watch_seconds": 3.0, "completion": 0.5} for i in range(20)]
                codes.append(http.post("/events", json={"events": events}, headers=AUTH).status_code)
        return codes

    with ThreadPoolExecutor(POSTERS) as pool:
        codes = [c for result in pool.map(post, range(POSTERS)) for c in result]
    assert codes == [200] * (POSTERS * BATCHES)
    with httpx.Client(base_url=base, timeout=60) as http:
        profile = http.get("/users/poster-3-7/profile", headers=AUTH).json()
    assert profile["event_counts"]["view"] == BATCHES
