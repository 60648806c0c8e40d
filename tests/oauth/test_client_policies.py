"""Per-client policies: disabled clients, PPID subjects (rotation, no profile scopes)."""
from types import SimpleNamespace

import jwt
import pytest

from oauth import keys
from tests import factories
from tests.helpers import assert_error, ok

from .conftest import authorize, code_for

pytestmark = pytest.mark.django_db


def id_token_sub(body):
    return jwt.decode(body["id_token"], keys.current_key().private_key.public_key(),
                      algorithms=["RS256"], options={"verify_aud": False})["sub"]


def test_a_disabled_client_gets_no_new_codes_or_tokens_but_old_codes_still_redeem(api, user, rp):
    client, secret = rp
    held_code = code_for(api, user, client, access_type="offline")
    client.disabled = True
    client.save()
    # Session-token route: auth-server errno 204 with Retry-After.
    refused = assert_error(authorize(api, user, client), 503, 204)
    assert refused["clientId"] == client.client_id and refused["retryAfter"] > 0
    assert api.post("/oauth/authorization", {"client_id": client.client_id, "state": "s",
                                             "scope": "profile"},
                    token=user.session_token)["Retry-After"] == str(refused["retryAfter"])
    tokens = ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                    "code": held_code}))
    # RP route: OAuth errno 202 for a refresh.
    body = assert_error(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                            "grant_type": "refresh_token",
                                            "refresh_token": tokens["refresh_token"]}), 503, 202)
    assert body["error"] == "Client Disabled"
    client.disabled = False
    client.save()
    ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                           "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}))


def test_disabled_public_clients_get_no_credentials_grant(api, user):
    app, _ = factories.oauth_client("Browser", public=True, can_grant=True, trusted=True, scope="profile")
    app.disabled = True
    app.save()
    assert_error(api.post("/oauth/token", {"client_id": app.client_id,
                                           "grant_type": "fxa-credentials", "scope": "profile"},
                          token=user.session_token), 503, 204)


def test_rotating_ppid_subjects_change_each_period(api, user, settings, monkeypatch):
    client, secret = factories.oauth_client("Rotating", ppid=True, scope="openid")
    client.ppid_rotating = True
    client.save()
    settings.OAUTH_PPID_ROTATION_PERIOD = 3600

    def sub_at(now):
        # Only the clock oauth.services reads (sessions and tokens keep the real one).
        monkeypatch.setattr("oauth.services.time", SimpleNamespace(time=lambda: now))
        code = code_for(api, user, client, scope="openid")
        return id_token_sub(ok(api.post("/token", {"client_id": client.client_id,
                                                   "client_secret": secret, "code": code})))

    base = 1_800_000_000 - 1_800_000_000 % 3600
    assert sub_at(base + 10) == sub_at(base + 3500) != sub_at(base + 3600 + 10)
    client.ppid_rotating = False
    client.save()
    assert sub_at(base + 10) == sub_at(base + 7 * 3600) != user.uid


def test_ppid_clients_may_not_have_profile_scopes(api, user):
    client, _ = factories.oauth_client("PPID", ppid=True, scope="openid profile")
    for scope in ("profile", "profile:uid", "email", "profile:display_name:write"):
        body = assert_error(authorize(api, user, client, scope=f"openid {scope}"), 400, 163)
        assert body["invalidScopes"] == ["profile:email" if scope == "email" else scope]
    ok(authorize(api, user, client, scope="openid"))
