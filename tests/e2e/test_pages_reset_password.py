"""The password-reset pages in Chromium against the live live_stack (gunicorn + Celery, mail to the SMTP
sink): the 8-digit code, the TOTP and backup-code steps of a two-step account, the account
recovery key (kB kept, checked with PyFxA 0.9), the older link of the ``recovery`` mail, and the
errors a user meets. No request the browser makes carries the new password.
"""
import re
import uuid
from urllib.parse import quote

import pytest
import requests
from fxa.core import Client
from playwright.sync_api import expect

from accounts.models import RecoveryKey
from tests import factories
from tests.e2e.browser import assert_password_not_sent, screenshot
from tests.helpers import stretch, token_credentials
from tests.recovery_key_client import encrypt_kb, new_recovery_key, recovery_key_id
from tests.twofactor.conftest import code as totp_code
from tests.twofactor.conftest import mid_step

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "old password of the reset"
NEW_PASSWORD = "Neues Passwort, zurückgesetzt"
OTP = "X-Password-Forgot-Otp"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def unique_email():
    return f"reset-page-{uuid.uuid4().hex[:12]}@example.com"


def api(live_stack):
    return live_stack.url + "/v1"


def bearer(token_hex, token_type="sessionToken", prefix="fxs"):
    return {"Authorization": f"Bearer {prefix}_{token_credentials(token_hex, token_type)[0]}"}


def login_errno(live_stack, email, password):
    """None when /account/login accepts the password (v1 stretch, as PyFxA 0.9 does), else the errno."""
    response = requests.post(f"{api(live_stack)}/account/login",
                             json={"email": email, "authPW": stretch(email, password)[0]}, timeout=30)
    return None if response.status_code == 200 else response.json()["errno"]


def kb_of(live_stack, email, password):
    session = Client(server_url=api(live_stack)).login(email, password, keys=True)
    return session.fetch_keys()[1]


def recovery_key_text(key):
    """The 32-char Crockford base32 a user copies (onepw.md §7), in groups of four."""
    bits = int.from_bytes(key, "big")
    text = "".join(CROCKFORD[(bits >> (5 * (31 - index))) & 31] for index in range(32))
    return " ".join(text[index:index + 4] for index in range(0, 32, 4))


def enable_totp(live_stack, session_token):
    """TOTP set up through the API; the setup spends the previous period's code."""
    headers = bearer(session_token)
    mid_step()
    secret = requests.post(f"{api(live_stack)}/totp/create", json={}, headers=headers, timeout=30).json()["secret"]
    verified = requests.post(f"{api(live_stack)}/totp/setup/verify", json={"code": totp_code(secret, -1)},
                             headers=headers, timeout=30)
    assert verified.json() == {"success": True}, verified.text
    completed = requests.post(f"{api(live_stack)}/totp/setup/complete", json={}, headers=headers, timeout=30)
    assert completed.json() == {"success": True}, completed.text
    return secret


def ready(page):
    """The page's module has bound its forms (main.js marks <body data-ready>)."""
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def arrive(page, url):
    page.wait_for_url(url)
    ready(page)


def visit(page, url):
    page.goto(url)
    ready(page)


def request_code(page, live_stack, email, *, shots=False):
    """/reset_password with the email prefilled → the confirm page; returns the mailed code."""
    visit(page, f"{live_stack.url}/reset_password?email={quote(email)}")
    expect(page.locator("#email")).to_have_value(email)
    if shots:
        screenshot(page, "reset_password")
    page.click("#reset-form button[type=submit]")
    arrive(page, "**/confirm_reset_password?*")
    expect(page.locator("[data-email]")).to_have_text(email)
    return live_stack.smtp.latest_code(email, OTP)


def enter_code(page, code):
    page.fill("#code", code)
    page.click("#code-form button[type=submit]")


def set_new_password(page, password=NEW_PASSWORD, *, shot=None):
    page.fill("#new-password", password)
    page.fill("#confirm-password", password)
    expect(page.locator('#new-password-rules [data-rule="length"]')).to_have_attribute("data-state", "met")
    if shot:
        screenshot(page, shot)
    page.click("#password-form button[type=submit]")


