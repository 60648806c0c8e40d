"""The session-token routes /v1/oauth/* (auth-server errnos)."""
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from accounts.models import SessionToken
from oauth import keys, scopes
from oauth.models import AccessToken, RefreshToken
from tests import factories
from tests.helpers import assert_error, ok

from .conftest import REDIRECT, authorize, pkce_pair

pytestmark = pytest.mark.django_db


def test_authorization_returns_code_state_and_redirect(api, user, rp):
    client, _ = rp
    body = ok(authorize(api, user, client, scope="profile openid"))
    assert set(body) == {"redirect", "code", "state"} and len(body["code"]) == 64
    redirect = urlsplit(body["redirect"])
    assert f"{redirect.scheme}://{redirect.netloc}{redirect.path}" == REDIRECT
    assert parse_qs(redirect.query) == {"code": [body["code"]], "state": ["st4te"]}


def test_authorization_also_accepts_hawk(api, user, rp):
    client, _ = rp
    response = api.post("/oauth/authorization", {"client_id": client.client_id, "state": "s",
                                                 "scope": "openid"},
                        token=user.session_token, scheme="hawk")
    assert ok(response)["state"] == "s"


def test_authorization_requires_a_session(api, rp):
    assert_error(api.post("/oauth/authorization", {"client_id": rp[0].client_id, "state": "s"}),
                 401, 110)


@pytest.mark.parametrize("params, errno", [
    ({"client_id": "0123456789abcdef"}, 162),
    ({"redirect_uri": "https://evil.example.com/cb"}, 167),
    ({"scope": "profile:write"}, 163),
    ({"scope": scopes.OLDSYNC}, 163),
    ({"response_type": "token"}, 107),
    ({"code_challenge": "a" * 43}, 169),  # a challenge needs its method (S256)
    ({"acr_values": "AAL2"}, 170),
])
def test_authorization_errors(api, user, rp, params, errno):
    body = assert_error(authorize(api, user, rp[0], **params), 400, errno)
    if errno == 163:
        assert body["invalidScopes"]
    if errno == 162:
        assert body["clientId"] == "0123456789abcdef"


def test_public_clients_need_pkce(api, user, public_rp):
    assert_error(authorize(api, user, public_rp), 400, 169)
    _, challenge = pkce_pair()
    ok(authorize(api, user, public_rp, code_challenge=challenge, code_challenge_method="S256"))


def test_aal2_is_granted_to_a_two_factor_session_and_carried_in_its_tokens(api, rp):
    user = factories.account("two-step.rp@example.com", totp=True)
    client, secret = rp
    code = ok(authorize(api, user, client, acr_values="AAL2", scope="openid profile"))["code"]
    body = ok(api.post("/oauth/token", {"client_id": client.client_id, "client_secret": secret,
                                        "code": code, "grant_type": "authorization_code"}))
    claims = jwt.decode(body["id_token"], keys.current_key().private_key.public_key(),
                        algorithms=["RS256"], audience=client.client_id)
    assert (claims["acr"], claims["fxa-aal"]) == ("AAL2", 2)
    assert "otp" in claims["amr"] and claims["sub"] == user.uid


def test_unverified_account_and_session_are_refused(api, rp):
    unverified = factories.account("unverified@example.com", verified=False)
    assert_error(authorize(api, unverified, rp[0]), 400, 104)
    user = factories.account("pending@example.com")
    SessionToken.objects.filter(account=user.account).update(
        token_verification_id="ab" * 16, must_verify=True)
    assert_error(authorize(api, user, rp[0]), 400, 138)


def test_token_route_redeems_codes_with_auth_errnos(api, user, public_rp):
    verifier, challenge = pkce_pair()
    code = ok(authorize(api, user, public_rp, code_challenge=challenge,
                        code_challenge_method="S256", access_type="offline"))["code"]
    bad = api.post("/oauth/token", {"client_id": public_rp.client_id, "code": code,
                                    "code_verifier": "x" * 43})
    assert_error(bad, 400, 175)
    body = ok(api.post("/oauth/token", {"client_id": public_rp.client_id, "code": code,
                                        "code_verifier": verifier, "grant_type": "authorization_code"}))
    assert body["refresh_token"] and body["id_token"] and body["auth_at"]
    again = api.post("/oauth/token", {"client_id": public_rp.client_id, "code": code,
                                      "code_verifier": verifier})
    assert_error(again, 400, 172)
    refreshed = ok(api.post("/oauth/token", {"client_id": public_rp.client_id,
                                             "grant_type": "refresh_token",
                                             "refresh_token": body["refresh_token"],
                                             "scope": "profile"}))
    assert refreshed["scope"] == "profile" and "refresh_token" not in refreshed


