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


REFERENCES = Path(settings.BASE_DIR).parent / "shared" / "reference"
RESPONSES_REFERENCE = REFERENCES / "auth-api-responses.md"
OAUTH_REFERENCE = REFERENCES / "oauth.md"

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
    # Both names of the session's handle: the settings pages of either age find theirs.
    # No "approximate" times: every session and device here has its real last access time.
    "GET /v1/account/attached_clients": ({"sessionTokenHandle"}, {"approximateLastAccessTime",
                                                                  "approximateLastAccessTimeFormatted"}),
    "GET /v1/account/devices": (set(), {"approximateLastAccessTime", "approximateLastAccessTimeFormatted"}),
}

# Where a member's documented JSON type differs from the type the reference gives it, with why.
TYPES_DIFFERENT_FROM_REFERENCE = {}

# The reference's words for a value, as JSON Schema types (ms and seconds are integers).
REFERENCE_TYPE_WORDS = {"bool": "boolean", "int": "integer", "ms": "integer", "str": "string",
                        "hex": "string", "hex32": "string", "hex64": "string", "JWT": "string"}


def reference_type(text):
    """The JSON types a reference type such as ``str|null``, ``[str]``, ``1|2`` or ``"v1"|"v2"``
    names, or None when it names none (``AttachedClient`` and other prose)."""
    types = set()
    for alternative in re.split(r"\\?\|", text):
        alternative = alternative.strip()
        word = re.match(r"[A-Za-z0-9]+", alternative)
        if alternative.startswith("["):
            types.add("array")
        elif alternative.startswith("{"):
            types.add("object")
        elif alternative.startswith('"'):
            types.add("string")
        elif alternative == "null":
            types.add("null")
        elif re.fullmatch(r"\d+", alternative):
            types.add("integer")
        elif word and word.group() in REFERENCE_TYPE_WORDS:
            types.add(REFERENCE_TYPE_WORDS[word.group()])
        else:
            return None
    return frozenset(types)


def top_level_members(body):
    """The members of a reference body such as ``{uid, keyFetchToken?, details: {...}}``, each with
    the JSON types the body gives it (None when it gives none)."""
    members, depth, current = {}, 0, ""
    for char in body[1:-1] + ",":
        depth += (char in "{[(") - (char in "}])")
        if char == "," and depth == 0:
            match = re.match(r"\s*([A-Za-z_][\w-]*)\??\s*(?::\s*(.*?)\s*)?(\\?\|\s*null)?\s*$", current, re.S)
            if match:
                name, typed, null = match.groups()
                types = reference_type(typed) if typed else None
                if types is not None and null:
                    types |= {"null"}
                members[name] = types
            current = ""
        else:
            current += char
    return members


def reference_bodies():
    """{"METHOD /v1/route": members} of the reference's success-body tables: every body the cell
    gives before its first dash (what follows is errors and behaviour), of the row's first route;
    an array's body is its items' (``[ {...} ]``, or the AttachedClient block it names)."""
    text = RESPONSES_REFERENCE.read_text()
    attached_client = re.search(r"^AttachedClient:\n```\n(.*?)```", text, re.M | re.S).group(1)
    bodies = {}
    for line in text.splitlines():
        match = re.match(r"\| `(GET|POST|PUT|DELETE) (/[^`\s\[?]*)[^|]*\| (.*)\|\s*$", line)
        if match:
            method, route, cell = match.groups()
            cell = cell.split(" — ")[0].split(" / ")[0].replace("`[ AttachedClient ]`", f"`[ {attached_client} ]`")
            found = re.findall(r"`\[?\s*(\{.*?\})\s*\]?`", cell, re.S)
            if found:
                members = {}
                for body in found:
                    members.update(top_level_members(" ".join(body.split())))
                bodies[f"{method} /v1{route}"] = members
    bodies.update(oauth_reference_bodies())
    return bodies


def oauth_reference_bodies():
    """The token answer of oauth.md §7 (its field table's members, typed by its example) and the
    profile of §10 (its field table's members)."""
    text = OAUTH_REFERENCE.read_text()
    token = text[text.index("### Response", text.index("## 7. Token endpoint")):text.index("## 8.")]
    example = json.loads(re.search(r"```json\n(.*?)```", token, re.S).group(1))
    json_types = {str: "string", int: "integer", bool: "boolean"}
    token_members = {name: frozenset({json_types[type(example[name])]}) if name in example else None
                     for name in re.findall(r"^\| `(\w+)` \|", token, re.M)}
    profile = text[text.index("### Profile server"):text.index("`profile` covers all")]
    profile_members = {name: None for row in re.findall(r"^\| (`.*?) \|", profile, re.M)
                       for name in re.findall(r"`(\w+)`(?: \([^)]*\))?(?:,|$)", row)}
    return {"POST /v1/oauth/token": token_members, "GET /v1/profile": profile_members}


