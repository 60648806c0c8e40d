"""What Firefox desktop calls once its sign-in page is done, signed with Hawk as Firefox signs
(FxAccountsClient.sys.mjs): each answer's exact members and their JSON types, per the references
(oauth.md §7, §10; auth-api-responses.md §1, §3, §7; upstream's token.js and
devices-and-sessions.js for which optional members each grant or update carries). The published
schema of every route is held to the references by test_openapi_responses; these pin which of
its optional members Firefox gets in each situation."""
import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from accounts.models import Account
from oauth import scopes
from tests import factories
from tests.helpers import ApiClient, ok

from .conftest import pkce_pair

pytestmark = pytest.mark.django_db

FIREFOX = "5882386c6d801776"
FENIX = "a2270f727f45f648"
JWE = "eyJhbGciOiJFQ0RILUVTIiwiZW5jIjoiQTI1NkdDTSJ9..aXY.Y2lwaGVy.dGFn"
SEND_TAB = "https://identity.mozilla.com/cmd/open-uri"


def shape(body):
    """{member: JSON type name} of an answer."""
    names = {str: "string", bool: "boolean", int: "integer", dict: "object", list: "array", type(None): "null"}
    return {name: names[type(value)] for name, value in body.items()}


def push_registration():
    key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"pushCallback": "https://updates.push.services.mozilla.com/wpush/v2/firefox",
            "pushPublicKey": base64.urlsafe_b64encode(key).rstrip(b"=").decode(),
            "pushAuthKey": "w3b14Zjc-Afj2SDOLOyong"}


@pytest.fixture
def firefox():
    """A verified account and the Hawk signature of a session that Firefox desktop signed in."""
    user = factories.account("firefox.answers@example.com")
    return user, {"token": factories.session(user), "scheme": "hawk"}


def code_grant(api, hawk, client_id=FIREFOX, scope=f"profile {scopes.OLDSYNC}", **params):
    verifier, challenge = pkce_pair()
    answer = ok(api.post("/oauth/authorization", {
        "client_id": client_id, "state": "browser-state", "access_type": "offline", "scope": scope,
        "code_challenge": challenge, "code_challenge_method": "S256", **params}, **hawk))
    assert shape(answer) == {"redirect": "string", "code": "string", "state": "string"}
    return ok(api.post("/oauth/token", {"client_id": client_id, "code": answer["code"],
                                        "code_verifier": verifier, "grant_type": "authorization_code"}, **hawk))


TOKEN = {"access_token": "string", "token_type": "string", "scope": "string", "expires_in": "integer"}


def test_the_code_grant_answers_keys_a_refresh_token_and_auth_at(firefox):
    api, (_, hawk) = ApiClient(), firefox
    body = code_grant(api, hawk, keys_jwe=JWE)
    # Firefox reads keys_jwe, refresh_token, access_token and scope (FxAccountsOAuth.completeOAuthFlow).
    assert shape(body) == {**TOKEN, "refresh_token": "string", "auth_at": "integer", "keys_jwe": "string"}
    assert body["token_type"] == "bearer" and body["keys_jwe"] == JWE
    assert body["scope"] == f"profile {scopes.OLDSYNC}" and body["expires_in"] == 21900
    # Desktop keeps its session and revokes the refresh token at once: {} (oauth.md §10).
    destroyed = api.post("/oauth/destroy", {"client_id": FIREFOX, "token": body["refresh_token"]})
    assert ok(destroyed) == {}
    # An unknown token is no error on this route either.
    assert ok(api.post("/oauth/destroy", {"client_id": FIREFOX, "token": "0" * 64})) == {}


