"""Every route answers its errors as {"error": {"code", "message"}} with the status its code maps to."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.api import create_app
from tests.helpers.api import AUTH, UNKNOWN_VIDEO

# (method, url, request options, status, code): one error of each route, and of no route at all
ROUTE_ERRORS = [
    ("POST", "/videos", {"files": {"file": ("a.mp4", b"x")}}, 401, "unauthorized"),
    ("GET", "/videos/not-a-hash", {}, 422, "invalid_request"),
    ("GET", f"/videos/{UNKNOWN_VIDEO}", {}, 404, "video_not_found"),
    ("DELETE", f"/videos/{UNKNOWN_VIDEO}", {"headers": AUTH}, 404, "video_not_found"),
    ("GET", f"/videos/{UNKNOWN_VIDEO}/similar", {}, 404, "video_not_found"),
    ("GET", "/jobs/nope", {}, 404, "job_not_found"),
    ("GET", "/search?q=%20", {}, 422, "empty_query"),
    ("POST", "/events", {"json": {"events": []}, "headers": AUTH}, 422, "invalid_request"),
    ("PUT", "/users/u1/interests", {"json": {"tags": "not a list"}, "headers": AUTH}, 422, "invalid_request"),
    ("GET", "/users/bad%20id!/profile", {}, 422, "invalid_request"),
    ("DELETE", "/users/u1/history", {}, 401, "unauthorized"),
    ("GET", "/users/u1/recommendations?k=0", {"headers": AUTH}, 422, "invalid_request"),
    ("GET", "/users/u1/profile", {}, 401, "unauthorized"),
    ("POST", "/healthz", {}, 405, "method_not_allowed"),
    ("PUT", "/metrics", {}, 405, "method_not_allowed"),
    ("GET", "/no/such/route", {}, 404, "not_found"),
]


@pytest.mark.parametrize(("method", "url", "options", "status", "code"), ROUTE_ERRORS,
                         ids=[f"{m} {u}" for m, u, *_ in ROUTE_ERRORS])
def test_route_errors_have_the_error_body(client, method, url, options, status, code):
    r = client.request(method, url, **options)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    assert set(r.json()) == {"error"}
    assert set(r.json()["error"]) == {"code", "message"}
    assert r.json()["error"]["code"] == code
    assert r.json()["error"]["message"]


def test_method_not_allowed_names_the_allowed_methods(client):
    assert client.post("/healthz").headers["allow"] == "GET"


def test_method_not_allowed_names_the_methods_of_every_route_at_the_path(client):
    """/videos/{id} has a GET and a DELETE route; the answer names both, not only the first route's."""
    assert client.put(f"/videos/{UNKNOWN_VIDEO}").headers["allow"] == "DELETE, GET"


@pytest.mark.parametrize("query", ["%20", "%1C", "%09%0A", "%00", "%E2%80%8B", "%C2%A0%7F"])
def test_a_query_of_only_spaces_or_control_characters_is_empty_query(client, query):
    r = client.get(f"/search?q={query}")
    assert (r.status_code, r.json()["error"]["code"]) == (422, "empty_query")


def test_control_characters_in_a_query_count_as_spaces(client, indexed):
    r = client.get("/search?q=%00garlic%09%1Cpasta%0A")
    assert (r.status_code, r.json()["query"]) == (200, "garlic pasta")


def test_a_body_that_is_not_utf8_is_invalid_not_a_bad_request(client):
    r = client.put("/users/u1/interests", content=b"\xff\xfe{", headers={**AUTH, "content-type": "application/json"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_request")


def test_bad_event_errors_also_say_which_event(client, indexed):
    event = {"user_id": "u1", "video_id": indexed["pasta_recipe"], "type": "view"}
    r = client.post("/events", json={"events": [event, {**event, "type": "love"}]}, headers=AUTH)
    assert r.json()["error"] == {"code": "unknown_event_type", "message": r.json()["error"]["message"], "index": 1}


def test_readiness_error_has_the_error_body(idle_client):
    r = idle_client.get("/readyz")
    assert r.status_code == 503
    assert set(r.json()["error"]) == {"code", "message"}


def test_unexpected_exceptions_are_500_internal_error_without_details(settings_factory):
    app = create_app(settings_factory(), start_workers=False)

    def broken_route():
        raise RuntimeError("secret internal detail")

    app.add_api_route("/broken", broken_route)  # a route with a bug, to reach the handler of last resort
    r = TestClient(app, raise_server_exceptions=False).get("/broken")  # no lifespan: the route needs no models
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal_error", "message": "the server failed to handle this request"}}
