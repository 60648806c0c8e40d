"""Firefox's sign-in to Sync on our pages, and what the settings pages tell it, in Chromium against the live stack, with this test
playing Firefox's chrome side of the WebChannel: an init script answers the page's
``WebChannelMessageToChrome`` events (detail a JSON string) with ``WebChannelMessageToContent``
ones and records every message. The test then does what Firefox does with ``oauth_login``:
redeems the code with its PKCE verifier and opens ``keys_jwe`` with the private half of the
``keys_jwk`` it sent, and finds the oldsync key derived from the account's kB.
"""
import base64
import hashlib
import importlib
import json
import re
import secrets
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwcrypto import jwe, jwk
from playwright.sync_api import expect

from django.apps import apps

from accounts import onepw
from accounts.models import Account
from tests.e2e.browser import screenshot
from tests.e2e.settings_pages import PASSWORD as SETTINGS_PASSWORD
from tests.e2e.settings_pages import open_settings, signed_in
from tests.helpers import token_credentials
from tests.oauth.conftest import pkce_pair

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FIREFOX = "5882386c6d801776"
OLDSYNC = "https://identity.mozilla.com/apps/oldsync"
WEBCHANNEL = "urn:ietf:wg:oauth:2.0:oob:oauth-redirect-webchannel"
PASSWORD = "Sync mit Firefox 42"
ENGINES = ["addons", "bookmarks", "history", "passwords", "prefs", "tabs"]

# Firefox's side: answers as FxAccountsWebChannel does, records what the page sent.
CHROME_SIDE = """
(() => {
  const config = %s;
  window.addEventListener("WebChannelMessageToChrome", (event) => {
    const raw = event.detail;
    const detail = typeof raw === "string" ? JSON.parse(raw) : raw;
    window.recordWebChannel({ isString: typeof raw === "string", id: detail.id, ...detail.message });
    const { command, messageId } = detail.message;
    const answers = {
      "fxaccounts:fxa_status": { signedInUser: config.signedInUser, clientId: "%s",
        capabilities: { multiService: true, pairing: false, choose_what_to_sync: true,
                        keys_optional: true, can_link_account_uid: true, engines: config.engines } },
      "fxaccounts:can_link_account": { ok: config.canLink },
      "fxaccounts:login": { ok: true },
      "fxaccounts:oauth_login": { ok: true },
      "fxaccounts:oauth_flow_begin": config.flowBegin,
    };
    if (!(command in answers) || config.silent) return;
    setTimeout(() => window.dispatchEvent(new CustomEvent("WebChannelMessageToContent", {
      detail: { id: "account_updates", message: { command, messageId, data: answers[command] } },
    })), 10);
  });
})();
"""


@pytest.fixture(autouse=True)
def first_party_clients():
    """Firefox's client as oauth 0003 registers it (transactional tests empty the tables)."""
    migration = importlib.import_module("oauth.migrations.0003_first_party_clients")
    migration.add_clients(apps, None)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def as_firefox(page, *, signed_in_user=None, can_link=True, silent=False, flow_begin=None):
    """Play Firefox in this page (and the pages it goes on to); returns the messages it gets."""
    config = {"signedInUser": signed_in_user, "engines": ENGINES, "canLink": can_link, "silent": silent,
              "flowBegin": flow_begin}
    messages = []
    page.expose_function("recordWebChannel", lambda message: messages.append(message))
    page.add_init_script(CHROME_SIDE % (json.dumps(config), FIREFOX))
    return messages


def sent(messages, command=None):
    return [m for m in messages if command is None or m["command"] == command]


def wait_sent(page, messages, command):
    """The first `command` the page sent, once the recording (asynchronous) has it."""
    for _ in range(50):
        if sent(messages, command):
            return sent(messages, command)[0]
        page.wait_for_timeout(100)
    raise AssertionError(f"the page never sent {command}")


