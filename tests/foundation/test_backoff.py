"""Back-off protocol: with BACKOFF_RETRY_AFTER set, every /v1 request answers 503 errno 201."""
import pytest

from tests import factories
from tests.helpers import ApiClient, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def backoff(settings):
    settings.BACKOFF_RETRY_AFTER = 30


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/account/create"),
        ("POST", "/get_random_bytes"),
        ("GET", "/session/status"),
        ("GET", "/account/create"),
        ("GET", "/no/such/route"),
    ],
)
@pytest.mark.usefixtures("backoff")
def test_every_v1_request_answers_503_errno_201(method, path):
    response = ApiClient().request(method, path, {"email": "a@example.com"} if method == "POST" else None)
    body = assert_error(response, 503, 201)
    assert body["message"] == "Service unavailable"
    assert body["retryAfter"] == 30
    assert response.headers["Retry-After"] == "30"
    assert body["retryAfterLocalized"] == "in a few seconds"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.usefixtures("backoff")
def test_request_with_a_valid_token_is_refused_too():
    user = factories.account("backoff@example.com")
    response = ApiClient().get("/session/status", token=user.session_token)
    assert_error(response, 503, 201)


@pytest.mark.parametrize("seconds, wording", [(120, "in 2 minutes"), (7200, "in 2 hours")])
def test_retry_after_header_matches_body_and_wording(settings, seconds, wording):
    settings.BACKOFF_RETRY_AFTER = seconds
    response = ApiClient().post("/get_random_bytes")
    body = assert_error(response, 503, 201)
    assert response.headers["Retry-After"] == str(body["retryAfter"]) == str(seconds)
    assert body["retryAfterLocalized"] == wording


@pytest.mark.parametrize("path", ["/__lbheartbeat__", "/__version__", "/admin/login/"])
@pytest.mark.usefixtures("backoff")
def test_paths_outside_v1_are_unaffected(client, path):
    assert client.get(path).status_code == 200


def test_without_backoff_requests_are_served(settings):
    settings.BACKOFF_RETRY_AFTER = 0
    assert ApiClient().post("/get_random_bytes").status_code == 200


@pytest.mark.parametrize("seconds, wording", [(20, "in wenigen Sekunden"), (60, "in 1 Minute"),
                                              (600, "in 10 Minuten"), (7200, "in 2 Stunden")])
def test_retry_wording_is_in_the_requests_language(settings, seconds, wording):
    settings.BACKOFF_RETRY_AFTER = seconds
    response = ApiClient().post("/get_random_bytes", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert assert_error(response, 503, 201)["retryAfterLocalized"] == wording
