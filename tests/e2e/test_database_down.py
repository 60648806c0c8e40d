"""A server whose database is unreachable: /v1 routes answer 500/999 JSON, the heartbeat 500."""
import pytest
import requests

from tests.helpers import assert_error

# gunicorn (no worker) whose DATABASE_URL names a port nothing listens on (tcpmux, port 1).
pytestmark = [
    pytest.mark.e2e, pytest.mark.django_db(transaction=True),
    pytest.mark.live_stack(extra_env={"DATABASE_URL": "postgres://postgres@127.0.0.1:1/fxa"}, worker=False),
]


@pytest.mark.parametrize(
    "method, path, kwargs",
    [
        ("POST", "/account/status", {"json": {"email": "down@example.com"}}),
        ("POST", "/account/login", {"json": {"email": "down@example.com", "authPW": "00" * 32}}),
        ("GET", "/account/status", {"params": {"uid": "00" * 16}}),
        ("GET", "/session/status", {"headers": {"Authorization": "Bearer fxs_" + "00" * 32}}),
    ],
)
def test_database_touching_route_answers_500_unspecified_error(live_stack, method, path, kwargs):
    response = requests.request(method, live_stack.url + "/v1" + path, timeout=30, **kwargs)
    body = assert_error(response, 500, 999)
    assert body["message"] == "Unspecified error"
    # The driver's connection error (host, port, "Connection refused") stays in the log.
    assert "127.0.0.1" not in response.text
    assert "onnection" not in response.text


def test_database_failure_is_logged_by_the_server(live_stack):
    requests.post(live_stack.url + "/v1/account/status", json={"email": "log@example.com"}, timeout=30)
    assert "OperationalError" in live_stack.server.output()


def test_route_without_database_still_answers(live_stack):
    assert requests.post(live_stack.url + "/v1/get_random_bytes", timeout=30).status_code == 200


def test_heartbeat_is_500_naming_the_database_check(live_stack):
    response = requests.get(live_stack.url + "/__heartbeat__", timeout=30)
    assert response.status_code == 500, response.text
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["check_database_connected"] == "error"
    assert body["checks"]["check_redis_connected"] == "ok"
    assert "check_database_connected" in body["details"]


def test_lbheartbeat_stays_200(live_stack):
    assert requests.get(live_stack.url + "/__lbheartbeat__", timeout=30).status_code == 200
