"""CORS over real HTTP: /v1 answers are readable cross-origin and preflights are answered."""
import pytest
import requests

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ORIGIN = {"Origin": "https://app.example.com"}


def _exposed(response):
    return {name.strip().lower() for name in response.headers["Access-Control-Expose-Headers"].split(",")}


@pytest.mark.parametrize(
    "method, path",
    [("POST", "/get_random_bytes"), ("GET", "/no/such/route"), ("POST", "/account/create")],
)
def test_v1_answers_allow_any_origin_and_expose_timestamp(live_stack, method, path):
    response = requests.request(method, live_stack.url + "/v1" + path, headers=ORIGIN, json={}, timeout=10)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert {"timestamp", "retry-after"} <= _exposed(response)


def test_preflight_is_answered_200_with_the_requested_headers(live_stack):
    response = requests.options(
        live_stack.url + "/v1/account/create",
        headers={
            **ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "authorization, content-type"
    assert int(response.headers["Access-Control-Max-Age"]) > 0


def test_preflight_for_a_session_route_needs_no_token(live_stack):
    response = requests.options(
        live_stack.url + "/v1/session/status",
        headers={**ORIGIN, "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
