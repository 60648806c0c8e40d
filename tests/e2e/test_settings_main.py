"""The settings main page and its own actions in Debian's Chromium against the live stack: the
sections under their anchors, connected services (a PyFxA device signed out from the page), the
data collection toggle read back by the API and the profile server, recent activity, and the
deletion of the account through to the goodbye page.

Screenshots (1280 and 375 px) land in artifacts/screenshots/: settings_main,
settings_connected_services, settings_connected_dialog, settings_recent_activity,
settings_delete_account (both steps) and settings_account_deleted."""
import json
import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from django.utils import timezone
from fxa.core import Client
from fxa.errors import ClientError
from playwright.sync_api import expect

from accounts import hashing, onepw
from accounts.models import Account
from oauth import crypto
from oauth.models import AccessToken
from tests import factories
from tests.e2e.browser import assert_password_not_sent, screenshot
from tests.e2e.settings_pages import PASSWORD, open_settings, signed_in
from tests.e2e.test_pages_signup_signin import (
    arrive, expect_settings, page_errors, ready, start_signin, submit_password, v1_account,
)
from tests.helpers import token_credentials

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECTIONS = ["profile", "security", "connected-services", "linked-accounts", "data-collection",
            "delete-account"]


def held_session(page):
    return page.evaluate("() => JSON.parse(localStorage.getItem('fxa.account'))")


def reload(page):
    page.reload()
    ready(page)


def pyfxa_request(session, method, path, body=None):
    return session.apiclient.request(method, path, json=body, auth=session._auth)


def session_errno(session):
    with pytest.raises(ClientError) as failure:
        session.check_session_status()
    return failure.value.errno


def metrics_enabled(stack, session, account_uid):
    """metricsEnabled as /v1/account/profile (the PyFxA session) and the profile server (an OAuth
    access token of a trusted client) answer it."""
    from_account = pyfxa_request(session, "GET", "/account/profile")["metricsEnabled"]
    client = factories.oauth_client(trusted=True, scope="")[0]
    value = crypto.random_hex()
    AccessToken.objects.create(token_id=hashing.digest(hashing.OAUTH_TOKEN, value), application=client,
                               account_id=account_uid, scope="profile",
                               expires=timezone.now() + timedelta(hours=1))
    profile = requests.get(f"{stack.url}/v1/profile", headers={"Authorization": f"Bearer {value}"},
                           timeout=30)
    assert profile.status_code == 200, profile.text
    return from_account, profile.json()["metricsEnabled"]


def test_main_page_sections_and_sign_out(live_stack, browser_page):
    page = browser_page
    email, session = signed_in(page, live_stack, "e2e.settings.main")
    # A name set elsewhere (the profile server's) shows on the next load.
    Account.objects.filter(uid=session.uid).update(display_name="Ada Lovelace")
    reload(page)
    expect(page.locator("[data-display-name]")).to_have_text("Ada Lovelace")
    for anchor in SECTIONS:
        expect(page.locator(f"section#{anchor}")).to_be_visible()
    expect(page.locator("[data-primary-email]")).to_have_text(email, ignore_case=True)
    expect(page.locator("[data-password-state]")).to_contain_text("Created")
    expect(page.locator("[data-password-action]")).to_have_attribute("href", "/settings/change_password")
    expect(page.locator("[data-two-step-state]")).to_have_text("Off")
    expect(page.locator("[data-recovery-key-state]")).to_have_text("Not set")
    expect(page.locator("[data-backup-codes-low]")).to_be_hidden()
    expect(page.locator("#linked-accounts")).to_contain_text("no linked accounts")
    for href in ("/settings/avatar", "/settings/display_name", "/settings/emails",
                 "/settings/two_step_authentication", "/settings/account_recovery",
                 "/settings/recent_activity", "/settings/delete_account"):
        expect(page.locator(f"a[href='{href}']").first).to_be_attached()
    # The browser's own session is listed as this device.
    current = page.locator(".connected-item", has=page.locator("[data-current]:visible"))
    expect(current).to_have_count(1)
    screenshot(page, "settings_main")
    # An anchor from Firefox or a mail lands on its section.
    open_settings(page, live_stack, "/settings#connected-services")
    expect(page.locator("#connected-services")).to_be_in_viewport()
    assert not page_errors(page)

    page.click("#signout-form [type=submit]")
    arrive(page, live_stack.url + "/")
    assert held_session(page) is None
    page.goto(live_stack.url + "/settings")
    arrive(page, re.compile(r"/\?redirect_to=%2Fsettings$"))