def schema_types(node):
    """The JSON types an OpenAPI property allows (its $ref followed, ``nullable`` as null)."""
    if "$ref" in node:
        node = {**schemas().components["schemas"][node["$ref"].rsplit("/", 1)[1]],
                **{key: value for key, value in node.items() if key != "$ref"}}
    if "anyOf" in node:
        return frozenset().union(*map(schema_types, node["anyOf"]))
    return frozenset({node["type"]} | ({"null"} if node.get("nullable") else set()))


def documented_members(method, path):
    """{member: its JSON types} of the route's documented 200 object (of its items, for an
    array), or None when it documents no such object."""
    operation = schemas().paths.get(path, {}).get(method.lower())
    if operation is None:
        return None
    schema = operation["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    if "$ref" in schema:
        schema = schemas().components["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if schema.get("type") != "object":
        return None
    return {name: schema_types(node) for name, node in schema.get("properties", {}).items()}


def test_success_members_match_the_reference():
    bodies = reference_bodies()
    assert len(bodies) > 50  # the parse found the tables
    compared, differences, types_differ = 0, {}, {}
    for name, reference in bodies.items():
        ours = documented_members(*name.split(" "))
        if ours is None:
            continue  # not served, or not an object (see test_openapi.NOT_SERVED)
        compared += 1
        if set(ours) != set(reference):
            differences[name] = (set(ours) - set(reference), set(reference) - set(ours))
        for member, types in reference.items():
            if types is not None and member in ours and ours[member] != types:
                types_differ[f"{name} {member}"] = (ours[member], types)
    assert compared > 50
    assert differences == DIFFERENT_FROM_REFERENCE
    assert types_differ == TYPES_DIFFERENT_FROM_REFERENCE


@pytest.mark.parametrize("name, members", [
    # What Firefox desktop reads after its sign-in (content-server.md §5; oauth.md §7, §10;
    # auth-api-responses.md §3, §7): the parse must find each of these routes' members.
    ("POST /v1/oauth/token", {"access_token", "token_type", "scope", "expires_in", "refresh_token",
                              "id_token", "auth_at", "keys_jwe", "session_token"}),
    ("POST /v1/account/device", {"id", "createdAt", "name", "type", "pushCallback", "pushPublicKey",
                                 "pushAuthKey", "pushEndpointExpired", "availableCommands"}),
    ("GET /v1/account/devices", {"id", "isCurrentDevice", "lastAccessTime", "lastAccessTimeFormatted",
                                 "approximateLastAccessTime", "approximateLastAccessTimeFormatted",
                                 "location", "name", "type", "pushCallback", "pushPublicKey",
                                 "pushAuthKey", "pushEndpointExpired", "availableCommands"}),
    ("GET /v1/account/attached_clients", {
        "clientId", "deviceId", "sessionTokenId", "refreshTokenId", "isCurrentSession", "deviceType",
        "name", "createdTime", "createdTimeFormatted", "lastAccessTime", "lastAccessTimeFormatted",
        "approximateLastAccessTime", "approximateLastAccessTimeFormatted", "scope", "location",
        "userAgent", "os"}),
    ("GET /v1/profile", {"uid", "email", "locale", "amrValues", "twoFactorAuthentication",
                         "subscriptions", "metricsEnabled", "displayName", "avatar", "avatarDefault",
                         "sub"}),
    ("GET /v1/session/status", {"state", "uid", "details"}),
    ("GET /v1/account/status", {"exists", "locale"}),
])
def test_the_reference_bodies_firefox_reads_are_parsed_whole(name, members):
    assert set(reference_bodies()[name]) == members


def test_reference_types_are_read_from_the_notation():
    assert top_level_members("{a: bool, b?: str\\|null, c: [str], d: ms\\|null, e?\\|null, f: 1\\|2, g: Thing}") == {
        "a": {"boolean"}, "b": {"string", "null"}, "c": {"array"}, "d": {"integer", "null"},
        "e": None, "f": {"integer"}, "g": None}


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
