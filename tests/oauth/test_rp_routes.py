"""The RP-facing routes (OAuth errnos): /v1/token, /verify, /introspect, /destroy, /client, /profile,
/authorization, and the discovery documents."""
import base64
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from accounts.models import SessionToken, VerificationMethod
from oauth import crypto, keys
from oauth.models import AccessToken, AuthorizationCode, RefreshToken
from tests import factories
from tests.helpers import assert_error, ok

from .conftest import REDIRECT, code_for, pkce_pair

pytestmark = pytest.mark.django_db


def form_post(path, data, **headers):
    return HttpClient().post("/v1" + path, urlencode(data),
                             content_type="application/x-www-form-urlencoded", headers=headers)


def redeem(api, client, secret, code, **extra):
    return api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                               "code": code, **extra})


def decode_id_token(token, client):
    return jwt.decode(token, keys.current_key().private_key.public_key(), algorithms=["RS256"],
                      audience=client.client_id)


def test_token_response_and_id_token_claims(api, user, rp, settings):
    client, secret = rp
    code = code_for(api, user, client, nonce="abc")
    body = ok(redeem(api, client, secret, code))
    assert set(body) == {"access_token", "token_type", "scope", "expires_in", "id_token", "auth_at"}
    assert body["expires_in"] == settings.OAUTH_ACCESS_TOKEN_TTL and body["scope"] == "openid profile"
    header = jwt.get_unverified_header(body["id_token"])
    assert header["alg"] == "RS256" and header["kid"] == keys.current_key().kid
    claims = decode_id_token(body["id_token"], client)
    assert claims["iss"] == settings.OAUTH_ISSUER == settings.PUBLIC_URL
    assert claims["sub"] == user.uid and claims["aud"] == client.client_id
    assert claims["exp"] - claims["iat"] == 300
    assert claims["at_hash"] == crypto.at_hash(body["access_token"])
    assert claims["amr"] == ["pwd", "email"] and claims["acr"] == "AAL1" and claims["fxa-aal"] == 1
    assert claims["auth_time"] == body["auth_at"] and claims["nonce"] == "abc"


def test_issuer_setting_overrides_public_url(api, user, rp, settings):
    settings.OAUTH_ISSUER = "https://accounts.example.org"
    client, secret = rp
    body = ok(redeem(api, client, secret, code_for(api, user, client)))
    assert decode_id_token(body["id_token"], client)["iss"] == "https://accounts.example.org"
    assert HttpClient().get("/.well-known/openid-configuration").json()["issuer"] == \
        "https://accounts.example.org"


def test_aal2_session_claims(api, user, rp):
    SessionToken.objects.filter(account=user.account).update(
        verification_method=VerificationMethod.TOTP_2FA)
    client, secret = rp
    body = ok(redeem(api, client, secret, code_for(api, user, client, acr_values="AAL2")))
    claims = decode_id_token(body["id_token"], client)
    assert claims["acr"] == "AAL2" and claims["fxa-aal"] == 2 and "otp" in claims["amr"]


def test_form_encoded_body_and_basic_auth(api, user, rp):
    client, secret = rp
    code = code_for(api, user, client)
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    response = form_post("/token", {"grant_type": "authorization_code", "code": code,
                                    "redirect_uri": REDIRECT}, Authorization=f"Basic {basic}")
    assert ok(response)["access_token"]
    assert response["Cache-Control"] == "no-store"
    # Credentials in both places are refused.
    code = code_for(api, user, client)
    both = form_post("/token", {"code": code, "client_secret": secret},
                     Authorization=f"Basic {basic}")
    assert_error(both, 400, 109)


def test_wrong_secret_unknown_client_missing_secret(api, user, rp):
    client, secret = rp
    code = code_for(api, user, client)
    assert_error(redeem(api, client, "00" * 32, code), 400, 102)
    assert_error(api.post("/token", {"client_id": client.client_id, "code": code}), 400, 109)
    body = assert_error(api.post("/token", {"client_id": "0123456789abcdef", "client_secret": secret,
                                            "code": code}), 400, 101)
    assert body["clientId"] == "0123456789abcdef" and body["info"]
    ok(redeem(api, client, secret, code))  # failed attempts leave the code usable


