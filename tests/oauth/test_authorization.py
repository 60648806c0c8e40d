"""Authorization requests: the /authorization page (incl. prompt=none), the RP-family
POST /v1/authorization and POST /v1/key-data, and scoped-key staleness."""
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client as HttpClient

from accounts.models import Account
from oauth import scopes
from oauth.models import AccessToken, AuthorizationCode
from tests import factories
from tests.helpers import assert_error, ok

from .conftest import REDIRECT, code_for

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
    assert b"Unknown application" in unknown.content and b"Unknown client" in unknown.content
    elsewhere = page(client_id=client.client_id, redirect_uri="https://evil.example/cb")
    assert elsewhere.status_code == 400 and "Location" not in elsewhere
    assert b"evil.example" not in elsewhere.content  # not even a link to it
    assert b"has not registered" in elsewhere.content


def dispatched(response):
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    return location.path, parse_qs(location.query)


def test_page_dispatches_by_action_with_the_query_carried(rp):
    client, _ = rp
    base = {"client_id": client.client_id, "scope": "openid profile", "state": "s1"}
    path, query = dispatched(page(**base, login_hint="hint@example.com"))
    assert path == "/oauth/" and query["state"] == ["s1"] and query["login_hint"] == ["hint@example.com"]
    assert "email" not in query  # the index prefills from login_hint and may offer "continue as"
    for action, expected in [("email", "/oauth/"), ("signin", "/oauth/signin"),
                             ("signup", "/oauth/signup"), ("force_auth", "/oauth/force_auth")]:
        path, query = dispatched(page(**base, action=action, login_hint="hint@example.com"))
        assert path == expected and query["client_id"] == [client.client_id]
        if action != "email":  # those pages take the address as `email`
            assert query["email"] == ["hint@example.com"]
    _, query = dispatched(page(**base, action="signin", email="given@example.com", login_hint="x@example.com"))
    assert query["email"] == ["given@example.com"]


@pytest.mark.parametrize("query, words", [
    ({"scope": "openid https://identity.mozilla.com/apps/send"}, b"more of your account than"),
    ({"scope": "not a/valid^scope"}, b"does not understand"),
    ({"response_type": "token"}, b"does not understand"),
    ({"response_mode": "web_message"}, b"does not understand"),
    ({"max_age": "soon"}, b"does not understand"),
    ({"state": "s" * 513}, b"does not understand"),
])
def test_page_explains_requests_the_client_may_not_make(rp, query, words):
    client, _ = rp
    response = page(client_id=client.client_id, **{"scope": "openid", **query})
    assert response.status_code == 400 and "Location" not in response
    assert words in response.content and b"Test RP" in response.content
    # A way back to the client, through the checked answer route.
    assert b'href="/authorization/response?' in response.content


def test_page_explains_pkce_disabled_clients_and_keys(public_rp, rp):
    no_pkce = page(client_id=public_rp.client_id, scope="openid")
    assert no_pkce.status_code == 400 and b"PKCE" in no_pkce.content
    client, _ = rp
    keys = page(client_id=client.client_id, scope="openid", keys_jwk="e30")
    assert keys.status_code == 400 and b"encrypt your synced data" in keys.content
    client.disabled = True
    client.save()
    disabled = page(client_id=client.client_id, scope="openid")
    assert disabled.status_code == 400 and b"turned off for now" in disabled.content


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
    # Checks pass: the silent page answers from the session the browser holds.
    silent = page(**base, login_hint="a@example.com")
    assert silent.status_code == 200 and b'data-page="oauth_silent"' in silent.content
    assert b'data-email="a@example.com"' in silent.content and b"Test RP" in silent.content
    # Errors follow the response_mode.
    fragment = page(**base, response_mode="fragment")
    assert fragment.status_code == 302
    assert fragment["Location"] == f"{REDIRECT}#error=invalid_request&state=st"


def test_prompt_none_with_an_id_token_hint(api, user, rp):
    client, secret = rp
    tokens = ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret,
                                    "code": code_for(api, user, client)}))
    base = {"client_id": client.client_id, "scope": "openid", "prompt": "none"}
    silent = page(**base, id_token_hint=tokens["id_token"])
    assert silent.status_code == 200 and f'data-uid="{user.uid}"'.encode() in silent.content
    assert redirected_error(page(**base, id_token_hint="not.a.jwt"))[0] == "invalid_request"
    other, _ = factories.oauth_client("Other RP")
    other.redirect_uris = REDIRECT
    other.save()
    hint_for_someone_else = page(**{**base, "client_id": other.client_id},
                                 id_token_hint=tokens["id_token"])
    assert redirected_error(hint_for_someone_else)[0] == "invalid_request"


