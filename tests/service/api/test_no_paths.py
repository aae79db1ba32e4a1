"""No answer of any route shows a server path: every string of every operation's answer (success bodies and the
stored stats they echo included) is walked and checked against the server's own directories.

Every operation of the OpenAPI document must be called here, so a new route cannot slip past the check."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.helpers.api import AUTH, clip_bytes, form_fields, upload, wait_for_job

FREE_BOX = b"\x00\x00\x00\x10free" + bytes(8)  # appended to a clip: new content, same pictures and sound


def strings(value) -> list[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def server_dirs(app) -> list[str]:
    """The server's directories an answer must not name: its data dir and the folders above it, the working
    directory, the home and temporary directories."""
    data = Path(app.state.settings.data_dir).resolve()
    dirs = {str(data), str(Path(app.state.settings.database).resolve().parent), os.getcwd(),
            str(Path.home()), tempfile.gettempdir(), *(str(p) for p in data.parents if len(p.parts) > 1)}
    return sorted(d for d in dirs if d not in ("/", ""))


class Calls:
    """Every operation's answer, keyed by (method, OpenAPI path)."""

    def __init__(self, client, http, indexed):
        self.client, self.http, self.indexed = client, http, indexed
        self.answers: dict[tuple[str, str], object] = {}

    def call(self, method: str, template: str, url: str, **kwargs):
        r = self.client.request(method, url, **kwargs)
        assert r.status_code < 500, (url, r.text)
        if r.headers.get("content-type", "").startswith("application/json"):
            self.answers[(method.lower(), template)] = r.json()
        else:
            self.answers[(method.lower(), template)] = r.text if r.headers.get(
                "content-type", "").startswith("text/") else ""
        return r


def run_every_operation(client, http, indexed) -> Calls:
    calls = Calls(client, http, indexed)
    vid = indexed["pasta_recipe"]
    fresh = clip_bytes("rainy_study") + FREE_BOX
    r = calls.call("POST", "/videos", "/videos", headers=AUTH, data=form_fields("rainy_study"),
                   files={"file": ("x.bin", fresh, "application/octet-stream")})
    assert r.status_code == 201, r.text
    new_id = r.json()["id"]
    job = upload(http, "sunset_beach", data=clip_bytes("sunset_beach") + FREE_BOX, params={"mode": "async"})
    wait_for_job(http, job.headers["location"])
    calls.call("GET", "/jobs/{job_id}", job.headers["location"])
    for template, url in [("/videos/{video_id}", f"/videos/{new_id}"),
                          ("/videos/{video_id}/similar", f"/videos/{vid}/similar"),
                          ("/videos/{video_id}/frames/{index}.jpg", f"/videos/{vid}/frames/0.jpg"),
                          ("/videos/{video_id}/same-sound", f"/videos/{vid}/same-sound"),
                          ("/videos/{video_id}/moments", f"/videos/{vid}/moments?q=pasta"),
                          ("/search", "/search?q=pasta"), ("/sounds/trending", "/sounds/trending"),
                          ("/healthz", "/healthz"), ("/readyz", "/readyz"), ("/metrics", "/metrics")]:
        calls.call("GET", template, url)
    user = "path-walker"
    calls.call("POST", "/events", "/events", headers=AUTH,
               json={"events": [{"user_id": user, "video_id": vid, "type": "like"}]})
    calls.call("PUT", "/users/{user_id}/interests", f"/users/{user}/interests", headers=AUTH, json={"text": "food"})
    calls.call("PUT", "/users/{user_id}/content-settings", f"/users/{user}/content-settings", headers=AUTH,
               json={"show_sensitive": False})
    for what in ("profile", "recommendations", "content-settings"):
        calls.call("GET", f"/users/{{user_id}}/{what}", f"/users/{user}/{what}", headers=AUTH)
    calls.call("POST", "/users/{user_id}/token", f"/users/{user}/token", headers=AUTH)
    calls.call("DELETE", "/users/{user_id}/history", f"/users/{user}/history", headers=AUTH)
    calls.call("DELETE", "/users/{user_id}", f"/users/{user}", headers=AUTH)
    for stored in (new_id, client.get(job.headers["location"]).json().get("result", {}).get("id")):
        if stored:
            calls.call("DELETE", "/videos/{video_id}", f"/videos/{stored}", headers=AUTH)
    return calls


@pytest.fixture(scope="module")
def answers(client, http, indexed):
    return run_every_operation(client, http, indexed).answers


def test_every_operation_of_the_document_is_walked(app, answers):
    documented = {(m, p) for p, ops in app.openapi()["paths"].items() for m in ops}
    assert documented - set(answers) == set()


def test_no_answer_names_a_server_directory(app, answers):
    dirs = server_dirs(app)
    found = [(op, s) for op, body in answers.items() for s in strings(body) if any(d in s for d in dirs)]
    assert found == []


def test_stats_say_in_words_that_there_is_no_topic_model(client, indexed):
    stats = client.get(f"/videos/{indexed['pasta_recipe']}").json()["stats"]["text"]
    assert stats["topics_available"] is False
    assert stats["topics_reason"].startswith("no topic model yet")


def test_records_stored_with_a_topic_folder_path_read_without_it():
    from service.api.schemas.videos import public_stats

    old = {"text": {"topics_available": False, "topics_reason": "no topic model in /srv/x/topics; run it"},
           "audio": {"bpm": 120.0}}
    shown = public_stats(old)
    assert "/srv" not in str(shown) and shown["text"]["topics_reason"].startswith("no topic model yet")
    assert shown["audio"] == old["audio"]
