"""A server whose database is unreachable: /v1 routes answer 500/999 JSON, the heartbeat 500."""
import pytest
import requests
from django.db import connection

from tests.foundation import assert_error
from tests.live import LiveStack, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def database_down(django_db_setup):
    """gunicorn (no worker) whose DATABASE_URL names a port nothing listens on."""
    dead = f"postgres://postgres@127.0.0.1:{free_port()}/fxa"
    stack = LiveStack(connection.settings_dict, extra_env={"DATABASE_URL": dead}, workers=1)
    stack.start(with_worker=False)
    yield stack
    stack.stop()


@pytest.mark.parametrize(
    "method, path, kwargs",
    [
        ("POST", "/account/status", {"json": {"email": "down@example.com"}}),
        ("POST", "/account/login", {"json": {"email": "down@example.com", "authPW": "00" * 32}}),
        ("GET", "/account/status", {"params": {"uid": "00" * 16}}),
        ("GET", "/session/status", {"headers": {"Authorization": "Bearer fxs_" + "00" * 32}}),
    ],
)
def test_database_touching_route_answers_500_unspecified_error(database_down, method, path, kwargs):
    response = requests.request(method, database_down.url + "/v1" + path, timeout=30, **kwargs)
    body = assert_error(response, 500, 999)
    assert body["message"] == "Unspecified error"
    # The driver's connection error (host, port, "Connection refused") stays in the log.
    assert "127.0.0.1" not in response.text
    assert "onnection" not in response.text


def test_database_failure_is_logged_by_the_server(database_down):
    requests.post(database_down.url + "/v1/account/status", json={"email": "log@example.com"}, timeout=30)
    assert "OperationalError" in database_down.server.output()


def test_route_without_database_still_answers(database_down):
    assert requests.post(database_down.url + "/v1/get_random_bytes", timeout=30).status_code == 200


def test_heartbeat_is_500_naming_the_database_check(database_down):
    response = requests.get(database_down.url + "/__heartbeat__", timeout=30)
    assert response.status_code == 500, response.text
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["check_database_connected"] == "error"
    assert body["checks"]["check_redis_connected"] == "ok"
    assert "check_database_connected" in body["details"]


def test_lbheartbeat_stays_200(database_down):
    assert requests.get(database_down.url + "/__lbheartbeat__", timeout=30).status_code == 200
