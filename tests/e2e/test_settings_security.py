"""Browser tests of the password and two-step authentication settings pages, against the live
stack: change the password (kB kept, checked with PyFxA), enable TOTP with pyotp codes, sign in
with it, replace the backup codes and the app, turn it off, and the AAL2 gate of /settings."""
import re
import time

import pyotp
import pytest
from fxa.core import Client
from playwright.sync_api import expect

from accounts.models import Account
from accounts.twofactor.models import RecoveryCode, TotpToken
from accounts.twofactor.services.recovery_codes import code_hash
from tests.e2e.browser import SCREENSHOTS, assert_password_not_sent
from tests.e2e.settings_pages import PASSWORD, open_settings, signed_in
from tests.e2e.test_pages_signup_signin import (
    api, arrive, expect_settings, page_errors, pyfxa09_account, sign_out, start_signin,
    submit_password, unique_email,
)
from tests.twofactor.conftest import mid_step

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Blaue Berge 77 ✓"
STEP_UP_CODE = "X-Account-Change-Verify-Code"
SIGNIN_CODE = "X-Signin-Verify-Code"
STEP = 30


def shots(page, name):
    """settings_<page>_1280 and _375: the whole page as it is now, at desktop and phone width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(SCREENSHOTS / f"{name}_{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def answer_step_up(page, stack, email, sent_before):
    """The step-up dialog is open: type the code of the mail it sent."""
    dialog = page.locator("[data-step-up]")
    expect(dialog).to_be_visible()
    page.fill("#step-up-code", stack.smtp.latest_code(email, STEP_UP_CODE, after=sent_before))
    page.click("#step-up-form [type=submit]")
    expect(dialog).to_be_hidden()


def step_ups(stack, email):
    return stack.smtp.count(email, STEP_UP_CODE)


def kb_of(stack, email, password, version):
    """kB as PyFxA unwraps it after signing in with ``password`` (confirming the sign-in by mail)."""
    session = Client(server_url=stack.url + "/v1", key_stretch_version=version).login(
        email, password, keys=True
    )
    if not session.verified:
        session.verify_email_code(stack.smtp.latest_code(
            email, SIGNIN_CODE, after=stack.smtp.count(email, SIGNIN_CODE)
        ))
    return session.fetch_keys()[1]


def sign_in_through_front_door(page, stack, email, password):
    """Email, password, and the emailed code if the server asks for one, back to /settings."""
    sent = stack.smtp.count(email, SIGNIN_CODE)
    start_signin(page, stack, email)
    submit_password(page, password)
    page.wait_for_url(re.compile(r"/(settings|signin_token_code)(\?|$)"))
    if "/signin_token_code" in page.url:
        arrive(page, "**/signin_token_code?*")
        page.fill("#code", stack.smtp.latest_code(email, SIGNIN_CODE, after=sent))
        page.click("#code-form [type=submit]")
    expect_settings(page, email)


def totp_at(secret, steps):
    """The app's code ``steps`` periods from now (the server accepts one period either side, and
    each period's code once)."""
    return pyotp.TOTP(secret).at(time.time() + steps * STEP)


def test_change_password_keeps_kb_and_the_page_signed_in(live_stack, browser_page):
    page = browser_page
    email, _ = signed_in(page, live_stack, "e2e.settings.password")
    kb_before = kb_of(live_stack, email, PASSWORD, 2)
    open_settings(page, live_stack, "/settings/change_password")
    expect(page.locator("[data-password-created]")).to_contain_text("Password created")
    shots(page, "settings_change_password")
    old_token = page.evaluate("JSON.parse(localStorage.getItem('fxa.account')).sessionToken")

    # The front door's rules: a wrong current password and a weak new one are refused in words.
    page.fill("#current-password", PASSWORD)
    page.fill("#new-password", "short")
    page.fill("#confirm-password", "short")
    page.click("#password-form [type=submit]")
    expect(page.locator("#new-password-error")).to_have_text("Use at least 8 characters.")
    expect(page.locator('#new-password-rules [data-rule="length"]')).to_have_attribute("data-state", "unmet")
    page.fill("#new-password", NEW_PASSWORD)
    page.fill("#confirm-password", NEW_PASSWORD)
    page.fill("#current-password", "not the password at all")
    sent = step_ups(live_stack, email)
    page.click("#password-form [type=submit]")
    # The current password is checked first: no code is mailed for a wrong one.
    expect(page.locator("#current-password-error")).to_have_text("Incorrect password.")

    page.fill("#current-password", PASSWORD)
    page.click("#password-form [type=submit]")
    answer_step_up(page, live_stack, email, sent)
    expect(page.locator("[data-toast]")).to_have_text("Your password was changed.")
    shots(page, "settings_change_password_done")
    assert step_ups(live_stack, email) == sent + 1

    # The page holds the replacement session (the old one is gone) and stays signed in.
    new_token = page.evaluate("JSON.parse(localStorage.getItem('fxa.account')).sessionToken")
    assert new_token != old_token
    open_settings(page, live_stack, "/settings/change_password")
    expect(page.locator("[data-password-created]")).to_be_visible()
    assert "/settings/change_password" in page.url

    # The new password signs in through the front door; kB is what it was, for v1 and v2 clients.
    page.goto(live_stack.url + "/settings")
    expect_settings(page, email)
    sign_out(page, live_stack)
    sign_in_through_front_door(page, live_stack, email, NEW_PASSWORD)
    assert kb_of(live_stack, email, NEW_PASSWORD, 2) == kb_before
    assert kb_of(live_stack, email, NEW_PASSWORD, 1) == kb_before
    for password in (PASSWORD, NEW_PASSWORD):
        assert_password_not_sent(page.requests, password)
    assert page_errors(page) == []


