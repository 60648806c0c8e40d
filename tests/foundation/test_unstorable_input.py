"""Input no database column can hold (NUL bytes, lone surrogates) is refused at the edge with the
route's own 400 errno, never a 500 from PostgreSQL; Django's own 400s are JSON on /v1."""
import functools
import json

import pytest
from django.test import Client

from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

NUL = "\x00"
SURROGATE = "\ud800"


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("url, errno", [
    ("/v1/client/ab%00cd", 109),  # the OAuth server's own routes: its errnos
    ("/v1/oauth/client/ab%00cd", 107),  # the auth server's /oauth routes: the auth errnos
    ("/v1/account/status?uid=ab%00cd", 107),
    ("/v1/account/status?ab%00cd=1", 107),
    ("/v1/recovery_email/status?x=%00", 107),
])
def test_a_nul_in_a_path_segment_or_query_is_the_routes_invalid_parameter(client, url, errno):
    assert_error(client.get(url), 400, errno)


def test_the_error_names_the_segment_and_its_source(client):
    body = assert_error(client.get("/v1/account/status?uid=ab%00cd"), 400, 107)
    assert body["validation"] == {"source": "query", "keys": ["uid"]}


def json_post(client, url, text):
    return client.post(url, data=text, content_type="application/json")


@pytest.mark.parametrize("value", [f"a{NUL}b@example.com", f"a{SURROGATE}b@example.com"])
def test_a_body_string_with_a_nul_or_a_lone_surrogate_is_107(client, value):
    text = json.dumps({"email": value})  # \u0000 and \ud800 escapes, as a client would send them
    body = assert_error(json_post(client, "/v1/account/status", text), 400, 107)
    assert body["validation"]["keys"] == ["email"]


def test_nested_and_member_names_are_checked_too(client):
    text = json.dumps({"email": "a@example.com", "metricsContext": {"flowId": f"x{NUL}"}})
    assert assert_error(json_post(client, "/v1/account/status", text), 400, 107)["validation"]["keys"] == [
        "metricsContext"
    ]
    text = json.dumps({"email": "a@example.com", f"k{NUL}": 1})
    assert_error(json_post(client, "/v1/account/status", text), 400, 107)


@pytest.mark.parametrize("url, errno", [("/v1/oauth/token", 107), ("/v1/token", 109)])
def test_the_token_endpoints_refuse_a_nul_in_a_form_body(client, url, errno):
    response = client.post(url, data=f"grant_type=authorization_code&client_id=ab{NUL}cd",
                           content_type="application/x-www-form-urlencoded")
    assert assert_error(response, 400, errno)["validation"]["keys"] == ["client_id"]


def test_a_page_with_a_nul_in_its_query_is_a_plain_400(client):
    response = client.get("/authorization?client_id=ab%00cd")
    assert response.status_code == 400


def test_a_host_not_allowed_is_json_on_v1_and_html_elsewhere(client):
    response = client.get("/v1/account/status?uid=00", HTTP_HOST="evil.example")
    body = assert_error(response, 400, 999)
    assert body["message"] == "Bad Request"
    page = client.get("/signin", HTTP_HOST="evil.example")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")


@functools.lru_cache(maxsize=1)
def _document():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _routes():
    document = _document()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation, document


def _body_properties(operation, document):
    content = operation.get("requestBody", {}).get("content", {})
    schema = next(iter(content.values()), {}).get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return [name for name, prop in schema.get("properties", {}).items() if prop.get("type") in ("string", None)]


ROUTES = sorted({(path, method) for path, method, _, _ in _routes()})


@pytest.mark.parametrize("path, method", ROUTES)
def test_every_route_refuses_unstorable_text_in_each_input_with_a_json_4xx(client, path, method):
    """NUL in every path parameter, a query parameter and every string member of the body:
    a 4xx in the errno format, never a 500 (and never a database error)."""
    operation, document = next((op, doc) for p, m, op, doc in _routes() if (p, m) == (path, method))
    concrete = path
    for name in (param["name"] for param in operation.get("parameters", []) if param["in"] == "path"):
        concrete = concrete.replace("{" + name + "}", "ab%00cd")
    url = concrete.replace("{", "").replace("}", "")
    attempts = [(f"{url}?probe=%00", None)]
    if url != path:
        attempts.append((url, None))
    for member in _body_properties(operation, document) if method in ("post", "put", "patch") else []:
        attempts.append((url, json.dumps({member: f"x{NUL}y"})))
    for target, body in attempts:
        if body is None:
            response = client.generic(method.upper(), target)
        else:
            response = client.generic(method.upper(), target, body, content_type="application/json")
        assert 400 <= response.status_code < 500, (method, target, body, response.content[:300])
        assert response.json()["errno"], (method, target, body)
