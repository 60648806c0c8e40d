"""Each class of bad /v1 input, over real HTTP to gunicorn, answers upstream's errno format."""
import http.client
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from tests.helpers import assert_api_headers, assert_error, stretch

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@dataclass
class RawResponse:
    """What assert_error reads, for answers obtained with http.client."""

    status_code: int
    headers: CaseInsensitiveDict
    content: bytes

    def json(self):
        return json.loads(self.content)


@pytest.fixture
def api(live_stack):
    return live_stack.url + "/v1"


def test_unknown_route_is_404_in_errno_format(api):
    body = assert_error(requests.get(api + "/no/such/route", timeout=10), 404, 999)
    assert body["message"] == "Not Found"


def test_unknown_route_is_404_for_post_too(api):
    assert_error(requests.post(api + "/no/such/route", json={}, timeout=10), 404, 999)


def test_wrong_method_on_existing_route_is_405(api):
    response = requests.get(api + "/account/create", timeout=10)
    body = assert_error(response, 405, 999)
    assert body["message"] == "Method Not Allowed"
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize("raw", [b"{not json", b'{"email": "a@example.com",}', b"\xff\xfe"])
def test_invalid_json_body_is_106(api, raw):
    response = requests.post(
        api + "/account/create", data=raw, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert_error(response, 400, 106)


def test_authpw_not_hex_is_107_naming_the_key(api):
    payload = {"email": "bad-input@example.com", "authPW": "z" * 64}
    body = assert_error(requests.post(api + "/account/create", json=payload, timeout=10), 400, 107)
    assert body["validation"] == {"source": "payload", "keys": ["authPW"]}


def test_email_of_wrong_type_is_107_naming_the_key(api):
    payload = {"email": 12345, "authPW": stretch("x@example.com")[0]}
    body = assert_error(requests.post(api + "/account/create", json=payload, timeout=10), 400, 107)
    assert body["validation"] == {"source": "payload", "keys": ["email"]}


def test_invalid_query_parameter_is_107_from_query(api):
    payload = {"email": "bad-query@example.com", "authPW": stretch("bad-query@example.com")[0]}
    response = requests.post(api + "/account/create?keys=maybe", json=payload, timeout=10)
    body = assert_error(response, 400, 107)
    assert body["validation"] == {"source": "query", "keys": ["keys"]}


def test_missing_parameter_is_108_naming_it(api):
    payload = {"email": "missing@example.com"}
    body = assert_error(requests.post(api + "/account/create", json=payload, timeout=10), 400, 108)
    assert body["param"] == "authPW"
    assert body["message"] == "Missing parameter in request body: authPW"


def test_body_over_16384_bytes_is_413(api):
    payload = {"email": "big@example.com", "authPW": "00" * 32, "padding": "x" * 16384}
    assert_error(requests.post(api + "/account/create", json=payload, timeout=10), 413, 113)


def test_body_of_exactly_16384_bytes_is_not_refused_for_size(api):
    body = json.dumps({"email": "a", "padding": ""})
    body = json.dumps({"email": "a", "padding": "x" * (16384 - len(body))}).encode()
    assert len(body) == 16384
    response = requests.post(
        api + "/account/create", data=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 400
    assert response.json()["errno"] != 113


def test_post_without_content_length_is_411(api):
    parts = urlsplit(api)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        # An iterable body makes http.client send it chunked, without Content-Length.
        connection.request(
            "POST", parts.path + "/account/create", body=iter([b'{"email": "a@example.com"}']),
            headers={"Content-Type": "application/json"}, encode_chunked=True,
        )
        answer = connection.getresponse()
        response = RawResponse(answer.status, CaseInsensitiveDict(answer.getheaders()), answer.read())
    finally:
        connection.close()
    assert_error(response, 411, 112)


def test_success_carries_timestamp_and_json_content_type(api):
    response = requests.post(api + "/get_random_bytes", timeout=10)
    assert response.status_code == 200
    assert_api_headers(response)