def held_session(page):
    """The session the page keeps after the reset, and the server's view of it."""
    account = page.evaluate("JSON.parse(localStorage.getItem('fxa.account'))")
    status = requests.get(f"{api(page.live_stack)}/session/status", headers=bearer(account["sessionToken"]), timeout=30)
    assert status.status_code == 200, status.text
    return account, status.json()


@pytest.fixture
def page(live_stack, browser_page):
    browser_page.live_stack = live_stack
    return browser_page


def script_errors(page):
    """What the page's scripts reported; Chromium also logs each 4xx answer, which the tests cause."""
    return [error for error in page.console_errors if not error.startswith("Failed to load resource")]


def assert_reset_left_nothing_behind(page):
    assert page.evaluate("sessionStorage.getItem('fxa.reset')") is None
    assert_password_not_sent(page.requests, NEW_PASSWORD)
    assert not script_errors(page)


# --- by code, without a recovery key ---------------------------------------------------------------

def test_reset_by_code_without_a_recovery_key(live_stack, page):
    email = unique_email()
    factories.account(email, PASSWORD)
    old_kb = kb_of(live_stack, email, PASSWORD)

    code = request_code(page, live_stack, email, shots=True)
    screenshot(page, "confirm_reset_password")
    enter_code(page, code)
    arrive(page, "**/complete_reset_password?*")
    # Before the reset, in words: without the key the synced data goes.
    expect(page.locator("#data-loss-warning")).to_be_visible()
    expect(page.locator("#data-loss-warning")).to_contain_text("Your synced data will be lost.")
    expect(page.locator("#key-kept")).to_be_hidden()
    expect(page.locator("#password-form [data-email]")).to_have_text(email)
    assert page.get_attribute("#new-password", "autocomplete") == "new-password"
    assert page.get_attribute("#confirm-password", "autocomplete") == "new-password"

    # The rules refuse a short password and the email itself.
    page.fill("#new-password", "short")
    expect(page.locator('#new-password-rules [data-rule="length"]')).to_have_attribute("data-state", "unmet")
    page.fill("#new-password", email.upper())
    expect(page.locator('#new-password-rules [data-rule="email"]')).to_have_attribute("data-state", "unmet")
    page.fill("#confirm-password", email.upper())
    page.click("#password-form button[type=submit]")
    expect(page.locator("#new-password-error")).to_have_text("Do not use your email address as your password.")
    page.fill("#new-password", NEW_PASSWORD)
    page.fill("#confirm-password", NEW_PASSWORD + "!")
    page.click("#password-form button[type=submit]")
    expect(page.locator("#confirm-password-error")).to_have_text("The passwords do not match.")

    set_new_password(page, shot="complete_reset_password")
    arrive(page, "**/reset_password_verified?*")
    expect(page.locator("[data-signed-in]")).to_contain_text(email)
    expect(page.locator("#new-recovery-key")).to_be_hidden()
    screenshot(page, "reset_password_verified")
    assert_reset_left_nothing_behind(page)

    # The user lands signed in, with a verified session of the new password.
    account, status = held_session(page)
    assert account["email"] == email and account["verified"] is True
    assert status["state"] == "verified"

    assert login_errno(live_stack, email, PASSWORD) == 103
    assert login_errno(live_stack, email, NEW_PASSWORD) is None
    assert kb_of(live_stack, email, NEW_PASSWORD) != old_kb, "without the recovery key kB is new"

    page.click("#continue")
    arrive(page, re.compile(r"/settings(\?|$)"))

    # The sign-in page, from a signed-out tab: the old password fails, the new one works.
    page.evaluate("localStorage.clear()")
    visit(page, f"{live_stack.url}/signin?email={quote(email)}")
    page.fill("#password", PASSWORD)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#password-error")).to_have_text("Incorrect password.")
    page.fill("#password", NEW_PASSWORD)
    page.click("#signin-form button[type=submit]")
    arrive(page, re.compile(r"/(settings|signin_token_code)(\?|$)"))
    assert_password_not_sent(page.requests, NEW_PASSWORD)
    assert_password_not_sent(page.requests, PASSWORD)


