"""The settings pages for emails and the account recovery key in Chromium against the live stack
(gunicorn + Celery + SMTP sink): secondary addresses added, confirmed, made primary and removed
with the codes read from the mail; a recovery key made in the browser, replaced, removed, and used
from the front door to reset the password with kB kept (checked with PyFxA). Each change is checked
on the server over the API, and every change passes the MFA step-up with the mailed code.

Screenshots (1280 and 375 px) land in artifacts/screenshots/settings_*.
"""
import re
from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import expect

from accounts.models import RecoveryKey
from tests.e2e.browser import SCREENSHOTS, assert_password_not_sent
from tests.e2e.settings_pages import PASSWORD, open_settings, signed_in
from tests.e2e.test_pages_reset_password import (
    NEW_PASSWORD, enter_code, kb_of, login_errno, request_code, set_new_password,
)
from tests.e2e.test_pages_signup_signin import arrive, page_errors, unique_email
from tests.helpers import token_credentials

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STEP_UP_CODE = "X-Account-Change-Verify-Code"
SECONDARY_CODE = "X-Verify-Code"


def screenshot(page, name):
    """``<name>_1280.png`` and ``<name>_375.png`` (the settings pages' names): the page as it is now."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for width, height in ((1280, 800), (375, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"{name}_{width}.png"), full_page=True)
    page.set_viewport_size(original)


def session_get(stack, path, token):
    response = requests.get(f"{stack.url}/v1{path}", timeout=30, headers={
        "Authorization": f"Bearer fxs_{token_credentials(token, 'sessionToken')[0]}",
    })
    assert response.status_code == 200, response.text
    return response.json()


def session_post(stack, path, body, token):
    response = requests.post(f"{stack.url}/v1{path}", json=body, timeout=30, headers={
        "Authorization": f"Bearer fxs_{token_credentials(token, 'sessionToken')[0]}",
    })
    assert response.status_code == 200, response.text
    return response.json()


def emails_on_server(stack, client):
    return session_get(stack, "/recovery_emails", client.token)


def pass_step_up(page, stack, mailbox, *, after):
    """The step-up dialog is open: type the code mailed to ``mailbox`` (the ``after``+1-th)."""
    dialog = page.locator("[data-step-up]")
    expect(dialog).to_be_visible()
    page.fill("#step-up-code", stack.smtp.latest_code(mailbox, STEP_UP_CODE, after=after))
    page.click("#step-up-form [type=submit]")
    expect(dialog).to_be_hidden()


def row(page, email):
    return page.locator(f'.email-row[data-email="{email}"]')


def add_address(page, address):
    page.fill("#new-email", address)
    page.click("#add-email-form [type=submit]")


# --- emails ---------------------------------------------------------------------------------------

def test_add_confirm_make_primary_and_remove_secondary_emails(live_stack, browser_page):
    page = browser_page
    email, client = signed_in(page, live_stack, "e2e.settings.emails")
    second, third = unique_email("e2e.second"), unique_email("e2e.third")

    open_settings(page, live_stack, "/settings/emails")
    expect(page.locator("[data-primary-email]")).to_have_text(email, ignore_case=True)
    expect(page.locator("[data-no-secondary]")).to_be_visible()
    screenshot(page, "settings_emails")

    # A bad address is refused in the page; the primary one by the server, in words.
    add_address(page, "not-an-address")
    expect(page.locator("#new-email-error")).to_have_text("Enter a valid email address.")
    add_address(page, email)
    pass_step_up(page, live_stack, email, after=0)
    expect(page.locator("#new-email-error")).to_have_text("This is already your primary email address.")

    # Add: the step-up token is held, so no second code is asked for; the code page follows.
    add_address(page, second)
    arrive(page, f"**/settings/emails/verify?email={quote(second, safe='')}")
    expect(page.locator("[data-email]")).to_have_text(second)
    assert emails_on_server(live_stack, client)[1] == {"email": second, "isPrimary": False, "verified": False}
    assert live_stack.smtp.count(email, STEP_UP_CODE) == 1
    screenshot(page, "settings_emails_verify")

    page.fill("#code", "000000")
    page.click("#code-form [type=submit]")
    expect(page.locator("#code-error")).to_contain_text("wrong or has expired")
    screenshot(page, "settings_emails_verify_error")
    page.fill("#code", live_stack.smtp.latest_code(second, SECONDARY_CODE))
    page.click("#code-form [type=submit]")
    arrive(page, re.compile(r"/settings/emails$"))
    expect(page.locator("[data-toast]")).to_have_text(f"{second} is confirmed.")
    expect(row(page, second)).to_have_attribute("data-state", "verified")
    assert emails_on_server(live_stack, client)[1] == {"email": second, "isPrimary": False, "verified": True}

    # An address left unconfirmed: its code again, from the list.
    add_address(page, third)
    arrive(page, "**/settings/emails/verify?*")
    page.click("text=Cancel")
    arrive(page, re.compile(r"/settings/emails$"))
    unconfirmed = row(page, third)
    expect(unconfirmed).to_have_attribute("data-state", "unverified")
    expect(unconfirmed.locator("[data-make-primary]")).to_be_hidden()
    expect(unconfirmed.locator("[data-enter-code]")).to_have_attribute(
        "href", f"/settings/emails/verify?email={quote(third, safe='')}")
    expect(row(page, second).locator("[data-resend]")).to_be_hidden()
    screenshot(page, "settings_emails_list")
    unconfirmed.locator("[data-resend]").click()
    expect(page.locator("[data-toast]")).to_have_text(f"A new code is on its way to {third}.")
    first_code = live_stack.smtp.latest_code(third, SECONDARY_CODE)
    assert live_stack.smtp.latest_code(third, SECONDARY_CODE, after=1) == first_code  # the same code again
    unconfirmed.locator("[data-remove]").click()
    expect(unconfirmed).to_have_count(0)
    assert [entry["email"] for entry in emails_on_server(live_stack, client)] == [email, second]

    # Make primary, then the old primary (now a secondary address) goes.
    row(page, second).locator("[data-make-primary]").click()
    expect(page.locator("[data-primary-email]")).to_have_text(second)
    expect(page.locator("[data-toast]")).to_have_text(f"{second} is now your primary email address.")
    assert emails_on_server(live_stack, client) == [
        {"email": second, "isPrimary": True, "verified": True},
        {"email": email, "isPrimary": False, "verified": True},
    ]
    row(page, email).locator("[data-remove]").click()
    expect(row(page, email)).to_have_count(0)
    expect(page.locator("[data-no-secondary]")).to_be_visible()
    assert emails_on_server(live_stack, client) == [{"email": second, "isPrimary": True, "verified": True}]

    # The page shows the server's state after a reload, and the one step-up served every change.
    open_settings(page, live_stack, "/settings/emails")
    expect(page.locator("[data-primary-email]")).to_have_text(second)
    expect(page.locator(".email-list .email-row")).to_have_count(0)
    assert live_stack.smtp.count(email, STEP_UP_CODE) == 1
    assert not page_errors(page)


def test_a_change_made_elsewhere_shows_on_the_next_load(live_stack, browser_page):
    page = browser_page
    email, client = signed_in(page, live_stack, "e2e.settings.emails")
    other = unique_email("e2e.other")
    session_post(live_stack, "/recovery_email", {"email": other}, client.token)
    open_settings(page, live_stack, "/settings/emails")
    expect(row(page, other)).to_have_attribute("data-state", "unverified")
    # A session destroyed elsewhere signs the page out on its next call.
    account = page.evaluate("JSON.parse(localStorage.getItem('fxa.account'))")
    session_post(live_stack, "/session/destroy", {}, account["sessionToken"])
    page.goto(live_stack.url + "/settings/emails")
    page.wait_for_url(re.compile(r"/\?redirect_to=%2Fsettings%2Femails"))


# --- account recovery key ------------------------------------------------------------------------

def create_key(page, stack, email, *, step_up_after=None, shots=None):
    """From the status step: the password, the step-up if asked, then the key shown; its text."""
    page.fill("#password", PASSWORD)
    if shots:
        screenshot(page, f"{shots}_password")
    page.click("#password-form [type=submit]")
    if step_up_after is not None:
        pass_step_up(page, stack, email, after=step_up_after)
    expect(page.locator("#key-step")).to_be_visible(timeout=60000)
    text = page.locator("[data-recovery-key]").text_content()
    assert re.fullmatch(r"(?:[0-9A-HJKMNP-TV-Z]{4} ){7}[0-9A-HJKMNP-TV-Z]{4}", text), text
    return text


def key_exists(stack, client):
    return session_post(stack, "/recoveryKey/exists", {}, client.token)["exists"]


def test_create_replace_and_remove_the_recovery_key(live_stack, browser_page):
    page = browser_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_stack.url)
    email, client = signed_in(page, live_stack, "e2e.settings.key")
    open_settings(page, live_stack, "/settings/account_recovery")
    expect(page.locator(".recovery-status")).to_have_attribute("data-key-state", "none")
    expect(page.locator("[data-create]")).to_be_visible()
    expect(page.locator("[data-remove]")).to_be_hidden()
    screenshot(page, "settings_account_recovery")

    page.click("[data-create]")
    page.fill("#password", "not the password")
    page.click("#password-form [type=submit]")
    expect(page.locator("#password-error")).to_have_text("Incorrect password.")
    first = create_key(page, live_stack, email, step_up_after=0, shots="settings_account_recovery")
    assert key_exists(live_stack, client)
    screenshot(page, "settings_account_recovery_key")

    # Copy, download and print give the key as shown.
    page.click("[data-copy]")
    expect(page.locator("[data-toast]")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == first.replace(" ", "")
    with page.expect_download() as download:
        page.click("[data-download]")
    assert download.value.suggested_filename == "mozilla-account-recovery-key.txt"
    assert first in open(download.value.path(), encoding="utf-8").read()
    page.emulate_media(media="print")
    expect(page.locator("[data-recovery-key]")).to_be_visible()
    expect(page.locator("#hint-form")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    screenshot(page, "settings_account_recovery_print")
    page.emulate_media(media="screen")

    page.fill("#hint", "The blue notebook")
    page.click("#hint-form [type=submit]")
    expect(page.locator(".recovery-status")).to_have_attribute("data-key-state", "enabled")
    expect(page.locator("[data-hint]")).to_have_text("The blue notebook")
    expect(page.locator("[data-recovery-key]")).to_have_text("")
    assert session_get(live_stack, "/recoveryKey/hint", client.token) == {"hint": "The blue notebook"}
    screenshot(page, "settings_account_recovery_enabled")

    # Replace: a new key and new sealed data (the held step-up token serves).
    stored = RecoveryKey.objects.get(account__email__iexact=email).recovery_data
    page.click("[data-replace]")
    expect(page.locator("[data-replacing]")).to_be_visible()
    second = create_key(page, live_stack, email)
    assert second != first
    assert RecoveryKey.objects.get(account__email__iexact=email).recovery_data != stored
    page.click("[data-finish]")
    expect(page.locator(".recovery-status")).to_have_attribute("data-key-state", "enabled")
    assert live_stack.smtp.wait_for(email, "postChangeAccountRecovery")

    # Remove, behind its confirmation.
    page.click("[data-remove]")
    expect(page.locator("#remove-step")).to_be_visible()
    screenshot(page, "settings_account_recovery_remove")
    page.click("#remove-form [type=submit]")
    expect(page.locator(".recovery-status")).to_have_attribute("data-key-state", "none")
    expect(page.locator("[data-toast]")).to_have_text("Your account recovery key was removed.")
    assert not key_exists(live_stack, client)
    open_settings(page, live_stack, "/settings/account_recovery")
    expect(page.locator(".recovery-status")).to_have_attribute("data-key-state", "none")

    # The re-authentication kept the page's session verified, and the password never left the page.
    account = page.evaluate("JSON.parse(localStorage.getItem('fxa.account'))")
    assert session_get(live_stack, "/session/status", account["sessionToken"])["state"] == "verified"
    assert_password_not_sent(page.requests, PASSWORD)
    assert live_stack.smtp.count(email, STEP_UP_CODE) == 1
    assert not page_errors(page)


def test_a_key_made_in_settings_resets_the_password_with_kb_kept(live_stack, browser_page):
    page = browser_page
    page.live_stack = live_stack
    email, client = signed_in(page, live_stack, "e2e.settings.key")
    kb = kb_of(live_stack, email, PASSWORD)
    open_settings(page, live_stack, "/settings/account_recovery")
    page.click("[data-create]")
    key = create_key(page, live_stack, email, step_up_after=0)
    page.click("[data-finish]")
    expect(page.locator(".recovery-status")).to_have_attribute("data-key-state", "enabled")

    # The front door's reset, with the key as the settings page showed it.
    enter_code(page, request_code(page, live_stack, email))
    arrive(page, "**/account_recovery_confirm_key?*")
    page.fill("#recovery-key", key)
    page.click("#recovery-key-form button[type=submit]")
    arrive(page, "**/account_recovery_reset_password?*")
    expect(page.locator("#key-kept")).to_be_visible()
    set_new_password(page)
    arrive(page, "**/reset_password_with_recovery_key_verified?*")

    assert kb_of(live_stack, email, NEW_PASSWORD) == kb, "the key made in settings keeps kB"
    assert login_errno(live_stack, email, PASSWORD) == 103
    assert_password_not_sent(page.requests, PASSWORD)
    assert_password_not_sent(page.requests, NEW_PASSWORD)
