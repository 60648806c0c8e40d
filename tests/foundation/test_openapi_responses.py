"""/openapi.json documents every /v1 answer: a response schema per operation, upstream's error body
for the other statuses, and the members of ../shared/reference/auth-api-responses.md; the check
that holds every test's answers to it (tests/openapi_check.py) refuses what it does not say."""
import json
import re
from pathlib import Path

import pytest
import requests
from django.conf import settings

from accounts.openapi import UNDOCUMENTED
from tests.helpers import ApiClient
from tests.openapi_check import checking_send, schemas

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


RESPONSES_REFERENCE = Path(settings.BASE_DIR).parent / "shared" / "reference" / "auth-api-responses.md"

# Where our documented success members differ from the reference's table, each with why.
DIFFERENT_FROM_REFERENCE = {
    # Upstream's newer GET /account, which the settings pages read; subscriptions stay empty.
    "GET /v1/account": ({"createdAt", "passwordCreatedAt", "hasPassword", "metricsOptOutAt"}, set()),
    # Account locking and disabling by support staff: upstream's admin features, not built here.
    "GET /v1/account/profile": (set(), {"accountLockedAt", "accountDisabledAt"}),
    # checkDomain is not supported.
    "POST /v1/account/status": (set(), {"invalidDomain"}),
    # The reference names the second token keyFetchTokenVersion2; ours answers keyFetchToken2, as
    # /password/change/finish does (a wire difference to settle against upstream's account.ts).
    "POST /v1/account/reset": ({"keyFetchToken2"}, {"keyFetchTokenVersion2"}),
    # A v2 account's re-authentication with keys=true gets its v2 token under login's name.
    "POST /v1/session/reauth": ({"keyFetchTokenVersion2"}, set()),
    # Older upstream's first-time verification answer, which PyFxA 0.8 reads.
    "POST /v1/session/verify/totp": ({"recoveryCodes"}, set()),
}


def top_level_members(body):
    """The member names of a reference body such as ``{uid, keyFetchToken?, details: {...}}``."""
    members, depth, current = set(), 0, ""
    for char in body[1:-1] + ",":
        depth += (char in "{[(") - (char in "}])")
        if char == "," and depth == 0:
            match = re.match(r"\s*([A-Za-z_][\w-]*)", current)
            members.update([match.group(1)] if match else [])
            current = ""
        else:
            current += char
    return members


def reference_bodies():
    """{"METHOD /v1/route": members} of the reference's success-body tables: every body the cell
    gives before its first dash (what follows is errors and behaviour), of the row's first route."""
    bodies = {}
    for line in RESPONSES_REFERENCE.read_text().splitlines():
        match = re.match(r"\| `(GET|POST|PUT|DELETE) (/[^`\s\[?]*)[^|]*\| (.*)\|\s*$", line)
        if match:
            method, route, cell = match.groups()
            found = re.findall(r"`(\{.*?\})`", cell.split(" — ")[0].split(" / ")[0])
            if found:
                bodies[f"{method} /v1{route}"] = set().union(*map(top_level_members, found))
    return bodies


def documented_members(method, path):
    operation = schemas().paths.get(path, {}).get(method.lower())
    if operation is None:
        return None
    schema = operation["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = schemas().components["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return set(schema.get("properties", {})) if schema.get("type") == "object" else None


def test_success_members_match_the_reference():
    bodies = reference_bodies()
    assert len(bodies) > 50  # the parse found the tables
    compared, differences = 0, {}
    for name, reference in bodies.items():
        ours = documented_members(*name.split(" "))
        if ours is None:
            continue  # not served, or not an object (see test_openapi.NOT_SERVED)
        compared += 1
        if ours != reference:
            differences[name] = (ours - reference, reference - ours)
    assert compared > 50
    assert differences == DIFFERENT_FROM_REFERENCE


class CannedAdapter(requests.adapters.BaseAdapter):
    """A transport answering every request with one JSON body, as a live stack would."""

    def __init__(self, body):
        super().__init__()
        self.body = body

    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response.headers["Content-Type"] = "application/json"
        response._content = json.dumps(self.body).encode()
        return response

    def close(self):
        pass


@pytest.mark.parametrize("body, passes", [({"data": "ab" * 32}, True), ({"data": 1}, False)])
def test_live_stack_answers_are_checked_too(monkeypatch, body, passes):
    monkeypatch.setattr(requests.Session, "send", checking_send("http://stack.test"))
    session = requests.Session()
    session.mount("http://", CannedAdapter(body))
    if passes:
        assert session.post("http://stack.test/v1/get_random_bytes").json() == body
    else:
        with pytest.raises(AssertionError, match=r'(?s)POST /v1/get_random_bytes -> 200.*data: 1 is not of type "string"'):
            session.post("http://stack.test/v1/get_random_bytes")
        # Only the stack's answers are held to its document.
        assert session.post("http://elsewhere.test/v1/get_random_bytes").json() == body
