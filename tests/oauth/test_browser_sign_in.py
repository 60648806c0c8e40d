"""A browser signing in to Sync through OAuth (Firefox's newer flow): /v1/oauth/token with the
session scope returns a session token of its own, and a Sync refresh token connects a device."""
import json

import pytest
from django.core import mail
from jwcrypto import jwe, jwk

from accounts import hashing
from accounts.devices.models import Device
from accounts.models import SessionToken
from oauth import scopes
from oauth.models import AccessToken, RefreshToken
from tests import factories
from tests.helpers import MailingApiClient, assert_error, ok, sent, token_key

from .conftest import authorize, pkce_pair

pytestmark = pytest.mark.django_db

JWE = "eyJhbGciOiJFQ0RILUVTIn0..aXY.Y2lwaGVy.dGFn"


@pytest.fixture
def firefox(db):
    return factories.oauth_client("Firefox", public=True, can_grant=True, trusted=True,
                       redirect_uris=("urn:ietf:wg:oauth:2.0:oob:oauth-redirect-webchannel",),
                       scope=f"profile {scopes.OLDSYNC} {scopes.SESSION_SCOPE}")[0]


def sign_in(api, user, client, scope, **extra):
    """Web content authorizes with the user's session; the browser redeems the code without one."""
    verifier, challenge = pkce_pair()
    code = ok(authorize(api, user, client, scope=scope, code_challenge=challenge,
                        code_challenge_method="S256", access_type="offline", **extra))["code"]
    return api.post("/oauth/token", {"client_id": client.client_id, "code": code,
                                     "code_verifier": verifier},
                    headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Firefox/140.0"})


def test_session_scope_returns_a_new_session_and_sync_connects_the_device(user, firefox):
    api = MailingApiClient()
    mail.outbox.clear()
    response = sign_in(api, user, firefox, f"profile {scopes.OLDSYNC} {scopes.SESSION_SCOPE}",
                       keys_jwe=JWE)
    body = ok(response)
    assert response["Cache-Control"] == "no-store"
    assert body["keys_jwe"] == JWE and len(body["refresh_token"]) == 64
    # A new session in the authorizing session's state, with the browser's user agent.
    session = SessionToken.objects.get(token_id=token_key(body["session_token"]))
    assert session.token_id != user.session_key
    assert session.token_verified
    assert "Firefox/140.0" in session.user_agent
    assert ok(api.get("/session/status", token=body["session_token"]))["uid"] == user.uid
    # The browser's device, owned by its new session, named after the app until it says more.
    device = Device.objects.get(account=user.account)
    assert device.session_token_id == session.token_id and device.name == "Firefox"
    assert len(sent("newDeviceLogin")) == 1


def test_a_sync_grant_without_session_scope_gives_the_refresh_token_a_device(user, firefox):
    body = ok(sign_in(MailingApiClient(), user, firefox, f"profile {scopes.OLDSYNC}"))
    device = Device.objects.get(account=user.account)
    assert device.refresh_token_id == hashing.digest(hashing.OAUTH_TOKEN, body["refresh_token"])
    assert device.name == "Firefox"


def test_no_session_scope_no_session_and_no_sync_no_device(api, user, firefox):
    body = ok(sign_in(api, user, firefox, "profile"))
    assert "session_token" not in body and RefreshToken.objects.count() == 1
    assert not Device.objects.exists()


def test_session_scope_needs_the_authorizing_session(api, user, firefox):
    verifier, challenge = pkce_pair()
    code = ok(authorize(api, user, firefox, scope=scopes.SESSION_SCOPE, code_challenge=challenge,
                        code_challenge_method="S256", access_type="offline"))["code"]
    SessionToken.objects.filter(account=user.account).delete()
    assert_error(api.post("/oauth/token", {"client_id": firefox.client_id, "code": code,
                                           "code_verifier": verifier}), 400, 172)
    # Nothing was issued: the code's redemption rolled back with the refusal.
    assert not RefreshToken.objects.exists() and not AccessToken.objects.exists()


def test_a_real_keys_jwe_reaches_the_app_unchanged(api, user, firefox):
    """Web content encrypts the scoped keys to the app's ephemeral P-256 key (ECDH-ES, A256GCM);
    the server only carries the JWE from the authorization to the token response."""
    app_key = jwk.JWK.generate(kty="EC", crv="P-256")
    bundle = {scopes.OLDSYNC: {"kty": "oct", "scope": scopes.OLDSYNC, "k": "a" * 86,
                               "kid": "1510000000000-" + "b" * 22}}
    token = jwe.JWE(json.dumps(bundle).encode(), json.dumps({"alg": "ECDH-ES", "enc": "A256GCM"}))
    token.add_recipient(jwk.JWK.from_json(app_key.export_public()))
    keys_jwe = token.serialize(compact=True)
    body = ok(sign_in(api, user, firefox, f"profile {scopes.OLDSYNC}", keys_jwe=keys_jwe))
    received = jwe.JWE()
    received.deserialize(body["keys_jwe"], key=app_key)
    assert json.loads(received.payload) == bundle