def firefox_flow(stack):
    """What Firefox's beginOAuthFlow makes and opens: the URL, and what it keeps to itself."""
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    verifier, challenge = pkce_pair()
    state = b64url(secrets.token_bytes(16))
    query = {"context": "oauth_webchannel_v1", "service": "sync", "action": "email",
             "entrypoint": "preferences", "client_id": FIREFOX, "response_type": "code",
             "access_type": "offline", "scope": f"profile {OLDSYNC}", "state": state,
             "code_challenge": challenge, "code_challenge_method": "S256",
             "keys_jwk": b64url(key.export_public().encode())}
    return f"{stack.url}/?{urlencode(query)}", key, verifier, state


def submit_signup(page):
    page.fill("#new-password", PASSWORD)
    page.fill("#confirm-password", PASSWORD)
    page.fill("#age", "30")
    page.click("#signup-form [type=submit]")


def ready(page):
    page.locator("body[data-ready]").wait_for(state="attached")


def account_kb(email, password):
    """kB as onepw.md §3 has the server hold it wrapped: unwrapped here with the password (v1)."""
    account = Account.objects.get(normalized_email=email.lower())
    stretched = onepw.quick_stretch_v1(account.email, password)
    big = onepw.big_stretch(onepw.auth_pw(stretched), bytes.fromhex(account.auth_salt))
    wrap_kb = onepw.xor(bytes.fromhex(account.wrap_wrap_kb), onepw.wrapwrap_key(big))
    return account, onepw.xor(wrap_kb, onepw.unwrap_bkey(stretched))


def oldsync_key(kb, timestamp):
    key = HKDF(hashes.SHA256(), 64, None, b"identity.mozilla.com/picl/v1/oldsync").derive(kb)
    return {"kty": "oct", "scope": OLDSYNC, "k": b64url(key),
            "kid": f"{timestamp}-{b64url(hashlib.sha256(kb).digest()[:16])}"}


