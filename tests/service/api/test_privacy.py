"""Personal data behind keys: user tokens, one user-id pattern on write and erase, erasure, no server paths."""
from __future__ import annotations

import sqlite3

import pytest

from service.api.auth import issue_token, token_user
from tests.helpers.api import AUTH, TOKEN_SECRET, clip_bytes, upload

USER_READS = ("profile", "recommendations", "content-settings")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("what", USER_READS)
def test_a_users_data_is_not_read_without_a_key(client, what):
    r = client.get(f"/users/carol/{what}")
    assert (r.status_code, r.json()["error"]["code"]) == (401, "unauthorized")


@pytest.mark.parametrize("what", USER_READS)
def test_a_users_own_token_reads_their_data(client, what):
    token = client.post("/users/carol/token", headers=AUTH).json()["token"]
    assert client.get(f"/users/carol/{what}", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("what", USER_READS)
def test_a_token_does_not_open_another_users_data(client, what):
    token = client.post("/users/carol/token", headers=AUTH).json()["token"]
    r = client.get(f"/users/dave/{what}", headers=bearer(token))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")


def test_a_token_is_issued_only_with_an_admin_key(client):
    assert client.post("/users/carol/token").status_code == 401


def test_a_user_token_is_no_admin_key(client, indexed):
    token = client.post("/users/carol/token", headers=AUTH).json()["token"]
    event = {"user_id": "carol", "video_id": indexed["pasta_recipe"], "type": "like"}
    assert client.post("/events", json={"events": [event]}, headers=bearer(token)).status_code == 401


def test_forged_or_expired_tokens_name_nobody():
    token, _ = issue_token(TOKEN_SECRET, "carol", ttl_s=60, now=1000.0)
    assert token_user(TOKEN_SECRET, token, now=1030.0) == "carol"
    assert token_user(TOKEN_SECRET, token, now=1061.0) is None
    assert token_user("another secret of 32 characters!", token, now=1030.0) is None
    assert token_user(TOKEN_SECRET, token.replace("carol", "admin"), now=1030.0) is None


def test_user_ids_with_dots_and_at_signs_round_trip_through_tokens():
    token, _ = issue_token(TOKEN_SECRET, "a.b@example.com", ttl_s=60, now=0.0)
    assert token_user(TOKEN_SECRET, token, now=1.0) == "a.b@example.com"


@pytest.mark.parametrize("user_id", ["alice smith", "josé", "bob/../carol", "..", "-x", "", "a" * 129])
def test_events_refuse_user_ids_that_erasure_could_not_address(client, indexed, user_id):
    event = {"user_id": user_id, "video_id": indexed["pasta_recipe"], "type": "like"}
    r = client.post("/events", json={"events": [event]}, headers=AUTH)
    assert r.status_code == 422
    assert r.json()["error"]["code"] in ("bad_user_id", "missing_field", "invalid_request")


@pytest.mark.parametrize("user_id", ["u1", "alice.smith", "a.b@example.com", "tenant:42", "x_y-z"])
def test_every_user_id_accepted_on_write_is_erasable(client, app, indexed, user_id):
    event = {"user_id": user_id, "video_id": indexed["pasta_recipe"], "type": "like"}
    assert client.post("/events", json={"events": [event]}, headers=AUTH).status_code == 200
    assert client.put(f"/users/{user_id}/content-settings", json={"show_sensitive": True}, headers=AUTH).is_success
    r = client.delete(f"/users/{user_id}", headers=AUTH)
    assert r.json() == {"user_id": user_id, "erased": True}
    assert rows_about(app, user_id) == {}


def test_erasure_removes_events_interests_derived_state_and_settings(client, app, indexed):
    user = "erase-me"
    events = [{"user_id": user, "video_id": indexed["gym_workout"], "type": t} for t in ("view", "like")]
    client.post("/events", json={"events": events}, headers=AUTH)
    client.put(f"/users/{user}/interests", json={"text": "cooking"}, headers=AUTH)
    client.put(f"/users/{user}/content-settings", json={"show_sensitive": True}, headers=AUTH)
    client.get(f"/users/{user}/recommendations", headers=AUTH)
    assert set(rows_about(app, user)) == {"events", "interests", "users", "user_state", "user_videos",
                                          "content_preferences", "co_recent"}
    token = client.post(f"/users/{user}/token", headers=AUTH).json()["token"]
    assert client.delete(f"/users/{user}", headers=bearer(token)).json()["erased"] is True  # self-service
    assert rows_about(app, user) == {}
    assert client.delete(f"/users/{user}", headers=AUTH).json()["erased"] is False


def test_erasure_needs_a_key(client):
    assert client.delete("/users/someone").status_code == 401


def rows_about(app, user_id: str) -> dict[str, int]:
    """Rows keyed by the user id in every table that has a user_id column."""
    with sqlite3.connect(app.state.settings.database) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                  if "user_id" in {c[1] for c in db.execute(f"PRAGMA table_info({t})")}]
        counts = {t: db.execute(f"SELECT COUNT(*) FROM {t} WHERE user_id=?", (user_id,)).fetchone()[0]
                  for t in tables}
    return {t: n for t, n in counts.items() if n}


def test_error_bodies_never_show_server_paths(app, client, indexed):
    """A space mismatch names the store's path for the CLI; the HTTP answer shows a placeholder instead."""
    db = app.state.settings.database
    with sqlite3.connect(db) as other:  # another deployment's models wrote this store's space id
        (space,) = other.execute("SELECT value FROM meta WHERE key='space_id'").fetchone()
        other.execute("UPDATE meta SET value='text=other|visual=other' WHERE key='space_id'")
    try:
        fresh = clip_bytes("pasta_recipe") + b"\x00\x00\x00\x10free" + bytes(8)  # new content: a free box appended
        r = upload(client, "pasta_recipe", data=fresh)
    finally:
        with sqlite3.connect(db) as other:
            other.execute("UPDATE meta SET value=? WHERE key='space_id'", (space,))
    assert (r.status_code, r.json()["error"]["code"]) == (409, "space_mismatch")
    assert str(app.state.settings.data_dir.name) not in r.text
    assert "<server path>" in r.json()["error"]["message"]


def test_tokens_without_a_secret_are_a_404_not_a_retryable_5xx(idle_client):
    """REELSENSE_USER_TOKEN_SECRET unset: a setting that never changes by itself, so no 5xx (clients would retry)."""
    r = idle_client.post("/users/carol/token", headers=AUTH)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "tokens_disabled")
