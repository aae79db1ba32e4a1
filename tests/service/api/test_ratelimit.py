"""Rate limits: a token bucket per admin key, user token or client address; 429 with Retry-After past it."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.api import create_app
from service.api.ratelimit import TokenBuckets
from tests.helpers.api import KEY

OTHER_KEY = "second-admin-key"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate():
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=3, clock=clock)
    assert [buckets.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("k") == pytest.approx(0.5)  # one token comes back after half a second at 2/s
    clock.now += 0.5
    assert buckets.take("k") == 0.0
    assert buckets.take("k") > 0


def test_principals_have_buckets_of_their_own():
    buckets = TokenBuckets(rate=1.0, burst=1, clock=Clock())
    assert buckets.take("a") == 0.0
    assert buckets.take("b") == 0.0
    assert buckets.take("a") > 0


@pytest.fixture(scope="module")
def limited(settings_factory):
    """An app (no lifespan needed: /jobs reads only the in-memory job registry) allowing 3 requests at once."""
    app = create_app(settings_factory(api_keys=f"{KEY},{OTHER_KEY}", rate_limit_per_s=0.01, rate_limit_burst=3),
                     start_workers=False)
    return TestClient(app)


def test_past_the_burst_the_answer_is_429_with_retry_after(limited):
    headers = {"X-API-Key": KEY}
    assert [limited.get("/jobs/nope", headers=headers).status_code for _ in range(3)] == [404] * 3
    r = limited.get("/jobs/nope", headers=headers)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert int(r.headers["Retry-After"]) >= 1


def test_another_key_is_not_held_back_by_the_first(limited):
    for _ in range(4):
        limited.get("/jobs/nope", headers={"X-API-Key": KEY})
    assert limited.get("/jobs/nope", headers={"X-API-Key": OTHER_KEY}).status_code == 404


def test_made_up_keys_share_their_address_bucket(limited):
    answers = [limited.get("/jobs/nope", headers={"X-API-Key": f"made-up-{n}"}).status_code for n in range(5)]
    assert answers[-1] == 429


def test_probes_are_never_limited(limited):
    assert {limited.get("/healthz").status_code for _ in range(10)} == {200}
