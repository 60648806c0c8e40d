"""Request body parsing and answer format, in-process: JSON in whatever Content-Type, JSON out."""
import pytest

from tests.helpers import ApiClient, assert_api_headers, assert_error

pytestmark = pytest.mark.django_db


def test_json_body_sent_as_text_plain_is_parsed():
    # Firefox's Hawk client labels some JSON bodies text/plain.
    response = ApiClient().request(
        "POST", "/account/create", raw_body=b'{"email": "plain@example.com"}',
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )
    assert assert_error(response, 400, 108)["param"] == "authPW"


def test_form_encoded_body_is_invalid_json():
    response = ApiClient().client.post(
        "/v1/account/create", data="email=a%40example.com", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 400, 106)


@pytest.mark.parametrize("raw", [b'{"email": NaN}', b'{"email": Infinity}', b"{'email': 'a'}"])
def test_non_standard_json_is_106(raw):
    assert_error(ApiClient().request("POST", "/account/create", raw_body=raw), 400, 106)


def test_json_nested_deeper_than_the_parser_goes_is_106():
    raw = b'{"email": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert len(raw) <= 16384
    assert_error(ApiClient().request("POST", "/account/create", raw_body=raw), 400, 106)


@pytest.mark.parametrize("raw", [b"[]", b'"a string"', b"42", b"null"])
def test_json_that_is_not_an_object_is_107(raw):
    body = assert_error(ApiClient().request("POST", "/account/create", raw_body=raw), 400, 107)
    assert body["validation"] == {"source": "payload", "keys": []}


@pytest.mark.parametrize("accept", ["text/html", "text/plain", "application/xml"])
def test_answer_is_json_whatever_the_accept_header(accept):
    response = ApiClient().post("/get_random_bytes", headers={"Accept": accept})
    assert response.status_code == 200
    assert_api_headers(response)


def test_error_is_json_whatever_the_accept_header():
    assert_error(ApiClient().post("/account/create", headers={"Accept": "text/html"}), 400, 108)


def test_format_query_parameter_does_not_change_the_answer():
    response = ApiClient().client.get("/v1/account/status?uid=" + "00" * 16 + "&format=xml")
    assert response.status_code == 200, response.content
    assert_api_headers(response)
    assert response.json() == {"exists": False}