def test_wrong_redirect_uri(api, user, rp):
    client, secret = rp
    code = code_for(api, user, client)
    body = assert_error(redeem(api, client, secret, code, redirect_uri=REDIRECT + "/x"), 400, 103)
    assert body["redirectUri"] == REDIRECT + "/x"
    ok(redeem(api, client, secret, code, redirect_uri=REDIRECT))


def test_codes_are_single_use(api, user, rp):
    client, secret = rp
    code = code_for(api, user, client)
    ok(redeem(api, client, secret, code))
    assert_error(redeem(api, client, secret, code), 400, 105)
    assert_error(redeem(api, client, secret, "ab" * 32), 400, 105)


def test_expired_code(api, user, rp):
    client, secret = rp
    code = code_for(api, user, client)
    AuthorizationCode.objects.update(expires=timezone.now() - timedelta(seconds=1))
    body = assert_error(redeem(api, client, secret, code), 400, 107)
    assert body["expiredAt"] <= time.time() * 1000


def test_code_of_another_client(api, user, rp):
    client, _ = rp
    other, other_secret = factories.oauth_client("Other")
    code = code_for(api, user, client)
    assert_error(redeem(api, other, other_secret, code), 400, 106)


def test_pkce(api, user, public_rp):
    verifier, challenge = pkce_pair()
    code = code_for(api, user, public_rp, code_challenge=challenge, code_challenge_method="S256")
    public = {"client_id": public_rp.client_id, "code": code}
    assert_error(api.post("/token", public), 400, 118)
    assert_error(api.post("/token", {**public, "code_verifier": pkce_pair()[0]}), 400, 117)
    assert_error(api.post("/token", {**public, "code_verifier": verifier,
                                     "client_secret": "00" * 32}), 400, 109)
    ok(api.post("/token", {**public, "code_verifier": verifier}))


def test_confidential_clients_may_use_pkce_and_it_is_checked(api, user, rp):
    client, secret = rp
    verifier, challenge = pkce_pair()
    code = code_for(api, user, client, code_challenge=challenge, code_challenge_method="S256")
    assert_error(redeem(api, client, secret, code), 400, 118)
    assert_error(redeem(api, client, secret, code, code_verifier=pkce_pair()[0]), 400, 117)
    assert ok(redeem(api, client, secret, code, code_verifier=verifier))["access_token"]
    # A verifier for a code issued without a challenge does not match anything.
    plain = code_for(api, user, client)
    assert_error(redeem(api, client, secret, plain, code_verifier=verifier), 400, 117)


def test_scope_not_allowed(api, user, rp):
    response = api.post("/oauth/authorization", {"client_id": rp[0].client_id, "state": "s",
                                                 "scope": "profile:write"},
                        token=user.session_token)
    assert assert_error(response, 400, 163)["invalidScopes"] == ["profile:write"]


def test_refresh_with_narrowed_scope(api, user, rp):
    client, secret = rp
    body = ok(redeem(api, client, secret, code_for(api, user, client, access_type="offline")))
    refreshed = ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                       "grant_type": "refresh_token",
                                       "refresh_token": body["refresh_token"],
                                       "scope": "profile:email"}))
    assert refreshed["scope"] == "profile:email"
    assert "refresh_token" not in refreshed and "id_token" not in refreshed
    wider = api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                "grant_type": "refresh_token",
                                "refresh_token": body["refresh_token"], "scope": "profile:write"})
    assert_error(wider, 400, 114)
    other, other_secret = factories.oauth_client("Other")
    stolen = api.post("/token", {"client_id": other.client_id, "client_secret": other_secret,
                                 "grant_type": "refresh_token",
                                 "refresh_token": body["refresh_token"]})
    assert_error(stolen, 400, 108)
    assert_error(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                     "grant_type": "password"}), 400, 109)
    # Refreshed grants drop openid.
    plain = ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                   "grant_type": "refresh_token",
                                   "refresh_token": body["refresh_token"]}))
    assert plain["scope"] == "profile"