def test_a_session_scope_grant_answers_a_new_session_token_and_never_its_id(firefox):
    api, (user, hawk) = ApiClient(), firefox
    body = code_grant(api, hawk, client_id=FENIX, scope=f"profile {scopes.OLDSYNC} {scopes.SESSION_SCOPE}")
    # upstream's /v1/oauth/token deletes session_token_id before answering (token.js).
    assert shape(body) == {**TOKEN, "refresh_token": "string", "auth_at": "integer", "session_token": "string"}
    assert len(body["session_token"]) == 64 and body["session_token"] != hawk["token"]
    status = ok(api.get("/session/status", token=body["session_token"], scheme="hawk"))
    assert status["uid"] == user.uid and status["state"] == "verified"


def test_the_credentials_grant_answers_what_firefox_reads_for_sync(firefox):
    api, (_, hawk) = ApiClient(), firefox
    body = ok(api.post("/oauth/token", {"client_id": FIREFOX, "grant_type": "fxa-credentials",
                                        "scope": scopes.OLDSYNC, "ttl": 21600}, **hawk))
    # FxAccountsOAuth.getAccessToken reads access_token and expires_in.
    assert shape(body) == {**TOKEN, "auth_at": "integer"}
    assert body["expires_in"] == 21600 and body["scope"] == scopes.OLDSYNC
    offline = ok(api.post("/oauth/token", {"client_id": FIREFOX, "grant_type": "fxa-credentials",
                                           "scope": "profile", "access_type": "offline"}, **hawk))
    assert shape(offline) == {**TOKEN, "auth_at": "integer", "refresh_token": "string"}
    # The refresh grant: no auth_at, no new refresh token (oauth.md §7: not rotated).
    refreshed = ok(api.post("/oauth/token", {"client_id": FIREFOX, "grant_type": "refresh_token",
                                             "refresh_token": offline["refresh_token"]}))
    assert shape(refreshed) == TOKEN


def test_device_registration_and_update_answer_the_full_device(firefox):
    api, (_, hawk) = ApiClient(), firefox
    created = ok(api.post("/account/device", {"name": "Firefox on Linux", "type": "desktop",
                                              "availableCommands": {SEND_TAB: "{}"}}, **hawk))
    # Without a push subscription there is none to answer (upstream's buildDeviceResponse).
    assert shape(created) == {"id": "string", "createdAt": "integer", "name": "string", "type": "string",
                              "pushEndpointExpired": "boolean", "availableCommands": "object"}
    assert created["availableCommands"] == {SEND_TAB: "{}"} and created["pushEndpointExpired"] is False
    device = {"id": "string", "name": "string", "type": "string", "pushCallback": "string",
              "pushPublicKey": "string", "pushAuthKey": "string", "pushEndpointExpired": "boolean",
              "availableCommands": "object"}
    push = push_registration()
    updated = ok(api.post("/account/device", {"id": created["id"], **push}, **hawk))
    assert shape(updated) == device and updated["pushCallback"] == push["pushCallback"]
    # A later update of the name alone still answers the push tuple it keeps, as does one that
    # changes nothing, and one without an id (the session's device).
    for change in ({"id": created["id"], "name": "Renamed"}, {"id": created["id"], "name": "Renamed"},
                   {"name": "Renamed again"}):
        answer = ok(api.post("/account/device", change, **hawk))
        assert shape(answer) == device and answer["id"] == created["id"]
        assert answer["pushPublicKey"] == push["pushPublicKey"] and answer["availableCommands"] == {SEND_TAB: "{}"}


