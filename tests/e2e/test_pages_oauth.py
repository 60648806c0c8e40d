"""OAuth for web relying parties in a real browser (Chromium) against the live stack.

The RP is a loopback HTTP receiver started here as the client's redirect_uri; it records what the
browser brings it. Through ``/authorization`` with PKCE S256 the user signs in on our pages and
lands at the RP with a code and the unchanged state; the test then redeems the code at
``POST /v1/oauth/token`` with the verifier, as the RP would, and checks the id_token's ``sub``.
"""
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from oauth import crypto
from oauth.models import Client
from tests import factories
from tests.e2e.browser import assert_password_not_sent, screenshot
from tests.helpers import DEFAULT_PASSWORD, ApiClient
from tests.live import start_live_stack
from tests.oauth.conftest import pkce_pair

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCOPE = "openid profile"


class Receiver(BaseHTTPRequestHandler):
    """The RP's redirect_uri: answers every GET/POST with a small page and records the request
    (the browser's favicon requests aside)."""

    def _answer(self):
        if self.path == "/favicon.ico":
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.server.received.append(SimpleNamespace(
            method=self.command, path=urlsplit(self.path).path,
            query=parse_qs(urlsplit(self.path).query), form=parse_qs(body)))
        page = b"<!doctype html><meta charset=utf-8><title>RP</title><p>Back at the RP."
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    do_GET = do_POST = _answer

    def log_message(self, format, *args):
        pass


@pytest.fixture
def rp():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    yield SimpleNamespace(url=url, callback=f"{url}/callback", received=server.received)
    server.shutdown()
    server.server_close()
    thread.join()


def register(rp, name, **options):
    client, secret = factories.oauth_client(name, redirect_uris=(rp.callback,), scope=SCOPE, **options)
    return SimpleNamespace(id=client.client_id, secret=secret, model=client)


def authorization_url(stack, rp, client, **extra):
    """An RP's request, PKCE S256 and a random state; returns (url, verifier, state)."""
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(12)
    query = {"client_id": client.id, "redirect_uri": rp.callback, "scope": SCOPE, "state": state,
             "response_type": "code", "access_type": "offline", "code_challenge": challenge,
             "code_challenge_method": "S256", **extra}
    return f"{stack.url}/authorization?{urlencode(query)}", verifier, state


def at_rp(page, rp):
    page.wait_for_url(f"{rp.callback}**")
    return page.url


def code_from(url, state):
    query = parse_qs(urlsplit(url).query)
    assert query["state"] == [state]
    return query["code"][0]