def test_verify_introspect_destroy(api, user, rp, public_rp):
    client, secret = rp
    body = ok(redeem(api, client, secret, code_for(api, user, client, access_type="offline")))
    access, refresh = body["access_token"], body["refresh_token"]
    verified = ok(api.post("/verify", {"token": access}))
    assert verified["user"] == user.uid and verified["client_id"] == client.client_id
    assert verified["scope"] == ["openid", "profile"]
    assert verified["generation"] == user.account.verifier_set_at
    info = ok(form_post("/introspect", {"token": access}))
    assert info["active"] is True and info["token_type"] == "access_token"
    assert info["sub"] == user.uid and info["exp"] > info["iat"] > 10 ** 12
    # Refresh tokens of confidential clients cannot be introspected (upstream: errno 116).
    assert_error(api.post("/introspect", {"token": refresh, "token_type_hint": "refresh_token"}),
                 400, 116)
    assert_error(api.post("/destroy", {"client_id": client.client_id, "client_secret": secret}),
                 400, 109)
    ok(api.post("/destroy", {"access_token": access}))
    assert ok(api.post("/introspect", {"token": access})) == {"active": False}
    assert_error(api.post("/verify", {"token": access}), 400, 108)
    assert_error(api.post("/destroy", {"access_token": access}), 400, 108)
    # With client credentials the token must be that client's.
    other, other_secret = factories.oauth_client("Other")
    assert_error(api.post("/destroy", {"client_id": other.client_id, "client_secret": other_secret,
                                       "refresh_token": refresh}), 400, 108)
    ok(api.post("/destroy", {"client_id": client.client_id, "client_secret": secret,
                             "refresh_token": refresh}))
    assert not RefreshToken.objects.exists()


def test_expired_access_token(api, user, rp):
    client, secret = rp
    access = ok(redeem(api, client, secret, code_for(api, user, client)))["access_token"]
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert "expiredAt" in assert_error(api.post("/verify", {"token": access}), 400, 115)
    assert ok(api.post("/introspect", {"token": access})) == {"active": False}


def test_destroy_by_refresh_token_id(api, user, rp):
    client, secret = rp
    ok(redeem(api, client, secret, code_for(api, user, client, access_type="offline")))
    token_id = RefreshToken.objects.get().token_id
    ok(api.post("/destroy", {"refresh_token_id": token_id}))
    assert not RefreshToken.objects.exists() and not AccessToken.objects.exists()


def test_profile_fields_follow_scopes(api, user):
    client, secret = factories.oauth_client(trusted=True, scope="")
    code = code_for(api, user, client, scope="openid profile:email")
    access = ok(redeem(api, client, secret, code))["access_token"]
    profile = ok(api.get("/profile", headers={"Authorization": f"Bearer {access}"}))
    assert profile == {"email": user.email, "metricsEnabled": True, "sub": user.uid}
    code = code_for(api, user, client, scope="profile")
    access = ok(redeem(api, client, secret, code))["access_token"]
    full = ok(api.get("/profile", headers={"Authorization": f"Bearer {access}"}))
    assert full["uid"] == user.uid and full["amrValues"] == ["pwd", "email"]
    assert full["twoFactorAuthentication"] is False and "sub" not in full
    denied = api.get("/profile", headers={"Authorization": "Bearer " + "ab" * 32})
    assert_error(denied, 403, 100)


def test_ppid_clients_get_a_pairwise_sub(api, user):
    client, secret = factories.oauth_client(ppid=True, scope="openid")
    body = ok(redeem(api, client, secret, code_for(api, user, client, scope="openid")))
    sub = decode_id_token(body["id_token"], client)["sub"]
    assert len(sub) == 32 and sub != user.uid


