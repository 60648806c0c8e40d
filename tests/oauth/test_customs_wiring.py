"""Customs on the token endpoints: each refresh token exchanged counts on the token (its hash)
and the client IP (``tokenExchange``, customs.md §3), on /v1/oauth/token (auth-server errnos)
and /v1/token (the OAuth family's)."""
import pytest

from tests.accounts.test_customs_wiring import assert_rule_fires
from tests.helpers import INFO_URLS, ApiClient, assert_error, ok

from .conftest import code_for, pkce_pair

pytestmark = pytest.mark.django_db

IP = "203.0.113.70"


@pytest.fixture
def api():
    client = ApiClient()
    client.client.defaults["REMOTE_ADDR"] = IP
    return client


def refresh_token_of(api, user, client, secret):
    code = code_for(api, user, client, access_type="offline")
    return ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                  "code": code}))["refresh_token"]


@pytest.mark.parametrize("block_on", ["token", "ip"])
def test_refresh_grants_of_the_session_token_route_answer_the_auth_servers_429(
        api, user, public_rp, settings, block_on):
    verifier, challenge = pkce_pair()
    code = ok(api.post("/oauth/authorization", {
        "client_id": public_rp.client_id, "state": "s", "scope": "profile", "access_type": "offline",
        "code_challenge": challenge, "code_challenge_method": "S256",
    }, token=user.session_token))["code"]
    refresh_token = ok(api.post("/oauth/token", {"client_id": public_rp.client_id, "code": code,
                                                 "code_verifier": verifier}))["refresh_token"]
    body = assert_rule_fires(
        lambda: api.post("/oauth/token", {"client_id": public_rp.client_id,
                                          "grant_type": "refresh_token",
                                          "refresh_token": refresh_token}),
        settings, "tokenExchange", block_on,
    )
    assert body["info"] == INFO_URLS[0]


def test_refresh_grants_of_the_rp_route_answer_429_in_the_oauth_format(api, user, rp, settings):
    client, secret = rp
    refresh_token = refresh_token_of(api, user, client, secret)
    grant = {"client_id": client.client_id, "client_secret": secret,
             "grant_type": "refresh_token", "refresh_token": refresh_token}
    settings.CUSTOMS_RULES = "tokenExchange : token : 2 : 24 hours : 15 minutes"
    ok(api.post("/token", grant))
    ok(api.post("/token", grant))
    response = api.post("/token", grant)
    body = assert_error(response, 429, 999)
    assert body["info"] == INFO_URLS[1] and body["error"] == "Too Many Requests"
    assert body["message"] == "Client has sent too many requests"
    assert 890 <= body["retryAfter"] <= 900
    assert response.headers["Retry-After"] == str(body["retryAfter"])
    # Per token: another refresh token of the same client and IP is not refused.
    ok(api.post("/token", {**grant, "refresh_token": refresh_token_of(api, user, client, secret)}))


def test_other_grants_are_not_counted_as_token_exchanges(api, user, rp, settings):
    client, secret = rp
    settings.CUSTOMS_RULES = "tokenExchange : ip : 1 : 24 hours : 15 minutes"
    for _ in range(3):
        refresh_token_of(api, user, client, secret)  # authorization_code grants