def test_wrong_code_shows_an_error_and_a_new_code_works(live_stack, page):
    email = unique_email()
    factories.account(email, PASSWORD)
    code = request_code(page, live_stack, email)
    enter_code(page, "1234")
    expect(page.locator("#code-error")).to_have_text("Enter the 8-digit code from the email.")
    wrong = "11111111" if code != "11111111" else "22222222"
    enter_code(page, wrong)
    expect(page.locator("#code-error")).to_contain_text("That code is wrong or has expired")
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "confirm_reset_password-error")

    page.click("#resend-code")
    expect(page.locator("#code-form [data-form-error]")).to_have_text(f"A new code was sent to {email}.")
    new_code = live_stack.smtp.latest_code(email, OTP, after=1)
    # The first code was replaced by the new one.
    enter_code(page, code if code != new_code else wrong)
    expect(page.locator("#code-error")).to_contain_text("That code is wrong or has expired")
    enter_code(page, new_code)
    arrive(page, "**/complete_reset_password?*")
    assert live_stack.smtp.count(email, OTP) == 2

    # An unknown address is refused on the first page.
    visit(page, f"{live_stack.url}/reset_password")
    page.fill("#email", unique_email())
    page.click("#reset-form button[type=submit]")
    expect(page.locator("#email-error")).to_have_text("There is no account with this email address.")


# --- with the account recovery key ------------------------------------------------------------------

def test_reset_with_the_recovery_key_keeps_kb(live_stack, page):
    email = unique_email()
    user = factories.account(email, PASSWORD)
    client = Client(server_url=api(live_stack))
    session = client.login(email, PASSWORD, keys=True)
    kb = session.fetch_keys()[1]
    key = new_recovery_key()
    created = requests.post(
        f"{api(live_stack)}/recoveryKey",
        json={"recoveryKeyId": recovery_key_id(key, user.uid), "recoveryData": encrypt_kb(key, user.uid, kb)},
        headers=bearer(session.token), timeout=30,
    )
    assert created.status_code == 200, created.text

    enter_code(page, request_code(page, live_stack, email))
    arrive(page, "**/account_recovery_confirm_key?*")
    screenshot(page, "account_recovery_confirm_key")

    page.fill("#recovery-key", "ABCD")
    page.click("#recovery-key-form button[type=submit]")
    expect(page.locator("#recovery-key-error")).to_contain_text("32 letters and numbers")
    page.fill("#recovery-key", recovery_key_text(new_recovery_key()))
    page.click("#recovery-key-form button[type=submit]")
    expect(page.locator("#recovery-key-error")).to_contain_text("not this account’s recovery key")
    screenshot(page, "account_recovery_confirm_key-error")

    # Typed as a person might: lower case, in groups.
    page.fill("#recovery-key", recovery_key_text(key).lower())
    page.click("#recovery-key-form button[type=submit]")
    arrive(page, "**/account_recovery_reset_password?*")
    expect(page.locator("#key-kept")).to_be_visible()
    expect(page.locator("#data-loss-warning")).to_be_hidden()
    set_new_password(page, shot="account_recovery_reset_password")
    arrive(page, "**/reset_password_with_recovery_key_verified?*")
    expect(page.locator("#new-recovery-key")).to_be_visible()
    expect(page.locator("#new-recovery-key a")).to_have_attribute("href", "/settings/account_recovery")
    screenshot(page, "reset_password_with_recovery_key_verified")
    assert_reset_left_nothing_behind(page)
    assert held_session(page)[1]["state"] == "verified"

    assert kb_of(live_stack, email, NEW_PASSWORD) == kb, "the recovery key keeps kB"
    assert login_errno(live_stack, email, PASSWORD) == 103
    assert not RecoveryKey.objects.filter(account_id=user.uid).exists(), "the key is spent"
    assert live_stack.smtp.wait_for(email, "passwordResetAccountRecovery")