def redeem(stack, client, code, verifier):
    """What the RP does with the code: POST /v1/oauth/token with the PKCE verifier."""
    body = {"client_id": client.id, "code": code, "code_verifier": verifier}
    if client.secret:
        body["client_secret"] = client.secret
    response = requests.post(f"{stack.url}/v1/oauth/token", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def id_token_sub(stack, tokens, client):
    jwks = requests.get(f"{stack.url}/v1/jwks", timeout=10).json()["keys"]
    claims = crypto.verify_jwt(tokens["id_token"], jwks, issuer=stack.url, audience=client.id)
    return claims["sub"]


def ready(page):
    """The page's module has bound its forms (main.js marks the body)."""
    page.wait_for_selector("body[data-ready=true]", state="attached")


def continue_as(page):
    """The index offers the held session ("continue as …"): take it."""
    page.wait_for_url("**/oauth/?**")
    ready(page)
    assert page.locator("#continue-as").is_visible()
    page.click("#continue-button")


def enter_email(page, email):
    ready(page)
    page.fill("#email", email)
    page.click("#email-form button[type=submit]")


def enter_password(page, password=DEFAULT_PASSWORD):
    page.wait_for_url("**/oauth/signin?**")
    ready(page)
    page.fill("#password", password)
    page.click("#signin-form button[type=submit]")


def visited(page, fragment):
    return [r["url"] for r in page.requests if fragment in r["url"] and r["method"] == "GET"]


def pages_loaded(requests):
    """The paths of the documents among recorded requests (not scripts, styles or API calls)."""
    paths = [urlsplit(r["url"]).path for r in requests if r["method"] == "GET"]
    assets = ("/static/", "/jsi18n/", "/v1/", "/__lbheartbeat__", "/favicon.ico")
    return [path for path in paths if not path.startswith(assets)]


def permissions_listed(page):
    return page.locator(".permissions li strong").all_inner_texts()


def no_csp_violations(page):
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def test_untrusted_client_asks_consent_once_and_cancel_answers_access_denied(live_stack, rp, browser_page):
    page = browser_page
    user = factories.account("oauth.consent@example.com")
    client = register(rp, "Photo Printer", public=True)

    url, verifier, state = authorization_url(live_stack, rp, client, scope="openid email")
    page.goto(url)
    page.wait_for_url("**/oauth/?**")
    page.wait_for_selector("text=to continue to Photo Printer")
    screenshot(page, "oauth_index")
    enter_email(page, user.email)
    page.wait_for_selector("text=to continue to Photo Printer")
    screenshot(page, "oauth_signin")
    enter_password(page)
    page.wait_for_url("**/oauth/signin_permissions?**")
    ready(page)
    assert page.locator("[data-account-email]").inner_text() == user.email
    assert permissions_listed(page) == ["Email address", "Account ID"]
    assert page.locator("h1").inner_text() == "Photo Printer would like to access your account"
    page.click("#permissions-form button[type=submit]")
    code = code_from(at_rp(page, rp), state)
    tokens = redeem(live_stack, client, code, verifier)
    assert id_token_sub(live_stack, tokens, client) == user.uid
    assert tokens["refresh_token"] and tokens["scope"] == "openid profile:email"

    # Signed in, and consent remembered for this account and client: no question this time.
    url, verifier, state = authorization_url(live_stack, rp, client, scope="openid email")
    asked_before = len(visited(page, "signin_permissions"))
    page.goto(url)
    continue_as(page)
    code = code_from(at_rp(page, rp), state)
    assert len(visited(page, "signin_permissions")) == asked_before
    assert id_token_sub(live_stack, redeem(live_stack, client, code, verifier), client) == user.uid

    # New permissions are asked for; Cancel sends the RP access_denied with its state.
    url, _, state = authorization_url(live_stack, rp, client)
    page.goto(url)
    continue_as(page)
    page.wait_for_url("**/oauth/signin_permissions?**")
    ready(page)
    assert permissions_listed(page) == ["Email address", "Display name", "Profile picture", "Account ID"]
    screenshot(page, "oauth_permissions")
    page.click("#cancel")
    query = parse_qs(urlsplit(at_rp(page, rp)).query)
    assert query == {"error": ["access_denied"], "state": [state]}

    no_csp_violations(page)
    assert_password_not_sent(page.requests, user.password)


def test_trusted_client_skips_consent_and_answers_in_each_response_mode(live_stack, rp, browser_page):
    page = browser_page
    user = factories.account("oauth.trusted@example.com")
    client = register(rp, "Our Own Service", trusted=True)  # confidential: secret and PKCE

    url, verifier, state = authorization_url(live_stack, rp, client, action="signin",
                                             login_hint=user.email)
    page.goto(url)
    enter_password(page)  # action=signin with login_hint: straight to the password
    code = code_from(at_rp(page, rp), state)
    assert not visited(page, "_permissions")
    tokens = redeem(live_stack, client, code, verifier)
    assert id_token_sub(live_stack, tokens, client) == user.uid

    # prompt=consent: the consent page even for a trusted client.
    url, verifier, state = authorization_url(live_stack, rp, client, prompt="consent")
    page.goto(url)
    continue_as(page)
    page.wait_for_url("**/oauth/signin_permissions?**")
    ready(page)
    page.click("#permissions-form button[type=submit]")
    redeem(live_stack, client, code_from(at_rp(page, rp), state), verifier)

    # response_mode=fragment: the code in the fragment, which never reaches the RP's server.
    url, verifier, state = authorization_url(live_stack, rp, client, response_mode="fragment")
    page.goto(url)
    continue_as(page)
    landed = urlsplit(at_rp(page, rp))
    assert landed.query == "" and rp.received[-1].query == {}
    fragment = parse_qs(landed.fragment)
    assert fragment["state"] == [state]
    redeem(live_stack, client, fragment["code"][0], verifier)

    # response_mode=form_post: an auto-submitted form posts code and state to the RP.
    url, verifier, state = authorization_url(live_stack, rp, client, response_mode="form_post")
    page.goto(url)
    continue_as(page)
    at_rp(page, rp)
    posted = rp.received[-1]
    assert posted.method == "POST" and posted.query == {} and posted.form["state"] == [state]
    tokens = redeem(live_stack, client, posted.form["code"][0], verifier)
    assert id_token_sub(live_stack, tokens, client) == user.uid

    no_csp_violations(page)
    assert_password_not_sent(page.requests, user.password)


def test_prompt_login_and_max_age_ask_for_the_password_again(live_stack, rp, browser_page):
    page = browser_page
    user = factories.account("oauth.prompt.login@example.com")
    client = register(rp, "Careful Bank", trusted=True)
    url, _, state = authorization_url(live_stack, rp, client, action="signin", login_hint=user.email)
    page.goto(url)
    enter_password(page)
    code_from(at_rp(page, rp), state)

    # A session is held, but the RP wants the password typed again: no "continue as".
    for extra in ({"prompt": "login"}, {"max_age": "0"}):
        url, verifier, state = authorization_url(live_stack, rp, client, login_hint=user.email, **extra)
        page.goto(url)
        page.wait_for_url("**/oauth/?**")
        if "prompt" in extra:
            ready(page)
            assert not page.locator("#continue-as").is_visible()
            assert page.locator("#email").input_value() == user.email
            enter_email(page, user.email)
        else:
            continue_as(page)
        enter_password(page)
        code = code_from(at_rp(page, rp), state)
        assert id_token_sub(live_stack, redeem(live_stack, client, code, verifier), client) == user.uid
    assert len(visited(page, "/oauth/signin?")) == 3
    assert_password_not_sent(page.requests, user.password)


def test_prompt_none_answers_from_the_held_session(live_stack, rp, chromium, browser_page):
    page = browser_page
    user = factories.account("oauth.silent@example.com")
    client = register(rp, "Quiet App", trusted=True)
    url, verifier, state = authorization_url(live_stack, rp, client, action="signin",
                                             login_hint=user.email)
    page.goto(url)
    enter_password(page)
    id_token = redeem(live_stack, client, code_from(at_rp(page, rp), state), verifier)["id_token"]

    # A verified session for the hinted account: a code, without any page asking anything.
    url, verifier, state = authorization_url(live_stack, rp, client, prompt="none",
                                             id_token_hint=id_token)
    seen = len(page.requests)
    page.goto(url)
    code = code_from(at_rp(page, rp), state)
    assert id_token_sub(live_stack, redeem(live_stack, client, code, verifier), client) == user.uid
    assert pages_loaded(page.requests[seen:]) == ["/authorization", "/callback"]

    # Another browser, without a session: login_required, with the state.
    context = chromium.new_context()
    try:
        other = context.new_page()
        url, _, state = authorization_url(live_stack, rp, client, prompt="none", id_token_hint=id_token)
        other.goto(url)
        other.wait_for_url(f"{rp.callback}**")
        assert parse_qs(urlsplit(other.url).query) == {"error": ["login_required"], "state": [state]}
    finally:
        context.close()

    # A hint for someone else (another account's id_token): account_selection_required.
    someone = factories.account("oauth.silent.other@example.com")
    verifier2, challenge2 = pkce_pair()
    other_code = ApiClient().post("/oauth/authorization", {
        "client_id": client.id, "scope": "openid", "state": "x", "code_challenge": challenge2,
        "code_challenge_method": "S256"}, token=someone.session_token).json()["code"]
    other_id_token = redeem(live_stack, client, other_code, verifier2)["id_token"]
    url, _, state = authorization_url(live_stack, rp, client, prompt="none", id_token_hint=other_id_token)
    page.goto(url)
    at_rp(page, rp)
    assert parse_qs(urlsplit(page.url).query) == {"error": ["account_selection_required"], "state": [state]}
    assert_password_not_sent(page.requests, user.password)


def test_prompt_none_with_login_hint_for_allowed_clients(rp, chromium):
    client = register(rp, "Allow-listed App", trusted=True)
    client.id = "1234567890abcdef"
    Client.objects.filter(pk=client.model.pk).update(client_id=client.id)
    stack = start_live_stack({"OAUTH_PROMPT_NONE_CLIENTS": client.id})
    context = chromium.new_context()
    try:
        page = context.new_page()
        user = factories.account("oauth.hinted@example.com")
        url, _, state = authorization_url(stack, rp, client, prompt="none", login_hint=user.email)
        page.goto(url)
        at_rp(page, rp)
        assert parse_qs(urlsplit(page.url).query) == {"error": ["login_required"], "state": [state]}
        # Sign in, then ask silently for this account (a code) and for another (an error).
        url, _, state = authorization_url(stack, rp, client, action="signin", login_hint=user.email)
        page.goto(url)
        enter_password(page)
        code_from(at_rp(page, rp), state)
        url, verifier, state = authorization_url(stack, rp, client, prompt="none",
                                                 login_hint=user.email.upper())
        page.goto(url)
        code = code_from(at_rp(page, rp), state)
        assert id_token_sub(stack, redeem(stack, client, code, verifier), client) == user.uid
        url, _, state = authorization_url(stack, rp, client, prompt="none",
                                          login_hint="someone.else@example.com")
        page.goto(url)
        at_rp(page, rp)
        assert parse_qs(urlsplit(page.url).query)["error"] == ["account_selection_required"]
    finally:
        context.close()
        stack.stop()


def test_bad_requests_stay_on_our_error_page(live_stack, rp, browser_page):
    page = browser_page
    client = register(rp, "Photo Printer", public=True)
    evil = f"{rp.url}/evil"
    url, _, _ = authorization_url(live_stack, rp, client, redirect_uri=evil)
    response = page.goto(url)
    assert response.status == 400 and page.url == url
    page.wait_for_selector("h1:has-text('Sign-in request refused')")
    assert "has not registered" in page.inner_text(".notice")
    screenshot(page, "oauth_error")
    unknown, _, _ = authorization_url(live_stack, rp, SimpleNamespace(id="0123456789abcdef"))
    assert page.goto(unknown).status == 400
    page.wait_for_selector("h1:has-text('Unknown application')")
    assert not rp.received and not [r for r in page.requests if r["url"].startswith(rp.url)]
    no_csp_violations(page)


def test_two_step_authentication_required_is_explained(live_stack, rp, browser_page):
    page = browser_page
    user = factories.account("oauth.aal2@example.com")
    client = register(rp, "Strict Vault", trusted=True)
    url, _, _ = authorization_url(live_stack, rp, client, action="signin", login_hint=user.email,
                                  acr_values="AAL2")
    page.goto(url)
    enter_password(page)
    page.wait_for_url("**/authorization/error?**")
    page.wait_for_selector("h1:has-text('Two-step authentication required')")
    assert "Strict Vault only accepts accounts protected by two-step authentication" in page.inner_text(".notice")
    screenshot(page, "oauth_two_step_required")
    # "Back to Strict Vault" answers the RP (access_denied) at its checked redirect_uri.
    page.click("text=Back to Strict Vault")
    assert parse_qs(urlsplit(at_rp(page, rp)).query)["error"] == ["access_denied"]
    assert not [r for r in rp.received if "code" in r.query]
    assert_password_not_sent(page.requests, user.password)


def test_form_post_page_works_without_javascript(live_stack, rp, chromium):
    """The form_post page posts by itself; without scripts its button does."""
    client = register(rp, "Photo Printer", public=True)
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        query = urlencode({"client_id": client.id, "error": "access_denied", "state": "s1",
                           "response_mode": "form_post"})
        page.goto(f"{live_stack.url}/authorization/response?{query}")
        page.wait_for_selector("h1:has-text('Returning to Photo Printer')")
        screenshot(page, "oauth_form_post")
        page.click("#form-post button[type=submit]")
        at_rp(page, rp)
        posted = rp.received[-1]
        assert posted.method == "POST" and posted.form == {"error": ["access_denied"], "state": ["s1"]}
    finally:
        context.close()