def test_the_device_list_and_attached_clients_carry_what_firefox_reads(firefox):
    api, (_, hawk) = ApiClient(), firefox
    ok(api.post("/account/device", {"name": "Firefox on Linux", "type": "desktop",
                                    "availableCommands": {SEND_TAB: "{}"}, **push_registration()}, **hawk))
    devices = ok(api.get("/account/devices?filterIdleDevicesTimestamp=0", **hawk))
    # FxAccountsDevice reads id, isCurrentDevice, pushEndpointExpired and availableCommands.
    assert [shape(device) for device in devices] == [{
        "id": "string", "isCurrentDevice": "boolean", "lastAccessTime": "integer",
        "lastAccessTimeFormatted": "string", "location": "object", "name": "string", "type": "string",
        "pushCallback": "string", "pushPublicKey": "string", "pushAuthKey": "string",
        "pushEndpointExpired": "boolean", "availableCommands": "object"}]
    assert devices[0]["isCurrentDevice"] is True
    # Firefox's own refresh token, until it destroys it; a Sync-scoped one gets its placeholder
    # device (upstream's newTokenNotification), a "mobile" one as refresh-token devices are.
    code_grant(api, hawk)
    clients = ok(api.get("/account/attached_clients", **hawk))
    # FxAccounts._fetchAttachedOAuthClients reads clientId and lastAccessTime.
    entry = {"clientId": "string", "deviceId": "string", "sessionTokenId": "string", "refreshTokenId": "null",
             "isCurrentSession": "boolean", "deviceType": "string", "name": "string", "createdTime": "integer",
             "createdTimeFormatted": "string", "lastAccessTime": "integer", "lastAccessTimeFormatted": "string",
             "scope": "null", "location": "object", "userAgent": "string", "os": "string",
             "sessionTokenHandle": "string"}
    current = next(client for client in clients if client["isCurrentSession"])
    assert shape(current) == {**entry, "clientId": "null"}
    assert shape(next(client for client in clients if client["clientId"] == FIREFOX)) == {
        **entry, "sessionTokenId": "null", "sessionTokenHandle": "null", "refreshTokenId": "string",
        "scope": "array", "os": "null"}


def test_the_profiles_firefox_reads(firefox):
    api, (user, hawk) = ApiClient(), firefox
    account = ok(api.get("/account/profile", **hawk))
    assert shape(account) == {"email": "string", "locale": "null", "authenticationMethods": "array",
                              "authenticatorAssuranceLevel": "integer", "subscriptionsByClientId": "object",
                              "profileChangedAt": "integer", "metricsEnabled": "boolean", "atLeast18AtReg": "null"}
    token = ok(api.post("/oauth/token", {"client_id": FIREFOX, "grant_type": "fxa-credentials",
                                         "scope": "profile"}, **hawk))["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    response = api.get("/profile", headers=bearer)
    # FxAccountsProfile checks uid against the signed-in user's and caches by ETag.
    assert shape(ok(response)) == {"uid": "string", "email": "string", "locale": "null",
                                   "metricsEnabled": "boolean", "amrValues": "array",
                                   "twoFactorAuthentication": "boolean", "avatar": "string",
                                   "avatarDefault": "boolean"}
    assert response.json()["uid"] == user.uid
    again = api.get("/profile", headers={**bearer, "If-None-Match": response["ETag"]})
    assert again.status_code == 304


def test_an_account_never_changed_answers_a_profile_time(firefox):
    api, (user, hawk) = ApiClient(), firefox
    Account.objects.filter(pk=user.account.pk).update(profile_changed_at=None)
    body = ok(api.get("/account/profile", **hawk))
    assert body["profileChangedAt"] == user.account.verifier_set_at


def test_session_and_account_status(firefox):
    api, (user, hawk) = ApiClient(), firefox
    # The session the sign-up page handed Firefox, confirmed with the emailed code.
    status = ok(api.get("/session/status", token=user.session_token, scheme="hawk"))
    assert shape(status) == {"state": "string", "uid": "string", "details": "object"}
    assert shape(status["details"]) == {
        "accountEmailVerified": "boolean", "sessionVerificationMethod": "string", "sessionVerified": "boolean",
        "mustVerify": "boolean", "sessionVerificationMeetsMinimumAAL": "boolean", "verified": "boolean"}
    # FxAccountsClient.accountStatus reads exists, unsigned.
    assert ok(api.get(f"/account/status?uid={user.uid}")) == {"exists": True}
    assert ok(api.get(f"/account/status?uid={'0' * 32}")) == {"exists": False}
    assert ok(api.get("/account/status", **hawk)) == {"exists": True, "locale": None}