def test_fxa_credentials_grant(api, user):
    app, _ = factories.oauth_client("Firefox", public=True, can_grant=True, trusted=True,
                         scope="profile " + scopes.OLDSYNC)
    body = ok(api.post("/oauth/token", {"client_id": app.client_id, "grant_type": "fxa-credentials",
                                        "scope": "profile " + scopes.OLDSYNC,
                                        "access_type": "offline"}, token=user.session_token))
    assert body["token_type"] == "bearer" and body["scope"] == "profile " + scopes.OLDSYNC
    assert len(body["refresh_token"]) == 64 and body["expires_in"] > 0
    assert RefreshToken.objects.get().account_id == user.uid
    online = ok(api.post("/oauth/token", {"client_id": app.client_id, "grant_type": "fxa-credentials",
                                          "scope": "profile"}, token=user.session_token))
    assert "refresh_token" not in online
    # Without a session, and for clients that may not use the grant.
    assert_error(api.post("/oauth/token", {"client_id": app.client_id,
                                           "grant_type": "fxa-credentials"}), 401, 110)
    other, _ = factories.oauth_client("No grant", public=True)
    assert_error(api.post("/oauth/token", {"client_id": other.client_id,
                                           "grant_type": "fxa-credentials", "scope": "openid"},
                          token=user.session_token), 400, 107)
    confidential, _ = factories.oauth_client("Confidential", can_grant=True)
    assert_error(api.post("/oauth/token", {"client_id": confidential.client_id,
                                           "grant_type": "fxa-credentials", "scope": "openid"},
                          token=user.session_token), 400, 166)


def test_token_route_client_errors(api, user, rp):
    client, secret = rp
    code = ok(authorize(api, user, client))["code"]
    assert_error(api.post("/oauth/token", {"client_id": client.client_id,
                                           "client_secret": "00" * 32, "code": code}), 400, 171)
    assert_error(api.post("/oauth/token", {"client_id": client.client_id, "client_secret": secret,
                                           "code": code, "redirect_uri": "https://x.example/cb"}),
                 400, 167)


def test_destroy_and_client_info(api, user):
    app, _ = factories.oauth_client("App", public=True, can_grant=True, trusted=True)
    body = ok(api.post("/oauth/token", {"client_id": app.client_id, "grant_type": "fxa-credentials",
                                        "scope": "profile", "access_type": "offline"},
                       token=user.session_token))
    for token in (body["access_token"], body["refresh_token"], "ab" * 32):
        assert ok(api.post("/oauth/destroy", {"client_id": app.client_id, "token": token})) == {}
    assert not AccessToken.objects.exists() and not RefreshToken.objects.exists()
    assert_error(api.post("/oauth/destroy", {"client_id": "0123456789abcdef", "token": "ab" * 32}),
                 400, 162)
    info = ok(api.get(f"/oauth/client/{app.client_id}"))
    assert info == {"id": app.client_id, "name": "App", "trusted": True, "image_uri": "",
                    "redirect_uri": REDIRECT}
    assert_error(api.get("/oauth/client/0123456789abcdef"), 400, 162)


def test_scoped_key_data(api, user):
    app, _ = factories.oauth_client("Firefox", public=True, trusted=True, scope=scopes.OLDSYNC)
    body = ok(api.post("/account/scoped-key-data", {"client_id": app.client_id,
                                                    "scope": "profile " + scopes.OLDSYNC},
                       token=user.session_token))
    entry = body[scopes.OLDSYNC]
    assert set(body) == {scopes.OLDSYNC}
    assert entry["identifier"] == scopes.OLDSYNC and entry["keyRotationSecret"] == "0" * 64
    assert entry["keyRotationTimestamp"] == user.account.verifier_set_at


def test_keys_jwe_is_returned_once_with_the_tokens(api, user, public_rp):
    verifier, challenge = pkce_pair()
    jwe = "eyJhbGciOiJFQ0RILUVTIn0..aXY.Y2lwaGVy.dGFn"
    code = ok(authorize(api, user, public_rp, code_challenge=challenge,
                        code_challenge_method="S256", keys_jwe=jwe))["code"]
    body = ok(api.post("/token", {"client_id": public_rp.client_id, "code": code,
                                  "code_verifier": verifier}))
    assert body["keys_jwe"] == jwe
