"""Authorization requests: the /authorization page (incl. prompt=none), the RP-family
POST /v1/authorization and POST /v1/key-data, and scoped-key staleness."""
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client as HttpClient

from accounts.models import Account
from oauth import scopes
from oauth.models import AccessToken, AuthorizationCode
from tests.helpers import assert_error, make_account, ok

from .conftest import REDIRECT, code_for, make_client

pytestmark = pytest.mark.django_db


def page(**query):
    return HttpClient().get("/authorization", query)


def redirected_error(response):
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    return query["error"][0], query.get("state", [""])[0]


def test_page_refuses_unknown_clients_and_unregistered_redirects_without_redirecting(rp):
    client, _ = rp
    unknown = page(client_id="0123456789abcdef", scope="profile")
    assert unknown.status_code == 400 and "Location" not in unknown
    assert b"Unknown client" in unknown.content
    elsewhere = page(client_id=client.client_id, redirect_uri="https://evil.example/cb")
    assert elsewhere.status_code == 400 and "Location" not in elsewhere
    good = page(client_id=client.client_id, scope="openid profile", state="s1", keys_jwk="e30")
    location = urlsplit(good["Location"])
    assert good.status_code == 302 and location.path == "/signin"
    assert parse_qs(location.query)["keys_jwk"] == ["e30"]


def test_prompt_none_rules(rp, settings):
    client, _ = rp
    base = {"client_id": client.client_id, "scope": "openid profile", "state": "st",
            "prompt": "none"}
    assert redirected_error(page(**base, login_hint="a@example.com")) == \
        ("unauthorized_client", "st")
    settings.OAUTH_PROMPT_NONE_CLIENTS = [client.client_id]
    assert redirected_error(page(**base))[0] == "invalid_request"
    assert redirected_error(page(**base, login_hint="a@example.com", keys_jwk="e30"))[0] == \
        "invalid_request"
    # Checks pass, but this server keeps no signed-in browser session to answer silently with.
    assert redirected_error(page(**base, login_hint="a@example.com"))[0] == "login_required"


def test_prompt_none_with_an_id_token_hint(api, user, rp):
    client, secret = rp
    tokens = ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                    "code": code_for(api, user, client)}))
    base = {"client_id": client.client_id, "scope": "openid", "prompt": "none"}
    assert redirected_error(page(**base, id_token_hint=tokens["id_token"]))[0] == "login_required"
    assert redirected_error(page(**base, id_token_hint="not.a.jwt"))[0] == "invalid_request"
    other, _ = make_client("Other RP")
    other.redirect_uris = REDIRECT
    other.save()
    hint_for_someone_else = page(**{**base, "client_id": other.client_id},
                                 id_token_hint=tokens["id_token"])
    assert redirected_error(hint_for_someone_else)[0] == "invalid_request"


def test_rp_family_authorization_with_a_session(api, user, rp):
    client, _ = rp
    body = ok(api.post("/authorization", {"client_id": client.client_id, "scope": "profile",
                                          "state": "s"}, token=user.session_token))
    assert body["redirect"].startswith(REDIRECT + "?code=") and len(body["code"]) == 64
    assert AuthorizationCode.objects.count() == 1
    # OAuth errnos on this family.
    assert_error(api.post("/authorization", {"client_id": "0123456789abcdef", "state": "s",
                                             "scope": "profile"}, token=user.session_token), 400, 101)
    assert_error(api.post("/authorization", {"client_id": client.client_id, "state": "s",
                                             "scope": "profile", "response_type": "token"},
                          token=user.session_token), 400, 110)
    unverified = make_account("unverified.oauth@example.com", verified=False)
    assert_error(api.post("/authorization", {"client_id": client.client_id, "state": "s",
                                             "scope": "profile"},
                          token=unverified.session_token), 401, 104)
    assert api.post("/authorization", {"client_id": client.client_id, "state": "s"}).status_code \
        == 401


def test_implicit_grant_for_can_grant_clients(api, user):
    app, _ = make_client("Browser", public=True, can_grant=True, trusted=True, scope="profile")
    body = ok(api.post("/authorization", {"client_id": app.client_id, "scope": "profile",
                                          "state": "s", "response_type": "token", "ttl": 60},
                       token=user.session_token))
    assert body["token_type"] == "bearer" and body["expires_in"] == 60
    assert body["scope"] == "profile" and "refresh_token" not in body and "auth_at" in body
    assert AccessToken.objects.get().account_id == user.uid


def test_key_data_lists_keyed_scopes_and_refuses_stale_sign_ins(api, user):
    app, _ = make_client("Firefox", public=True, trusted=True, scope=scopes.OLDSYNC)
    request = {"client_id": app.client_id, "scope": "profile " + scopes.OLDSYNC}
    body = ok(api.post("/key-data", request, token=user.session_token))
    assert list(body) == [scopes.OLDSYNC]
    assert ok(api.post("/key-data", {**request, "scope": "profile"},
                       token=user.session_token)) == {}
    assert_error(api.post("/key-data", {**request, "client_id": "0123456789abcdef"},
                          token=user.session_token), 400, 101)
    # Keys changed (a password reset elsewhere) after this session signed in.
    Account.objects.filter(uid=user.uid).update(keys_changed_at=int(time.time() * 1000) + 60_000)
    stale = assert_error(api.post("/key-data", request, token=user.session_token), 401, 119)
    assert "authAt" in stale
    assert_error(api.post("/account/scoped-key-data", request, token=user.session_token), 400, 164)
