"""Firefox's own clients, registered by oauth 0003: what Firefox desktop does with them (a code
for Sync with keys_jwe over the WebChannel redirect, redeemed with PKCE and a session), the
per-scope rule on where keys may go (auth errno 163 on these routes), the admin, and /.well-known/fxa-client-configuration."""
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from django.urls import resolve

from oauth import scopes
from oauth.models import Client
from tests import factories
from tests.helpers import ApiClient, assert_error, ok

from .conftest import authorize, pkce_pair

pytestmark = pytest.mark.django_db

WEBCHANNEL = "urn:ietf:wg:oauth:2.0:oob:oauth-redirect-webchannel"
PAIRING = "urn:ietf:wg:oauth:2.0:oob:pair-auth-webchannel"
THUNDERBIRD_SYNC = "https://identity.thunderbird.net/apps/sync"
JWE = "eyJhbGciOiJFQ0RILUVTIiwiZW5jIjoiQTI1NkdDTSJ9..aXY.Y2lwaGVy.dGFn"


@pytest.mark.parametrize("client_id, name", [
    ("5882386c6d801776", "Firefox"),
    ("a2270f727f45f648", "Firefox for Android"),
    ("1b1a3e44c54fbb58", "Firefox for iOS"),
    ("8269bacd7bbc7f80", "Thunderbird"),
])
def test_first_party_clients_are_public_trusted_and_may_use_credentials(client_id, name):
    client = Client.objects.get(client_id=client_id)
    assert client.name == name and client.public_client and client.trusted and client.can_grant
    assert client.redirect_uri == WEBCHANNEL
    assert scopes.SESSION_SCOPE in client.allowed_scopes.split()
    info = ok(ApiClient().get(f"/oauth/client/{client_id}"))
    assert info == {"id": client_id, "name": name, "trusted": True, "image_uri": "",
                    "redirect_uri": WEBCHANNEL}


def test_browsers_may_ask_for_sync_keys_and_thunderbird_for_its_own():
    firefox = Client.objects.get(client_id="5882386c6d801776")
    assert scopes.OLDSYNC in firefox.allowed_scopes.split()
    assert PAIRING in firefox.redirect_uri_list
    thunderbird = Client.objects.get(client_id="8269bacd7bbc7f80")
    assert thunderbird.allowed_scopes.split() == [THUNDERBIRD_SYNC, scopes.SESSION_SCOPE]


def firefox_sign_in(api, user, **params):
    """What the page does for Firefox desktop, then what Firefox does with the code."""
    verifier, challenge = pkce_pair()
    body = {"client_id": "5882386c6d801776", "state": "browser-state", "access_type": "offline",
            "scope": f"profile {scopes.OLDSYNC}", "code_challenge": challenge,
            "code_challenge_method": "S256", "keys_jwe": JWE, **params}
    answer = ok(api.post("/oauth/authorization", body, token=user.session_token))
    token = api.post("/oauth/token", {"client_id": "5882386c6d801776", "code": answer["code"],
                                      "code_verifier": verifier, "grant_type": "authorization_code"},
                     token=user.session_token)
    return answer, token


def test_firefox_desktop_gets_its_keys_over_the_webchannel_redirect(api):
    user = factories.account("desktop@example.com")
    answer, token = firefox_sign_in(api, user)
    assert answer["redirect"].startswith(WEBCHANNEL) and answer["state"] == "browser-state"
    body = ok(token)
    assert body["keys_jwe"] == JWE and body["scope"] == f"profile {scopes.OLDSYNC}"
    assert len(body["refresh_token"]) == 64
    # Desktop keeps its session token and revokes the refresh token straight away.
    assert ok(api.post("/oauth/destroy", {"client_id": "5882386c6d801776",
                                          "token": body["refresh_token"]})) == {}


def test_keys_go_only_to_a_redirect_allowed_for_the_keyed_scope(api):
    user = factories.account("rp-keys@example.com")
    rp = factories.oauth_client("Sync reader", public=True, trusted=True,
                                scope=scopes.OLDSYNC)[0]
    verifier, challenge = pkce_pair()
    common = {"scope": scopes.OLDSYNC, "code_challenge": challenge, "code_challenge_method": "S256"}
    body = assert_error(authorize(api, user, rp, keys_jwe=JWE, **common), 400, 163)
    assert body["invalidScopes"] == [scopes.OLDSYNC]
    # The same grant without keys is the client's to have; so are keys of a scope it may not
    # see anyway (none requested here).
    assert ok(authorize(api, user, rp, **common))["code"]
    assert ok(authorize(api, user, rp, scope="profile", keys_jwe=JWE, code_challenge=challenge,
                        code_challenge_method="S256"))["code"]


def test_a_keyed_scope_without_validation_entry_gets_no_keys(api, settings):
    settings.OAUTH_SCOPED_KEYS_REDIRECT_URIS = {}
    user = factories.account("no-entry@example.com")
    response = api.post(
        "/oauth/authorization",
        {"client_id": "5882386c6d801776", "state": "s", "scope": scopes.OLDSYNC,
         "code_challenge": pkce_pair()[1], "code_challenge_method": "S256", "keys_jwe": JWE},
        token=user.session_token)
    assert assert_error(response, 400, 163)["invalidScopes"] == [scopes.OLDSYNC]


