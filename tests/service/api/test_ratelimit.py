"""Rate limits: a token bucket per user token or client address (behind trusted proxies, the forwarded client);
admin keys unlimited unless capped; 429 with Retry-After past it."""
from __future__ import annotations

import ipaddress

import pytest
from fastapi.testclient import TestClient

from service.api import create_app
from service.api.auth import issue_token
from service.api.ratelimit import TokenBuckets, client_address
from tests.helpers.api import KEY, TOKEN_SECRET

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


PROXY = "10.1.2.3"
ANON = {}


def bearer(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(TOKEN_SECRET, user, 600)[0]}"}


@pytest.fixture(scope="module")
def settings():
    return dict(api_keys=f"{KEY},{OTHER_KEY}", rate_limit_per_s=0.01, rate_limit_burst=3,
                user_token_secret=TOKEN_SECRET, trusted_proxies=f"{PROXY},192.168.0.0/16")


@pytest.fixture(scope="module")
def limited(settings_factory, settings):
    """An app (no lifespan needed: /jobs reads only the in-memory job registry) allowing 3 requests at once to a
    user token or an address; admin keys unlimited (the default)."""
    return TestClient(create_app(settings_factory(**settings), start_workers=False))


@pytest.fixture
def capped(settings_factory, settings):
    """Admin keys capped too (admin_rate_limit_per_s set)."""
    return TestClient(create_app(settings_factory(**settings, admin_rate_limit_per_s=0.01), start_workers=False))


def statuses(client, n: int, headers: dict) -> list[int]:
    return [client.get("/jobs/nope", headers=headers).status_code for _ in range(n)]


def test_past_the_burst_the_answer_is_429_with_retry_after(limited):
    headers = bearer("burst-user")
    assert statuses(limited, 3, headers) == [404] * 3
    r = limited.get("/jobs/nope", headers=headers)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert int(r.headers["Retry-After"]) >= 1


def test_admin_keys_are_not_limited_by_default(limited):
    """The platform's backend asks feeds for all of its users: 400 requests in a burst, none refused."""
    assert set(statuses(limited, 400, {"X-API-Key": KEY})) == {404}


def test_admin_keys_are_limited_when_a_cap_is_set(capped):
    assert statuses(capped, 4, {"X-API-Key": KEY})[-1] == 429


def test_another_key_is_not_held_back_by_the_first(capped):
    statuses(capped, 4, {"X-API-Key": OTHER_KEY})
    assert statuses(capped, 1, {"X-API-Key": KEY}) == [404]


def test_another_users_token_is_not_held_back_by_the_first(limited):
    statuses(limited, 4, bearer("first"))
    assert statuses(limited, 1, bearer("second")) == [404]


def test_anonymous_clients_are_limited(settings_factory, settings):
    client = TestClient(create_app(settings_factory(**settings), start_workers=False), client=("203.0.113.9", 1))
    assert statuses(client, 4, ANON)[-1] == 429


def test_made_up_keys_share_their_address_bucket(settings_factory, settings):
    client = TestClient(create_app(settings_factory(**settings), start_workers=False), client=("203.0.113.8", 1))
    answers = [client.get("/jobs/nope", headers={"X-API-Key": f"made-up-{n}"}).status_code for n in range(5)]
    assert answers[-1] == 429


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(settings_factory, settings):
    client = TestClient(create_app(settings_factory(**settings), start_workers=False), client=(PROXY, 1))
    assert statuses(client, 4, {"X-Forwarded-For": "198.51.100.1"})[-1] == 429
    assert statuses(client, 3, {"X-Forwarded-For": "198.51.100.2"}) == [404] * 3


def test_a_forwarded_for_from_an_untrusted_peer_is_ignored(settings_factory, settings):
    client = TestClient(create_app(settings_factory(**settings), start_workers=False), client=("203.0.113.7", 1))
    answers = [client.get("/jobs/nope", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
               for n in range(4)]
    assert answers[-1] == 429  # one bucket: the peer's


@pytest.mark.parametrize(("peer", "forwarded", "client"), [
    ("203.0.113.7", "1.1.1.1", "203.0.113.7"),  # not a proxy: the header is the client's own words
    (PROXY, "1.1.1.1", "1.1.1.1"),
    (PROXY, "6.6.6.6, 1.1.1.1", "1.1.1.1"),  # the left entry was written by the client
    (PROXY, "1.1.1.1, 192.168.4.5", "1.1.1.1"),  # a second trusted proxy in the chain
    (PROXY, "", PROXY),
])
def test_the_client_address_is_the_nearest_untrusted_hop(peer, forwarded, client):
    proxies = [ipaddress.ip_network(PROXY), ipaddress.ip_network("192.168.0.0/16")]
    assert client_address(peer, forwarded, proxies) == client


def test_probes_are_never_limited(limited):
    assert {limited.get("/healthz").status_code for _ in range(10)} == {200}