def test_without_the_recovery_key_the_user_is_warned_and_kb_is_new(live_stack, page):
    email = unique_email()
    user = factories.account(email, PASSWORD)
    session = Client(server_url=api(live_stack)).login(email, PASSWORD, keys=True)
    kb = session.fetch_keys()[1]
    key = new_recovery_key()
    requests.post(
        f"{api(live_stack)}/recoveryKey",
        json={"recoveryKeyId": recovery_key_id(key, user.uid), "recoveryData": encrypt_kb(key, user.uid, kb)},
        headers=bearer(session.token), timeout=30,
    ).raise_for_status()

    enter_code(page, request_code(page, live_stack, email))
    arrive(page, "**/account_recovery_confirm_key?*")
    page.click("#no-recovery-key")
    arrive(page, "**/complete_reset_password?*")
    expect(page.locator("#data-loss-warning")).to_be_visible()
    set_new_password(page)
    arrive(page, "**/reset_password_verified?*")
    assert_reset_left_nothing_behind(page)
    assert kb_of(live_stack, email, NEW_PASSWORD) != kb


# --- two-step accounts ------------------------------------------------------------------------------

def test_two_step_account_resets_with_its_totp_code(live_stack, page):
    email = unique_email()
    user = factories.account(email, PASSWORD)
    secret = enable_totp(live_stack, user.session_token)

    enter_code(page, request_code(page, live_stack, email))
    arrive(page, "**/confirm_totp_reset_password?*")
    screenshot(page, "confirm_totp_reset_password")
    page.fill("#code", "12345")
    page.click("#totp-form button[type=submit]")
    expect(page.locator("#code-error")).to_have_text("Enter the 6-digit code from your authentication app.")
    mid_step()
    current = totp_code(secret)
    page.fill("#code", "000000" if current != "000000" else "111111")
    page.click("#totp-form button[type=submit]")
    expect(page.locator("#code-error")).to_contain_text("That code is wrong or has expired")

    mid_step()
    page.fill("#code", totp_code(secret))
    page.click("#totp-form button[type=submit]")
    arrive(page, "**/complete_reset_password?*")
    set_new_password(page)
    arrive(page, "**/reset_password_verified?*")
    assert_reset_left_nothing_behind(page)
    # The new session of a two-step account waits for its second factor.
    account, status = held_session(page)
    assert account["verified"] is False and status["state"] == "unverified"
    assert login_errno(live_stack, email, NEW_PASSWORD) is None
    assert login_errno(live_stack, email, PASSWORD) == 103


def test_two_step_account_resets_with_a_backup_code(live_stack, page):
    email = unique_email()
    user = factories.account(email, PASSWORD)
    enable_totp(live_stack, user.session_token)
    codes = requests.get(f"{api(live_stack)}/recoveryCodes", headers=bearer(user.session_token), timeout=30).json()
    backup_codes = codes["recoveryCodes"]

    enter_code(page, request_code(page, live_stack, email))
    arrive(page, "**/confirm_totp_reset_password?*")
    page.click("text=Use a backup authentication code instead")
    arrive(page, "**/confirm_backup_code_reset_password?*")
    screenshot(page, "confirm_backup_code_reset_password")
    page.fill("#code", "0000000000" if "0000000000" not in backup_codes else "1111111111")
    page.click("#backup-code-form button[type=submit]")
    expect(page.locator("#code-error")).to_have_text("That backup authentication code is wrong or was already used.")

    page.fill("#code", backup_codes[0].upper())
    page.click("#backup-code-form button[type=submit]")
    arrive(page, "**/complete_reset_password?*")
    set_new_password(page)
    arrive(page, "**/reset_password_verified?*")
    assert_reset_left_nothing_behind(page)
    assert login_errno(live_stack, email, NEW_PASSWORD) is None
    # The code was spent.
    left = requests.get(f"{api(live_stack)}/recoveryCodes/exists",
                        headers=bearer(held_session(page)[0]["sessionToken"]), timeout=30)
    assert left.json() == {"hasBackupCodes": True, "count": len(backup_codes) - 1}, left.text


# --- the older link of the `recovery` mail ------------------------------------------------------------

