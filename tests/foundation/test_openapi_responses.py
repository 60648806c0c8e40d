"""/openapi.json documents every /v1 answer: a response schema per operation, upstream's error body
for the other statuses; and the check that holds every test's answers to it (tests/openapi_check.py)
refuses what the document does not say."""
import pytest

from accounts.openapi import UNDOCUMENTED
from tests.helpers import ApiClient
from tests.openapi_check import schemas

OPERATIONS = ("get", "post", "put", "delete", "patch")


def operations():
    for path, item in schemas().paths.items():
        for method, operation in item.items():
            if method in OPERATIONS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_documents_its_success_body_and_the_error_body():
    undocumented = [name for name, operation in operations()
                    if any(response.get("content", {}).get("application/json", {}).get("schema") == UNDOCUMENTED
                           for response in operation["responses"].values())]
    assert not undocumented, "declare response_serializer on the views of: " + ", ".join(undocumented)
    without_errors = [name for name, operation in operations()
                      if operation["responses"].get("default", {}).get("content", {})
                      .get("application/json", {}).get("schema") != {"$ref": "#/components/schemas/Error"}]
    assert not without_errors


def test_no_success_body_is_a_bare_object():
    bare = []
    for name, operation in operations():
        for status, response in operation["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if status != "default" and schema.get("type") == "object" and not schema.get("properties") \
                    and "additionalProperties" not in schema:
                bare.append(f"{name} {status}")
    assert not bare


def test_the_error_body_is_upstreams():
    error = schemas().components["schemas"]["Error"]
    assert set(error["required"]) == {"code", "errno", "error", "message"}
    assert schemas().problems("GET", "/v1/session/status", 401, {
        "code": 401, "errno": 110, "error": "Unauthorized", "message": "Invalid authentication token",
        "info": "https://example.com"}) is None


@pytest.mark.parametrize("body, complaint", [
    ({"exists": True, "extra": 1}, "Additional properties are not allowed ('extra' was unexpected)"),
    ({}, '"exists" is a required property'),
    ({"exists": "yes"}, '"yes" is not of type "boolean"'),
])
def test_a_body_the_schema_refuses_is_named_with_its_route_and_member(body, complaint):
    problem = schemas().problems("POST", "/v1/account/status", 200, body, "AccountStatusView")
    assert problem.startswith("POST /v1/account/status -> 200 (AccountStatusView): the body does not match")
    assert complaint in problem


def test_an_error_without_errno_is_refused():
    problem = schemas().problems("POST", "/v1/account/status", 400, {"code": 400, "message": "x"})
    assert '"errno" is a required property' in problem


def test_an_undocumented_route_or_status_is_refused():
    assert "the route is not in /openapi.json" in schemas().problems("GET", "/v1/nowhere", 200, {})
    assert "no response documented for status 201" in schemas().problems("POST", "/v1/account/status", 201, {})
    # An unknown route's 404 is still upstream's error body.
    assert schemas().problems("GET", "/v1/nowhere", 404, {
        "code": 404, "errno": 999, "error": "Not Found", "message": "Unspecified error"}) is None


def test_templated_routes_match_after_literal_ones():
    assert schemas().route("/v1/recoveryKey/exists") == "/v1/recoveryKey/exists"
    assert schemas().route("/v1/recoveryKey/" + "a" * 32) == "/v1/recoveryKey/{recoveryKeyId}"


@pytest.mark.django_db
def test_the_test_client_fails_on_an_answer_its_schema_refuses(monkeypatch):
    # A document that names a member the route does not send: the hook must notice.
    monkeypatch.setitem(schemas().paths["/v1/get_random_bytes"]["post"]["responses"]["200"]["content"]
                        ["application/json"], "schema", {"type": "object", "required": ["missing"]})
    schemas().validator.cache_clear()
    try:
        with pytest.raises(AssertionError, match=r"(?s)POST /v1/get_random_bytes -> 200 \(GetRandomBytesView\).*missing"):
            ApiClient().post("/get_random_bytes")
    finally:
        monkeypatch.undo()
        schemas().validator.cache_clear()
    assert ApiClient().post("/get_random_bytes").status_code == 200