def test_client_info(api, rp):
    client, _ = rp
    assert ok(api.get(f"/client/{client.client_id}"))["name"] == "Test RP"
    assert_error(api.get("/client/0123456789abcdef"), 400, 101)


def test_get_authorization_redirects_to_the_authorization_page():
    response = HttpClient().get("/v1/authorization?client_id=abc&scope=profile&state=x")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == "/authorization"
    assert parse_qs(location.query) == {"client_id": ["abc"], "scope": ["profile"], "state": ["x"]}
    assert_error(HttpClient().get("/v1/authorization?client_id=abc&keys_jwk=e30"), 400, 109)


def test_discovery_documents(settings):
    document = HttpClient().get("/.well-known/openid-configuration")
    assert document["Access-Control-Allow-Origin"] == "*"
    body = document.json()
    base = settings.PUBLIC_URL
    assert body["issuer"] == base and body["jwks_uri"] == f"{base}/v1/jwks"
    assert body["token_endpoint"] == f"{base}/v1/token"
    assert body["userinfo_endpoint"] == f"{base}/v1/profile"
    assert body["id_token_signing_alg_values_supported"] == ["RS256"]
    fxa = HttpClient().get("/.well-known/fxa-client-configuration").json()
    assert fxa["auth_server_base_url"] == base and fxa["oauth_server_base_url"] == base


def test_errors_use_the_oauth_shape(api):
    response = api.post("/verify", {})
    body = assert_error(response, 400, 109)
    assert set(body) >= {"code", "errno", "error", "message", "info"}
    assert body["validation"] == {"keys": ["token"]}


def test_trusted_clients_may_widen_a_refresh_within_their_allowed_scopes(api, user):
    client, secret = factories.oauth_client(trusted=True, scope="profile:email profile:uid")
    body = ok(redeem(api, client, secret, code_for(api, user, client, scope="profile:email",
                                                   access_type="offline")))
    params = {"client_id": client.client_id, "client_secret": secret,
              "grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    assert ok(api.post("/token", {**params, "scope": "profile:email profile:uid"}))["scope"] == \
        "profile:email profile:uid"
    assert_error(api.post("/token", {**params, "scope": "profile:locale"}), 400, 114)


def test_standard_oidc_scopes_map_onto_fxa_scopes(api, user):
    client, secret = factories.oauth_client("OIDC RP", scope="openid email profile")
    body = ok(redeem(api, client, secret, code_for(api, user, client, scope="openid email profile")))
    assert body["scope"] == "openid profile:email profile"
    info = ok(api.get("/profile", headers={"Authorization": f"Bearer {body['access_token']}"}))
    assert info["sub"] == decode_id_token(body["id_token"], client)["sub"] == user.uid
    assert info["email"] == user.email and info["uid"] == user.uid
    assert {"locale", "avatar", "avatarDefault", "amrValues"} <= set(info)
    # An untrusted client gets `profile` only if it was registered with it.
    narrow, _ = factories.oauth_client("Email-only RP", scope="openid email")
    refused = assert_error(api.post("/oauth/authorization", {
        "client_id": narrow.client_id, "state": "s", "scope": "openid email profile"},
        token=user.session_token), 400, 163)
    assert refused["invalidScopes"] == ["profile"]


def test_refreshing_records_last_use_at_minute_resolution(api, user, rp):
    client, secret = rp
    tokens = ok(redeem(api, client, secret, code_for(api, user, client, access_type="offline")))
    RefreshToken.objects.update(last_used_at=1_000)
    refresh = {"client_id": client.client_id, "client_secret": secret,
               "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    ok(api.post("/token", refresh))
    used = RefreshToken.objects.get().last_used_at
    assert used > time.time() * 1000 - 60_000
    ok(api.post("/token", refresh))
    assert RefreshToken.objects.get().last_used_at == used