def test_create_password_for_an_account_without_one(live_stack, browser_page):
    page = browser_page
    email, _ = signed_in(page, live_stack, "e2e.settings.nopassword")
    # As a linked (third-party) account is: no password yet. The change page sends it here.
    uid = page.evaluate("JSON.parse(localStorage.getItem('fxa.account')).uid")
    Account.objects.filter(pk=uid).update(verifier_set_at=0)
    open_settings(page, live_stack, "/settings/change_password")
    arrive(page, "**/settings/create_password")
    shots(page, "settings_create_password")
    page.fill("#new-password", NEW_PASSWORD)
    page.fill("#confirm-password", NEW_PASSWORD)
    sent = step_ups(live_stack, email)
    page.click("#password-form [type=submit]")
    answer_step_up(page, live_stack, email, sent)
    expect(page.locator("[data-password-done]")).to_be_visible()
    expect(page.locator("[data-toast]")).to_have_text("Your password was created.")
    # Both stretches wrap one kB: v1 and v2 clients sign in with it and unwrap the same key.
    assert kb_of(live_stack, email, NEW_PASSWORD, 2) == kb_of(live_stack, email, NEW_PASSWORD, 1)
    assert page_errors(page) == []


def test_totp_enable_sign_in_replace_codes_change_app_and_disable(live_stack, browser_page):
    page = browser_page
    email, _ = signed_in(page, live_stack, "e2e.settings.totp")
    uid = page.evaluate("JSON.parse(localStorage.getItem('fxa.account')).uid")
    open_settings(page, live_stack, "/settings/two_step_authentication")
    expect(page.locator('[data-state="off"]')).to_be_visible()
    shots(page, "settings_two_step_authentication_off")

    # Set up: step-up code from mail, QR code and key, a code from the app (pyotp).
    sent = step_ups(live_stack, email)
    page.click("#setup-form [type=submit]")
    answer_step_up(page, live_stack, email, sent)
    scan = page.locator('[data-step="scan"]')
    expect(scan).to_be_visible()
    expect(scan.locator("[data-qr-code]")).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    assert page.evaluate("document.querySelector('[data-qr-code]').naturalWidth") > 0  # CSP lets it load
    secret = scan.locator("[data-secret]").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    shots(page, "settings_two_step_authentication_scan")
    mid_step()
    page.fill("#totp-code", "000000" if totp_at(secret, -1) != "000000" else "111111")
    page.click("#verify-form [type=submit]")
    expect(page.locator("#totp-code-error")).to_contain_text("That code is wrong")
    page.fill("#totp-code", totp_at(secret, -1))
    page.click("#verify-form [type=submit]")

    # The backup codes: shown with copy, download and print; one typed back turns it on.
    codes_step = page.locator('[data-step="codes"]')
    expect(codes_step).to_be_visible()
    codes = codes_step.locator("[data-backup-codes] li").all_inner_texts()
    assert len(codes) == 8 and all(re.fullmatch(r"[0-9a-z]{10}", code) for code in codes)
    with page.expect_download() as download:
        page.click("[data-download-codes]")
    saved = open(download.value.path(), encoding="utf-8").read()
    assert all(code in saved for code in codes)
    shots(page, "settings_two_step_authentication_codes")
    page.fill("#backup-code", "notacode00")
    page.click("#confirm-codes-form [type=submit]")
    expect(page.locator("#backup-code-error")).to_contain_text("not one of the codes")
    page.fill("#backup-code", codes[3].upper())
    page.click("#confirm-codes-form [type=submit]")
    expect(page.locator('[data-state="on"]')).to_be_visible()
    expect(page.locator("[data-toast]")).to_have_text("Two-step authentication is on.")
    expect(page.locator("[data-codes-left]")).to_have_text("8 codes left")
    expect(page.locator("[data-codes-low]")).to_be_hidden()
    shots(page, "settings_two_step_authentication_on")
    assert TotpToken.objects.get(pk=uid).enabled

    # Sign out, then in again: the password, then the app's code.
    page.goto(live_stack.url + "/settings")
    expect_settings(page, email)
    sign_out(page, live_stack)
    start_signin(page, live_stack, email)
    submit_password(page)
    arrive(page, "**/signin_totp_code?*")
    page.fill("#code", totp_at(secret, 0))
    page.click("#code-form [type=submit]")
    expect_settings(page, email)

    # New backup codes: the old set works until one of the new ones is typed back. The step-up
    # token held for the ended session is refused, so a new code is mailed.
    open_settings(page, live_stack, "/settings/two_step_authentication/replace_codes")
    new_codes = page.locator("[data-backup-codes] li").all_inner_texts()
    assert len(new_codes) == 8 and not set(new_codes) & set(codes)
    shots(page, "settings_two_step_authentication_replace_codes")
    page.fill("#backup-code", new_codes[0])
    sent = step_ups(live_stack, email)
    page.click("#confirm-codes-form [type=submit]")
    answer_step_up(page, live_stack, email, sent)
    expect(page.locator('[data-step="done"]')).to_be_visible()
    expect(page.locator("[data-toast]")).to_have_text("Your backup authentication codes were replaced.")
    stored = set(RecoveryCode.objects.filter(account_id=uid).values_list("code_hash", flat=True))
    assert stored == {code_hash(uid, code) for code in new_codes}

    # A new authentication app, while the old one stays on until the new one's code is confirmed.
    open_settings(page, live_stack, "/settings/two_step_authentication/change")
    shots(page, "settings_two_step_authentication_change")
    page.click("#start-form [type=submit]")  # the held step-up token serves
    expect(page.locator('[data-step="scan"]')).to_be_visible()
    new_secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    assert new_secret != secret and TotpToken.objects.get(pk=uid).shared_secret == secret
    shots(page, "settings_two_step_authentication_change_scan")
    page.fill("#totp-code", totp_at(new_secret, 0))
    page.click("#verify-form [type=submit]")
    expect(page.locator('[data-step="done"]')).to_be_visible()
    assert TotpToken.objects.get(pk=uid).shared_secret == new_secret
    assert live_stack.smtp.wait_for(email, "postChangeTwoStepAuthentication")

    # Turn it off, after the confirmation dialog.
    open_settings(page, live_stack, "/settings/two_step_authentication")
    expect(page.locator('[data-state="on"]')).to_be_visible()
    page.click("[data-disable]")
    expect(page.locator("[data-disable-dialog]")).to_be_visible()
    shots(page, "settings_two_step_authentication_disable")
    page.click("#disable-form [type=submit]")
    expect(page.locator('[data-state="off"]')).to_be_visible()
    expect(page.locator("[data-toast]")).to_have_text("Two-step authentication is off.")
    assert not TotpToken.objects.filter(pk=uid).exists()
    assert not RecoveryCode.objects.filter(account_id=uid).exists()
    assert_password_not_sent(page.requests, PASSWORD)
    assert page_errors(page) == []