def redeem_as_firefox(stack, session_token, code, verifier, key):
    token_id = token_credentials(session_token, "sessionToken")[0]
    response = requests.post(f"{stack.url}/v1/oauth/token", json={
        "grant_type": "authorization_code", "client_id": FIREFOX, "code": code,
        "code_verifier": verifier}, headers={"Authorization": f"Bearer fxs_{token_id}"}, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    opened = jwe.JWE()
    opened.deserialize(body["keys_jwe"], key=key)
    return body, json.loads(opened.payload)


def test_sign_up_for_sync_over_the_webchannel(live_stack, browser_page):
    page, email = browser_page, f"e2e.firefox-{uuid.uuid4().hex[:10]}@example.com"
    messages = as_firefox(page)
    url, key, verifier, state = firefox_flow(live_stack)
    page.goto(url)
    ready(page)
    assert [m["command"] for m in sent(messages)][:2] == ["fxaccounts:fxa_status", "fxaccounts:loaded"]
    assert all(m["isString"] and m["id"] == "account_updates" for m in sent(messages))
    assert sent(messages, "fxaccounts:fxa_status")[0]["data"] == {
        "service": "sync", "isPairing": False, "context": "oauth_webchannel_v1"}
    page.fill("#email", email)
    page.click("#email-form [type=submit]")
    page.wait_for_url("**/signup?*")
    ready(page)
    # Choose what to sync: the engines Firefox offered; history declined.
    engines = page.locator("#sync-engines label:visible input")
    assert sorted(engines.evaluate_all("inputs => inputs.map(i => i.value)")) == sorted(ENGINES)
    page.uncheck("#sync-engines input[value=history]")
    screenshot(page, "signup-sync-choose-engines")
    submit_signup(page)
    page.wait_for_url("**/confirm_signup_code?*")
    ready(page)
    assert sent(messages, "fxaccounts:can_link_account")[0]["data"] == {"email": email}
    login = sent(messages, "fxaccounts:login")[0]["data"]
    assert login["email"] == email and login["verified"] is False and len(login["sessionToken"]) == 64
    choice = login["services"]["sync"]
    assert sorted(choice["offeredEngines"]) == ENGINES and choice["declinedEngines"] == ["history"]
    assert "keyFetchToken" not in login and "unwrapBKey" not in login
    page.fill("#code", live_stack.smtp.latest_code(email, "X-Verify-Short-Code"))
    page.click("#code-form [type=submit]")
    page.wait_for_url("**/signup_confirmed_sync?*")
    oauth_login = sent(messages, "fxaccounts:oauth_login")[0]["data"]
    assert oauth_login["state"] == state and oauth_login["redirect"] == WEBCHANNEL
    assert oauth_login["action"] == "signup"
    assert oauth_login["declinedSyncEngines"] == ["history"]
    body, keys = redeem_as_firefox(live_stack, login["sessionToken"], oauth_login["code"], verifier, key)
    assert body["scope"] == f"profile {OLDSYNC}"
    account, kb = account_kb(email, PASSWORD)
    assert keys == {OLDSYNC: oldsync_key(kb, account.verifier_set_at)}
    # The keys were made in the page: nothing of them is left in its storage.
    assert page.evaluate("Object.keys(sessionStorage)") == []
    # Upstream's landing of a Sync sign-up: Sync's preferences, or on to another device.
    ready(page)
    expect(page.locator("h1")).to_have_text("Sync is turned on")
    screenshot(page, "signup-confirmed-sync")
    page.click("[data-manage-sync]")
    assert wait_sent(page, messages, "fxaccounts:sync_preferences")["data"] == {}
    page.click("[data-add-device]")
    page.wait_for_url("**/connect_another_device?*context=oauth_webchannel_v1*")


def test_sign_in_prefers_firefox_user_and_asks_for_the_password_for_keys(live_stack, browser_page):
    """Firefox is signed in already: the page offers that account, and since Sync needs kB the
    password is asked again before the code goes to Firefox."""
    page, email = browser_page, f"e2e.firefox-in-{uuid.uuid4().hex[:10]}@example.com"
    created = requests.post(f"{live_stack.url}/v1/account/create", json={
        "email": email, "authPW": onepw.auth_pw(onepw.quick_stretch_v1(email, PASSWORD)).hex()},
        timeout=60).json()
    requests.post(f"{live_stack.url}/v1/recovery_email/verify_code", json={
        "uid": created["uid"], "code": Account.objects.get(uid=created["uid"]).email_code}, timeout=30)
    messages = as_firefox(page, signed_in_user={"email": email, "uid": created["uid"],
                                     "sessionToken": created["sessionToken"], "verified": True})
    url, key, verifier, state = firefox_flow(live_stack)
    page.goto(url)
    ready(page)
    expect(page.locator("#continue-as [data-account-email]")).to_have_text(email)
    page.click("#continue-button")
    page.wait_for_url("**/oauth/signin?*")
    ready(page)
    page.fill("#password", PASSWORD)
    page.click("#signin-form [type=submit]")
    # A sign-in this soon after sign-up needs no code here; otherwise the code step comes first.
    page.wait_for_url(re.compile(r"/(signin_token_code|connect_another_device)\?"))
    login = sent(messages, "fxaccounts:login")[0]["data"]
    assert login["uid"] == created["uid"] and login["sessionToken"] != created["sessionToken"]
    assert sorted(login["services"]["sync"]["offeredEngines"]) == ENGINES
    assert login["services"]["sync"]["declinedEngines"] == []
    if "/signin_token_code" in page.url:
        assert login["verified"] is False
        ready(page)
        page.fill("#code", live_stack.smtp.latest_code(email, "X-Signin-Verify-Code"))
        page.click("#code-form [type=submit]")
    page.wait_for_url("**/connect_another_device?*showSuccessMessage=true*")
    oauth_login = sent(messages, "fxaccounts:oauth_login")[0]["data"]
    assert oauth_login["action"] == "signin" and oauth_login["state"] == state
    # Firefox is signed in: the banner, and on to another device on request.
    ready(page)
    expect(page.locator('[data-banner="signed-in"]')).to_be_visible()
    expect(page.locator('[data-state="signed-in"]')).to_be_visible()
    expect(page.locator("[data-steps]")).to_be_hidden()
    page.click("[data-show-steps]")
    expect(page.locator("[data-steps] code[data-origin]")).to_have_text(live_stack.url)
    screenshot(page, "connect-another-device-signed-in")
    _, keys = redeem_as_firefox(live_stack, login["sessionToken"], oauth_login["code"], verifier, key)
    account, kb = account_kb(email, PASSWORD)
    assert keys == {OLDSYNC: oldsync_key(kb, account.verifier_set_at)}


def test_firefox_refusing_the_account_stops_the_sign_in(live_stack, browser_page):
    page, email = browser_page, f"e2e.firefox-no-{uuid.uuid4().hex[:10]}@example.com"
    messages = as_firefox(page, can_link=False)
    url, *_ = firefox_flow(live_stack)
    page.goto(url + "&" + urlencode({"email": email}))
    ready(page)
    page.click("#email-form [type=submit]")
    page.wait_for_url("**/signup?*")
    ready(page)
    submit_signup(page)
    expect(page.locator("#new-password-error, .field-error:visible").first).to_contain_text("Firefox")
    assert not Account.objects.filter(normalized_email=email).exists()
    assert sent(messages, "fxaccounts:login") == []


def test_outside_firefox_the_status_times_out_and_nothing_else_is_sent(live_stack, browser_page):
    page = browser_page
    messages = as_firefox(page, silent=True)
    url, *_ = firefox_flow(live_stack)
    page.goto(url)
    ready(page)
    assert [m["command"] for m in sent(messages)] == ["fxaccounts:fxa_status"]
    expect(page.locator("#email-form")).to_be_visible()


def test_settings_tell_firefox_of_profile_changes_sign_out_and_deletion(live_stack, browser_page):
    """The settings pages, which Firefox opens without a context: profile:change after a new
    display name, fxaccounts:logout on sign out, fxaccounts:delete when the account goes."""
    page = browser_page
    messages = as_firefox(page)
    email, _ = signed_in(page, live_stack, "e2e.firefox.settings")
    uid = Account.objects.get(normalized_email=email.lower()).uid
    open_settings(page, live_stack, "/settings/display_name")
    page.fill("#display-name", "Ada")
    page.click("#display-name-form [type=submit]")
    expect(page.locator("[data-toast]")).to_have_text("Display name saved.")
    assert [m["data"] for m in sent(messages, "profile:change")] == [{"uid": uid}]

    open_settings(page, live_stack, "/settings/delete_account")
    for box in page.locator("#acknowledge-form input[type=checkbox]").all():
        box.check()
    page.click("#acknowledge-form [type=submit]")
    page.fill("#password", SETTINGS_PASSWORD)
    page.click("#delete-form [type=submit]")
    page.wait_for_url("**/account_deleted")
    assert [m["data"] for m in sent(messages, "fxaccounts:delete")] == [{"uid": uid}]
    assert sent(messages, "fxaccounts:logout") == []


def test_settings_sign_out_tells_firefox(live_stack, browser_page):
    page = browser_page
    messages = as_firefox(page)
    email, _ = signed_in(page, live_stack, "e2e.firefox.signout")
    uid = Account.objects.get(normalized_email=email.lower()).uid
    page.click("#signout-form [type=submit]")
    page.wait_for_url(f"{live_stack.url}/")
    assert [m["data"] for m in sent(messages, "fxaccounts:logout")] == [{"uid": uid}]


def test_older_fx_desktop_v3_gets_the_key_fetch_token_and_unwrap_key(live_stack, browser_page):
    """context=fx_desktop_v3 (no OAuth): Firefox fetches kB itself, so fxaccounts:login carries
    keyFetchToken and unwrapBKey, and is sent again once the code confirmed the account."""
    page, email = browser_page, f"e2e.firefox-v3-{uuid.uuid4().hex[:10]}@example.com"
    messages = as_firefox(page)
    page.goto(f"{live_stack.url}/?" + urlencode({"context": "fx_desktop_v3", "service": "sync",
                                                  "email": email}))
    ready(page)
    page.click("#email-form [type=submit]")
    page.wait_for_url("**/signup?*")
    ready(page)
    submit_signup(page)
    page.wait_for_url("**/confirm_signup_code?*")
    ready(page)
    page.fill("#code", live_stack.smtp.latest_code(email, "X-Verify-Short-Code"))
    page.click("#code-form [type=submit]")
    page.wait_for_url("**/signup_confirmed_sync?*")
    first, again = [m["data"] for m in sent(messages, "fxaccounts:login")]
    assert first["verified"] is False and again["verified"] is True
    assert sent(messages, "fxaccounts:oauth_login") == []
    # What Firefox does with them: /account/keys, then kB = wrapKb ⊕ unwrapBKey.
    token = bytes.fromhex(first["keyFetchToken"])
    keys = onepw.derive_token(token, "keyFetchToken")
    response = requests.get(f"{live_stack.url}/v1/account/keys", timeout=30,
                            headers={"Authorization": f"Bearer fxk_{keys.token_id.hex()}"})
    assert response.status_code == 200, response.text
    _, wrap_kb = onepw.unbundle_keys(keys.bundle_key, bytes.fromhex(response.json()["bundle"]))
    assert onepw.xor(wrap_kb, bytes.fromhex(first["unwrapBKey"])) == account_kb(email, PASSWORD)[1]


def test_connect_another_device_signs_in_a_firefox_that_is_not(live_stack, browser_page):
    """Firefox opens /connect_another_device while signed out: the page asks it for a fresh
    flow (oauth_flow_begin) and starts Sync's sign-in with it."""
    page = browser_page
    fresh = {"client_id": FIREFOX, "action": "email", "response_type": "code", "access_type": "offline",
             "scope": f"profile {OLDSYNC}", "state": "fresh-state", "code_challenge": "c" * 43,
             "code_challenge_method": "S256", "keys_jwk": b64url(b'{"kty":"EC"}')}
    messages = as_firefox(page, flow_begin=fresh)
    page.goto(f"{live_stack.url}/connect_another_device?context=oauth_webchannel_v1&service=sync&entrypoint=preferences")
    ready(page)
    expect(page.locator('[data-state="sign-in-here"]')).to_be_visible()
    expect(page.locator('[data-state="elsewhere"]')).to_be_hidden()
    screenshot(page, "connect-another-device-sign-in")
    page.click("[data-sign-in]")
    page.wait_for_url("**/?*state=fresh-state*")
    assert sent(messages, "fxaccounts:oauth_flow_begin")[0]["data"] == {"scopes": ["profile", OLDSYNC]}
    query = dict(parse_qsl(urlsplit(page.url).query))
    assert query == {**fresh, "context": "oauth_webchannel_v1", "service": "sync",
                     "entrypoint": "fxa_connect_another_device"}
    ready(page)


def test_connect_another_device_outside_firefox_tells_how_to_set_it_up(live_stack, browser_page):
    page = browser_page
    page.goto(f"{live_stack.url}/connect_another_device?context=oauth_webchannel_v1&service=sync")
    ready(page)
    expect(page.locator('[data-state="elsewhere"]')).to_be_visible()
    expect(page.locator("[data-steps] code[data-origin]")).to_have_text(live_stack.url)
    expect(page.locator('[data-state="sign-in-here"]')).to_be_hidden()
    page.goto(f"{live_stack.url}/signup_confirmed_sync?service=sync")
    ready(page)
    expect(page.locator("[data-outside-firefox] a")).to_have_attribute("href", "/settings")
    expect(page.locator("[data-add-device]")).to_be_hidden()