def test_the_link_of_the_recovery_mail_resets_once(live_stack, page):
    email = unique_email()
    factories.account(email, PASSWORD)
    link = recovery_link(live_stack, email)
    assert "/complete_reset_password?" in link and "token=" in link

    visit(page, link)
    expect(page.locator("#password-form")).to_be_visible()
    expect(page.locator("#data-loss-warning")).to_be_visible()
    expect(page.locator("#recovery-key-offer")).to_be_hidden()
    expect(page.locator("#password-form [data-email]")).to_have_text(email)
    # The link's token and code leave the address bar (history, shared screens).
    assert "token=" not in page.url and "code=" not in page.url
    screenshot(page, "complete_reset_password-link")
    set_new_password(page)
    arrive(page, "**/reset_password_verified?*")
    assert_reset_left_nothing_behind(page)
    assert held_session(page)[1]["state"] == "verified"
    assert login_errno(live_stack, email, NEW_PASSWORD) is None
    assert login_errno(live_stack, email, PASSWORD) == 103

    # The same link again: spent, and the page says so before asking for a password.
    visit(page, link)
    expect(page.locator("#reset-restart")).to_be_visible()
    expect(page.locator("[data-restart-message]")).to_have_text(
        "This reset link has expired or was already used. Start again to get a new one."
    )
    expect(page.locator("#password-form")).to_be_hidden()
    screenshot(page, "complete_reset_password-expired")
    page.click("#reset-restart a.button")
    arrive(page, "**/reset_password?*")
    expect(page.locator("#email")).to_have_value(email)


def recovery_link(live_stack, email):
    sent = requests.post(f"{api(live_stack)}/password/forgot/send_code", json={"email": email}, timeout=30)
    assert sent.status_code == 200, sent.text
    return live_stack.smtp.wait_for(email, "recovery")[-1]["X-Link"]


def test_the_link_offers_the_recovery_key_which_keeps_kb(live_stack, page):
    email = unique_email()
    user = factories.account(email, PASSWORD)
    session = Client(server_url=api(live_stack)).login(email, PASSWORD, keys=True)
    kb = session.fetch_keys()[1]
    key = new_recovery_key()
    requests.post(
        f"{api(live_stack)}/recoveryKey",
        json={"recoveryKeyId": recovery_key_id(key, user.uid), "recoveryData": encrypt_kb(key, user.uid, kb)},
        headers=bearer(session.token), timeout=30,
    ).raise_for_status()

    visit(page, recovery_link(live_stack, email))
    expect(page.locator("#recovery-key-offer")).to_be_visible()
    expect(page.locator("#data-loss-warning")).to_be_visible()
    page.click("#use-recovery-key")
    arrive(page, "**/account_recovery_confirm_key?*")
    page.fill("#recovery-key", recovery_key_text(key))
    page.click("#recovery-key-form button[type=submit]")
    arrive(page, "**/account_recovery_reset_password?*")
    set_new_password(page)
    arrive(page, "**/reset_password_with_recovery_key_verified?*")
    assert_reset_left_nothing_behind(page)
    assert kb_of(live_stack, email, NEW_PASSWORD) == kb


def test_the_link_of_a_two_step_account_asks_for_the_totp_code(live_stack, page):
    email = unique_email()
    user = factories.account(email, PASSWORD)
    secret = enable_totp(live_stack, user.session_token)
    visit(page, recovery_link(live_stack, email))
    set_new_password(page)
    # The link's code alone does not reset a two-step account: the app's code comes first.
    arrive(page, "**/confirm_totp_reset_password?*")
    assert login_errno(live_stack, email, PASSWORD) is None
    mid_step()
    page.fill("#code", totp_code(secret))
    page.click("#totp-form button[type=submit]")
    arrive(page, "**/complete_reset_password?*")
    expect(page.locator("#new-password")).to_have_value("")
    set_new_password(page)
    arrive(page, "**/reset_password_verified?*")
    assert_reset_left_nothing_behind(page)
    assert login_errno(live_stack, email, NEW_PASSWORD) is None


def test_a_damaged_link_or_a_page_out_of_turn_says_to_start_again(live_stack, page):
    visit(page, f"{live_stack.url}/complete_reset_password?uid=zz&token=&code=12&email=a%40example.com")
    expect(page.locator("[data-restart-message]")).to_contain_text("incomplete or damaged")
    for path in ("confirm_totp_reset_password", "confirm_backup_code_reset_password",
                 "account_recovery_confirm_key", "complete_reset_password", "account_recovery_reset_password"):
        visit(page, f"{live_stack.url}/{path}")
        expect(page.locator("#reset-restart")).to_be_visible()
        expect(page.locator("[data-reset-step]")).to_be_hidden()
    assert not script_errors(page)