def test_few_backup_codes_left_are_warned_about(live_stack, browser_page):
    page = browser_page
    email, client_session = signed_in(page, live_stack, "e2e.settings.lowcodes")
    uid = client_session.uid
    # Two-step authentication on through the API; the browser's session proves it by TOTP.
    mid_step()
    secret = api(live_stack, "/totp/create", {}, client_session.token)["secret"]
    api(live_stack, "/totp/setup/verify", {"code": totp_at(secret, -1)}, client_session.token)
    api(live_stack, "/recoveryCodes", {"recoveryCodes": ["aaaaa11111"]}, client_session.token)
    api(live_stack, "/totp/setup/complete", {}, client_session.token)
    token = page.evaluate("JSON.parse(localStorage.getItem('fxa.account')).sessionToken")
    assert api(live_stack, "/session/verify/totp", {"code": totp_at(secret, 0)}, token)["success"]
    open_settings(page, live_stack, "/settings/two_step_authentication")
    expect(page.locator("[data-codes-left]")).to_have_text("1 code left")
    expect(page.locator("[data-codes-low]")).to_contain_text("fewer than 2 backup authentication codes")
    shots(page, "settings_two_step_authentication_low_codes")
    assert RecoveryCode.objects.filter(account_id=uid).count() == 1
    assert page_errors(page) == []


def test_a_session_without_totp_is_sent_to_the_totp_step_and_back(live_stack, browser_page):
    page = browser_page
    email = unique_email("e2e.settings.aal2")
    client_session = pyfxa09_account(live_stack, email)
    mid_step()
    secret = api(live_stack, "/totp/create", {}, client_session.token)["secret"]
    api(live_stack, "/totp/setup/verify", {"code": totp_at(secret, -1)}, client_session.token)
    api(live_stack, "/totp/setup/complete", {}, client_session.token)

    # The browser signs in with the password only, stops at the TOTP step and goes to settings.
    start_signin(page, live_stack, email)
    submit_password(page)
    arrive(page, "**/signin_totp_code?*")
    page.goto(live_stack.url + "/settings/two_step_authentication")
    arrive(page, re.compile(r"/signin_totp_code\?redirect_to=%2Fsettings%2Ftwo_step_authentication"))
    page.fill("#code", totp_at(secret, 0))
    page.click("#code-form [type=submit]")
    arrive(page, re.compile(r"/settings/two_step_authentication$"))
    expect(page.locator('[data-state="on"]')).to_be_visible()
    assert page_errors(page) == []