def test_fxa_client_configuration_has_what_firefox_reads(settings):
    settings.OAUTH_SYNC_TOKENSERVER_URL = "https://sync.example.org/token"
    response = HttpClient().get("/.well-known/fxa-client-configuration")
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["Access-Control-Allow-Origin"] == "*"
    base = settings.PUBLIC_URL
    assert response.json() == {
        "auth_server_base_url": base, "oauth_server_base_url": base,
        "profile_server_base_url": base,
        "pairing_server_base_uri": settings.OAUTH_PAIRING_SERVER_URL,
        "sync_tokenserver_base_url": "https://sync.example.org/token",
    }


def test_fxa_client_configuration_leaves_out_an_unset_tokenserver(settings):
    settings.OAUTH_SYNC_TOKENSERVER_URL = ""
    body = HttpClient().get("/.well-known/fxa-client-configuration").json()
    assert "sync_tokenserver_base_url" not in body
    assert not any(value.endswith("/v1") for value in body.values())


def test_staff_see_and_edit_the_first_party_clients(client):
    staff = get_user_model().objects.create(username="staff", is_staff=True, is_superuser=True)
    client.force_login(staff)
    listing = client.get("/admin/oauth/client/", {"q": "5882386c6d801776"}).content.decode()
    assert "5882386c6d801776" in listing
    firefox = Client.objects.get(client_id="5882386c6d801776")
    page = client.get(f"/admin/oauth/client/{firefox.pk}/change/")
    assert page.status_code == 200 and WEBCHANNEL in page.content.decode()
    form = {field: getattr(firefox, field) for field in (
        "name", "client_type", "redirect_uris", "allowed_scopes", "image_uri", "webhook_url")}
    form.update(name="Firefox (self-hosted)", trusted="on", can_grant="on")
    response = client.post(f"/admin/oauth/client/{firefox.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    firefox.refresh_from_db()
    assert firefox.name == "Firefox (self-hosted)" and firefox.public_client and firefox.trusted
    assert firefox.client_secret == ""


def test_the_authorization_page_takes_keys_jwk_only_where_keys_may_go():
    """Firefox's request with keys_jwk goes on to the sign-in pages; an RP whose redirect URI is
    not allowed for the keyed scope gets the page that explains it, as does one with no keyed
    scope to give keys for."""
    challenge = pkce_pair()[1]
    query = {"client_id": "5882386c6d801776", "scope": f"profile {scopes.OLDSYNC}", "state": "s",
             "code_challenge": challenge, "code_challenge_method": "S256", "keys_jwk": "e30"}
    response = HttpClient().get("/authorization", query)
    assert response.status_code == 302 and "/oauth/?" in response["Location"]
    rp = factories.oauth_client("Sync reader", public=True, trusted=True, scope=scopes.OLDSYNC)[0]
    refused = HttpClient().get("/authorization", {**query, "client_id": rp.client_id})
    assert refused.status_code == 400 and b"encrypt your synced data" in refused.content
    no_keyed_scope = HttpClient().get("/authorization", {**query, "scope": "profile"})
    assert no_keyed_scope.status_code == 400


def firefox_autoconfig(document, root):
    """The prefs Firefox's FxAccountsConfig.updateConfigURLs writes from the document."""
    auth = document["auth_server_base_url"]
    return {
        "identity.fxaccounts.auth.uri": auth if auth.endswith("/v1") else auth + "/v1",
        "identity.fxaccounts.remote.oauth.uri": document["oauth_server_base_url"] + "/v1",
        "identity.fxaccounts.remote.pairing.uri": document["pairing_server_base_uri"],
        "identity.fxaccounts.remote.profile.uri": document["profile_server_base_url"] + "/v1",
        "identity.sync.tokenserver.uri": document["sync_tokenserver_base_url"] + "/1.0/sync/1.5",
        "identity.fxaccounts.remote.root": root.rstrip("/"),
    }


def test_the_prefs_firefox_derives_reach_this_server_at_its_public_root(settings):
    settings.PUBLIC_URL = "https://accounts.example.org"
    settings.OAUTH_SYNC_TOKENSERVER_URL = "https://sync.example.org"
    document = HttpClient().get("/.well-known/fxa-client-configuration").json()
    # autoconfig.uri as the README has users type it, with or without the trailing slash.
    prefs = firefox_autoconfig(document, "https://accounts.example.org/")
    assert prefs == {
        "identity.fxaccounts.auth.uri": "https://accounts.example.org/v1",
        "identity.fxaccounts.remote.oauth.uri": "https://accounts.example.org/v1",
        "identity.fxaccounts.remote.pairing.uri": settings.OAUTH_PAIRING_SERVER_URL,
        "identity.fxaccounts.remote.profile.uri": "https://accounts.example.org/v1",
        "identity.sync.tokenserver.uri": "https://sync.example.org/1.0/sync/1.5",
        "identity.fxaccounts.remote.root": settings.PUBLIC_URL,
    }
    # What Firefox then calls under each of them is served here.
    for pref, route in (("identity.fxaccounts.auth.uri", "/account/status"),
                        ("identity.fxaccounts.remote.oauth.uri", "/oauth/token"),
                        ("identity.fxaccounts.remote.profile.uri", "/profile")):
        assert resolve(urlsplit(prefs[pref] + route).path)
