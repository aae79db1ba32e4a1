"""`explain=false|brief|full` on feeds, similar videos and search: no explanation, the brief one (why the item is
there and what added most to its score) or every part of the score; the bodies match the documented models."""
from __future__ import annotations

import pytest

from service.api.schemas import Recommendations, SearchResults, SimilarVideos
from tests.helpers.api import AUTH

USER = "explain-levels"
BRIEF_KEYS = {"reason", "top", "contribution"}
FULL_KEYS = {"contributions", "matched_tags", "reason", "category", "negative_penalty"}
FEED_KEYS = FULL_KEYS | {"signals", "scoring_stage", "stage", "user_weights"}
MODALITIES = {"text", "visual", "audio"}


@pytest.fixture(scope="module")
def warm_user(client, indexed) -> str:
    events = [{"user_id": USER, "video_id": indexed[name], "type": "like"} for name in ("gym_workout", "pasta_recipe")]
    assert client.post("/events", json={"events": events}, headers=AUTH).json() == {"accepted": 2}
    return USER


def feed(client, user: str, explain: str | None) -> dict:
    params = {"k": 6, "diversity": 0.0} | ({"explain": explain} if explain else {})
    r = client.get(f"/users/{user}/recommendations", params=params, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    return Recommendations.model_validate(r.json()).model_dump(exclude_unset=True)


def test_false_leaves_the_explanation_out(client, warm_user):
    items = feed(client, warm_user, "false")["items"]
    assert items
    assert all(set(item) == {"video_id", "score", "rank"} for item in items)
    assert [i["video_id"] for i in items] == [i["video_id"] for i in feed(client, warm_user, "full")["items"]]


def test_brief_is_the_default_and_names_the_largest_signal_of_the_full_one(client, warm_user):
    brief, full = feed(client, warm_user, None)["items"], feed(client, warm_user, "full")["items"]
    assert [i["video_id"] for i in brief] == [i["video_id"] for i in full]
    for short, long in zip(brief, full, strict=True):
        assert set(short["explanation"]) == BRIEF_KEYS
        assert short["explanation"]["reason"] == long["explanation"]["reason"]
        signals = long["explanation"]["signals"]
        assert short["explanation"]["top"] in signals
        assert short["explanation"]["contribution"] == pytest.approx(max(signals.values()), abs=1e-3)
        assert signals[short["explanation"]["top"]] == pytest.approx(max(signals.values()), abs=1e-3)


def test_full_is_every_part_of_the_score(client, warm_user):
    items = feed(client, warm_user, "full")["items"]
    for item in items:
        exp = item["explanation"]
        assert FULL_KEYS <= set(exp) <= FEED_KEYS | {"sound"}
        assert set(exp["contributions"]) == MODALITIES
        assert exp["scoring_stage"] in ("early", "warm")
        assert "content" in exp["signals"]
    assert {i["explanation"]["reason"] for i in items} <= {"personal", "exploration"}


def test_similar_brief_names_the_modality_that_contributed_most(client, indexed):
    url = f"/videos/{indexed['gym_workout']}/similar"
    answers = {level: client.get(url, params={"k": 3, "explain": level}) for level in ("false", "brief", "full")}
    bodies = {level: SimilarVideos.model_validate(r.json()).model_dump(exclude_unset=True)["items"]
              for level, r in answers.items()}
    assert all("explanation" not in item for item in bodies["false"])
    assert client.get(url, params={"k": 3}).json() == answers["brief"].json()  # brief is the default
    for short, long in zip(bodies["brief"], bodies["full"], strict=True):
        assert short["video_id"] == long["video_id"]
        assert set(short["explanation"]) == BRIEF_KEYS and short["explanation"]["reason"] == "similar"
        parts = long["explanation"]["contributions"]
        assert short["explanation"]["contribution"] == pytest.approx(max(parts.values()), abs=1e-4)
        assert parts[short["explanation"]["top"]] == pytest.approx(max(parts.values()), abs=1e-4)


def test_search_levels_keep_the_moment(client, indexed):
    def hits(level: str) -> list[dict]:
        r = client.get("/search", params={"q": "cat running around", "k": 3, "explain": level})
        return SearchResults.model_validate(r.json()).model_dump(exclude_unset=True)["items"]

    bare, brief, full = hits("false"), hits("brief"), hits("full")
    assert all(set(h) == {"video_id", "score", "rank", "moment"} for h in bare)
    assert [h["video_id"] for h in bare] == [h["video_id"] for h in brief] == [h["video_id"] for h in full]
    assert all(set(h["explanation"]) == BRIEF_KEYS and h["explanation"]["top"] in MODALITIES for h in brief)
    assert all(h["explanation"]["reason"] == "search" and FULL_KEYS <= set(h["explanation"]) for h in full)


@pytest.mark.parametrize("path", ["/users/u1/recommendations", "/videos/{gym}/similar", "/search"])
def test_an_unknown_level_is_invalid_request(client, indexed, path):
    r = client.get(path.format(gym=indexed["gym_workout"]), params={"q": "pasta", "explain": "yes"}, headers=AUTH)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"
    assert "explain" in r.json()["error"]["message"]


def test_the_document_lists_the_three_levels_and_both_forms(client):
    spec = client.get("/openapi.json").json()
    for path in ("/users/{user_id}/recommendations", "/videos/{video_id}/similar", "/search"):
        param = next(p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "explain")
        assert (param["schema"]["enum"], param["schema"]["default"]) == (["false", "brief", "full"], "brief")
    forms = spec["components"]["schemas"]["RankedVideo"]["properties"]["explanation"]["anyOf"]
    assert {f.get("$ref", f.get("type")) for f in forms} == {"#/components/schemas/BriefExplanation",
                                                             "#/components/schemas/FullExplanation", "null"}