def test_sign_out_a_pyfxa_device_from_connected_services(live_stack, browser_page):
    page = browser_page
    _, device_session = signed_in(page, live_stack, "e2e.settings.devices")
    pyfxa_request(device_session, "POST", "/account/device", {"name": "Phone of the test", "type": "mobile"})
    reload(page)
    item = page.locator(".connected-item", has_text="Phone of the test")
    expect(item).to_have_attribute("data-kind", "device")
    expect(item.locator("[data-meta]")).to_contain_text("Phone")
    screenshot(page, "settings_connected_services")

    # A Sync device: the page asks why first; cancelling keeps it.
    item.locator("[data-sign-out]").click()
    dialog = page.locator("[data-device-reason]")
    expect(dialog).to_be_visible()
    page.click("#device-reason-form [type=submit]")
    expect(dialog.locator("[data-form-error]")).to_have_text("Choose a reason to continue.")
    screenshot(page, "settings_connected_dialog")
    page.click("[data-device-reason-cancel]")
    expect(dialog).to_be_hidden()
    assert device_session.check_session_status() is None

    item.locator("[data-sign-out]").click()
    page.check("#reason-lost")
    with page.expect_response("**/v1/account/attached_client/destroy") as answer:
        page.click("#device-reason-form [type=submit]")
    assert answer.value.status == 200
    expect(item).to_have_count(0)
    expect(page.locator("[data-toast]")).to_have_text("Signed out of Phone of the test.")
    expect(page.locator("[data-connected-advice]")).to_be_visible()
    assert session_errno(device_session) == 110
    # The page shows the server's list on the next load too.
    reload(page)
    expect(page.locator(".connected-item").first).to_be_visible()
    expect(page.locator(".connected-item", has_text="Phone of the test")).to_have_count(0)

    # Signing out this browser's own session signs the page out.
    token = held_session(page)["sessionToken"]
    page.locator(".connected-item", has=page.locator("[data-current]:visible")).locator("[data-sign-out]").click()
    arrive(page, live_stack.url + "/")
    assert held_session(page) is None
    gone = requests.get(f"{live_stack.url}/v1/session/status", timeout=30, headers={
        "Authorization": f"Bearer fxs_{token_credentials(token, 'sessionToken')[0]}"})
    assert gone.status_code == 401 and gone.json()["errno"] == 110


def test_a_session_signed_out_from_another_client_ends_the_page(live_stack, browser_page):
    page = browser_page
    _, other = signed_in(page, live_stack, "e2e.settings.elsewhere")
    # The other client (PyFxA) signs the browser out through its own connected-services list.
    clients = pyfxa_request(other, "GET", "/account/attached_clients")
    [browser] = [c for c in clients if c["sessionTokenId"] and not c["isCurrentSession"]]
    pyfxa_request(other, "POST", "/account/attached_client/destroy", {"sessionTokenId": browser["sessionTokenId"]})
    page.reload()
    arrive(page, re.compile(r"/\?redirect_to=%2Fsettings$"))
    assert held_session(page) is None
    expect(page.locator("#email-form")).to_be_visible()


def test_data_collection_toggle_is_read_back_by_the_api_and_the_profile_server(live_stack, browser_page):
    page = browser_page
    _, session = signed_in(page, live_stack, "e2e.settings.metrics")
    toggle = page.locator("[data-metrics-toggle]")
    expect(toggle).to_have_attribute("aria-checked", "true")
    assert metrics_enabled(live_stack, session, session.uid) == (True, True)

    with page.expect_response("**/v1/account/metrics_opt") as answer:
        toggle.click()
    assert answer.value.request.post_data_json == {"state": "out"}
    expect(toggle).to_have_attribute("aria-checked", "false")
    expect(page.locator("[data-toast]")).to_be_visible()
    assert metrics_enabled(live_stack, session, session.uid) == (False, False)
    reload(page)
    expect(toggle).to_have_attribute("aria-checked", "false")

    # Back on, by keyboard.
    with page.expect_response("**/v1/account/metrics_opt") as answer:
        toggle.focus()
        page.keyboard.press("Space")
    assert answer.value.request.post_data_json == {"state": "in"}
    expect(toggle).to_have_attribute("aria-checked", "true")
    assert metrics_enabled(live_stack, session, session.uid) == (True, True)


