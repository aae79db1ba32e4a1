"""The OpenAPI document: every operation has a response schema, and documents the errors it can answer."""
from __future__ import annotations

import pytest

ERROR_SCHEMA = "#/components/schemas/ErrorBody"
# operation -> the error statuses it can answer (auth, unknown ids, validation, conflicts, limits, workers)
LIMITED = {429}  # every resource route is rate-limited; probes and metrics are not
USER = {401, 403}  # a user's own data: an admin key or that user's token
ERROR_STATUSES = {
    ("post", "/videos"): {400, 401, 409, 413, 415, 422, 503, 504} | LIMITED,
    ("get", "/videos/{video_id}"): {404, 422} | LIMITED,
    ("delete", "/videos/{video_id}"): {401, 404, 422} | LIMITED,
    ("get", "/videos/{video_id}/similar"): {404, 409, 422} | LIMITED,
    ("get", "/videos/{video_id}/frames/{index}.jpg"): {404, 422} | LIMITED,
    ("get", "/videos/{video_id}/same-sound"): {404, 422} | LIMITED,
    ("get", "/sounds/trending"): {422} | LIMITED,
    ("get", "/videos/{video_id}/moments"): {404, 422} | LIMITED,
    ("get", "/jobs/{job_id}"): {404, 422} | LIMITED,
    ("get", "/search"): {409, 422, 503} | LIMITED,
    ("post", "/events"): {401, 413, 422} | LIMITED,
    ("put", "/users/{user_id}/interests"): {413, 422} | USER | LIMITED,
    ("get", "/users/{user_id}/profile"): {422} | USER | LIMITED,
    ("delete", "/users/{user_id}/history"): {422} | USER | LIMITED,
    ("delete", "/users/{user_id}"): {422} | USER | LIMITED,
    ("post", "/users/{user_id}/token"): {401, 404, 422} | LIMITED,
    ("get", "/users/{user_id}/recommendations"): {422} | USER | LIMITED,
    ("put", "/users/{user_id}/content-settings"): {413, 422} | USER | LIMITED,
    ("get", "/users/{user_id}/content-settings"): {422} | USER | LIMITED,
    ("get", "/healthz"): set(),
    ("get", "/readyz"): {503},
    ("get", "/metrics"): set(),
}


@pytest.fixture(scope="module")
def spec(client) -> dict:
    return client.get("/openapi.json").json()


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield (method, path), operation


def test_the_document_lists_every_route_and_nothing_else(spec):
    assert {key for key, _ in operations(spec)} == set(ERROR_STATUSES)


def test_every_response_of_every_operation_has_a_schema(spec):
    missing = [(key, status, media) for key, op in operations(spec) for status, response in op["responses"].items()
               for media, content in response.get("content", {"": {}}).items()
               if not (content.get("schema", {}).get("$ref") or content.get("schema", {}).get("type"))]
    assert missing == []


def test_every_operation_documents_a_success_response(spec):
    without = [key for key, op in operations(spec) if not any(s.startswith("2") for s in op["responses"])]
    assert without == []


@pytest.mark.parametrize("key", sorted(ERROR_STATUSES), ids=" ".join)
def test_each_operation_documents_its_error_statuses(spec, key):
    responses = spec["paths"][key[1]][key[0]]["responses"]
    documented = {int(s) for s in responses if not s.startswith("2")}
    assert documented == ERROR_STATUSES[key]


def test_every_error_response_uses_the_error_schema(spec):
    schemas = {(key, status): op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
               for key, op in operations(spec) for status in op["responses"] if not status.startswith("2")}
    assert set(schemas.values()) == {ERROR_SCHEMA}


def test_the_error_schema_is_code_and_message(spec):
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert detail["required"] == ["code", "message"]
    assert spec["components"]["schemas"]["ErrorBody"]["properties"]["error"]["$ref"].endswith("/ErrorDetail")


def test_upload_is_documented_as_a_multipart_form_with_a_file(spec):
    body = spec["paths"]["/videos"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["required"] == ["file"]
    assert body["properties"]["file"]["format"] == "binary"


def test_upload_documents_the_queued_job_answer(spec):
    queued = spec["paths"]["/videos"]["post"]["responses"]["202"]["content"]["application/json"]["schema"]
    assert queued["$ref"].endswith("/JobAccepted")


def test_video_id_parameters_carry_the_content_hash_pattern(spec):
    patterns = {path: p["schema"].get("pattern") for (_, path), op in operations(spec)
                for p in op.get("parameters", []) if p["name"] == "video_id"}
    assert set(patterns.values()) == {"^[0-9a-f]{64}$"}
    assert len(patterns) == 5  # /videos/{video_id} (get, delete), /similar, /frames/{index}.jpg, /same-sound, /moments


def test_write_operations_require_the_api_key(spec):
    admin_only = {key for key, op in operations(spec) if op.get("security") == [{"APIKeyHeader": []}]}
    assert admin_only == {("post", "/videos"), ("delete", "/videos/{video_id}"), ("post", "/events"),
                          ("post", "/users/{user_id}/token")}


def test_user_data_takes_an_admin_key_or_the_users_token(spec):
    either = {key for key, op in operations(spec) if op.get("security") == [{"APIKeyHeader": []}, {"HTTPBearer": []}]}
    assert either == {(method, path) for method, path in ERROR_STATUSES if 403 in ERROR_STATUSES[(method, path)]}
    assert len(either) == 7


def test_a_disabled_feature_is_documented_as_404_with_its_code(spec):
    responses = spec["paths"]["/users/{user_id}/token"]["post"]["responses"]
    assert "503" not in responses
    assert responses["404"]["content"]["application/json"]["example"]["error"]["code"] == "tokens_disabled"