def answer(method="get", **data):
    http = HttpClient()
    return getattr(http, method)("/authorization/response", data)


def test_answers_go_to_the_registered_redirect_in_each_response_mode(rp):
    client, _ = rp
    base = {"client_id": client.client_id, "state": "s t"}
    query = answer(**base, error="access_denied")
    assert query.status_code == 302 and query["Location"] == f"{REDIRECT}?error=access_denied&state=s+t"
    fragment = answer(**base, error="login_required", response_mode="fragment")
    assert fragment["Location"] == f"{REDIRECT}#error=login_required&state=s+t"
    code = "ab" * 32
    posted = answer("post", **base, code=code, response_mode="form_post")
    assert posted.status_code == 200 and "Location" not in posted
    html = posted.content.decode()
    assert f'action="{REDIRECT}"' in html and f'value="{code}"' in html and 'value="s t"' in html
    assert 'src="/static/js/oauth_form_post.js"' in html and "<script>" not in html
    csp = posted["Content-Security-Policy"]
    assert "form-action https://rp.example.com;" in csp and "script-src 'self'" in csp
    assert "no-store" in posted["Cache-Control"]


def test_answers_refuse_what_they_cannot_check(rp):
    client, _ = rp
    base = {"client_id": client.client_id, "state": "s"}
    for bad in [{"redirect_uri": "https://evil.example/cb", "error": "access_denied"},
                {"client_id": "0123456789abcdef", "error": "access_denied"}]:
        refused = answer(**{**base, **bad})
        assert refused.status_code == 400 and "Location" not in refused
    # Codes never travel in a URL of ours; errors only from the known list; known modes only.
    for bad in [{"code": "ab" * 32}, {"error": "<script>"},
                {"error": "access_denied", "response_mode": "web_message"}]:
        assert "Location" not in answer(**{**base, **bad})
    assert answer("put", **base).status_code == 405


def test_permissions_page_names_the_client_and_what_it_gets(db):
    client, _ = factories.oauth_client("Photo Printer", scope="openid profile")
    client.image_uri = "https://cdn.printer.example/logo.png"
    client.save()
    response = HttpClient().get("/oauth/signin_permissions", {
        "client_id": client.client_id, "scope": "openid profile", "state": "s"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Photo Printer would like to access your account" in html
    assert 'src="https://cdn.printer.example/logo.png"' in html
    for words in ("Email address", "Display name", "Profile picture", "Account ID"):
        assert html.count(words) == 1  # openid and profile:uid are one item
    assert "img-src 'self' data: blob: https://cdn.printer.example;" in response["Content-Security-Policy"]
    assert "form-action 'self'" in response["Content-Security-Policy"]
    unknown = HttpClient().get("/signup_permissions", {"client_id": "0123456789abcdef"})
    assert unknown.status_code == 400 and b"Unknown application" in unknown.content


def test_error_page_of_the_scripts_explains_errnos(rp):
    client, _ = rp
    response = HttpClient().get("/authorization/error", {
        "client_id": client.client_id, "errno": "170", "state": "s"})
    assert response.status_code == 200 and b"Two-step authentication required" in response.content
    assert b"Back to Test RP" in response.content
    for errno, words in [("163", b"more of your account"), ("204", b"turned off for now"),
                         ("167", b"has not registered"), ("999", b"Something went wrong")]:
        body = HttpClient().get("/authorization/error", {"client_id": client.client_id, "errno": errno}).content
        assert words in body
    gone = HttpClient().get("/authorization/error", {"client_id": "0123456789abcdef", "errno": "163"})
    assert b"Unknown application" in gone.content


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
    unverified = factories.account("unverified.oauth@example.com", verified=False)
    assert_error(api.post("/authorization", {"client_id": client.client_id, "state": "s",
                                             "scope": "profile"},
                          token=unverified.session_token), 401, 104)
    assert api.post("/authorization", {"client_id": client.client_id, "state": "s"}).status_code \
        == 401


def test_implicit_grant_for_can_grant_clients(api, user):
    app, _ = factories.oauth_client("Browser", public=True, can_grant=True, trusted=True, scope="profile")
    body = ok(api.post("/authorization", {"client_id": app.client_id, "scope": "profile",
                                          "state": "s", "response_type": "token", "ttl": 60},
                       token=user.session_token))
    assert body["token_type"] == "bearer" and body["expires_in"] == 60
    assert body["scope"] == "profile" and "refresh_token" not in body and "auth_at" in body
    assert AccessToken.objects.get().account_id == user.uid


def test_key_data_lists_keyed_scopes_and_refuses_stale_sign_ins(api, user):
    app, _ = factories.oauth_client("Firefox", public=True, trusted=True, scope=scopes.OLDSYNC)
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