def test_recent_activity_lists_the_sign_in(live_stack, browser_page):
    page = browser_page
    signed_in(page, live_stack, "e2e.settings.activity")
    page.click("a[href='/settings/recent_activity']")
    arrive(page, "**/settings/recent_activity")
    login = page.locator(".activity-item[data-event='account.login']").first
    expect(login.locator("[data-name]")).to_have_text("Signed in")
    expect(login.locator("[data-where]")).to_contain_text("127.0.0.1")
    expect(login.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(page.locator(".activity-item[data-event='account.create']")).to_have_text(re.compile("Account created"))
    screenshot(page, "settings_recent_activity")
    assert not page_errors(page)


def test_delete_account_then_sign_in_fails_with_102(live_stack, browser_page):
    page = browser_page
    email, session = signed_in(page, live_stack, "e2e.settings.delete")
    pyfxa_request(session, "POST", "/account/device", {"name": "Sync laptop", "type": "desktop"})
    open_settings(page, live_stack, "/settings/delete_account")
    product = page.locator("[data-products] label", has_text="Sync laptop")
    expect(product).to_be_visible()
    page.click("#acknowledge-form [type=submit]")
    expect(page.locator("#acknowledge-form [data-form-error]")).to_have_text("Check every box to continue.")
    screenshot(page, "settings_delete_account")
    for box in page.locator("#acknowledge-form input[type=checkbox]").all():
        box.check()
    page.click("#acknowledge-form [type=submit]")
    expect(page.locator("#password-step")).to_be_visible()
    page.fill("#password", "not the password")
    page.click("#delete-form [type=submit]")
    expect(page.locator("#password-error")).to_have_text("Incorrect password.")
    screenshot(page, "settings_delete_account_password")

    page.fill("#password", PASSWORD)
    page.click("#delete-form [type=submit]")
    arrive(page, "**/account_deleted")
    assert held_session(page) is None
    expect(page.locator("h1")).to_have_text("Your account is deleted")
    screenshot(page, "settings_account_deleted")
    assert_password_not_sent(page.requests, PASSWORD)
    with pytest.raises(ClientError) as failure:
        Client(server_url=live_stack.url + "/v1", key_stretch_version=2).login(email, PASSWORD)
    assert failure.value.errno == 102
    assert session_errno(session) == 110


def test_delete_a_v1_account_signed_in_with_another_case(live_stack, browser_page):
    """A v1 password is stretched with the sign-up address as typed then: the page retries with
    the address the server names (120), as the sign-in page does."""
    page = browser_page
    email = f"Mixed-{uuid.uuid4().hex[:12]}@Example.com"
    created = v1_account(live_stack, email)
    start_signin(page, live_stack, email.lower())
    submit_password(page)
    expect_settings(page, email)
    open_settings(page, live_stack, "/settings/delete_account")
    for box in page.locator("#acknowledge-form input[type=checkbox]").all():
        box.check()
    page.click("#acknowledge-form [type=submit]")
    page.fill("#password", PASSWORD)
    page.click("#delete-form [type=submit]")
    arrive(page, "**/account_deleted")
    destroys = [json.loads(r["body"]) for r in page.requests
                if r["method"] == "POST" and urlsplit(r["url"]).path == "/v1/account/destroy"]
    assert [body["email"] for body in destroys] == [email.lower(), email]
    assert destroys[-1]["authPW"] == onepw.auth_pw(onepw.quick_stretch_v1(email, PASSWORD)).hex()
    assert not Account.objects.filter(uid=created["uid"]).exists()
    assert_password_not_sent(page.requests, PASSWORD)
