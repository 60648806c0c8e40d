"""Sign-up and sign-in pages in Debian's Chromium against the live stack (gunicorn + Celery +
SMTP sink): the codes are read from the delivered mail, the accounts of the sign-in tests are
made by real clients (PyFxA 0.8.2 and 0.9), and no request of the browser carries the password.

Screenshots of every page (1280 and 375 px) land in artifacts/screenshots/.
"""
import json
import os
import re
import subprocess
import time
import uuid
from urllib.parse import urlsplit

import pyotp
import pytest
import requests
from django.db.models import F
from fxa.core import Client
from playwright.sync_api import expect

from accounts import onepw
from accounts.models import Account, EmailBounce, SecurityEvent
from tests.e2e import test_pyfxa
from tests.e2e.browser import assert_password_not_sent, screenshot
from tests.helpers import token_credentials
from tests.twofactor.conftest import mid_step

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The PyFxA 0.8.2 virtualenv (built once, shared with test_pyfxa.py).
pyfxa08_python = test_pyfxa.pyfxa08_python

PASSWORD = "Grüne Wiese 42 ✓"
HOUR_MS = 3600 * 1000


def unique_email(prefix="e2e.pages"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def api(stack, path, body, token=None):
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer fxs_{token_credentials(token, 'sessionToken')[0]}"
    response = requests.post(f"{stack.url}/v1{path}", json=body, headers=headers, timeout=60)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def confirm_email(stack, uid):
    """Confirm a new account's address as its sign-up mail's link would."""
    api(stack, "/recovery_email/verify_code", {"uid": uid, "code": Account.objects.get(uid=uid).email_code})


def pyfxa09_account(stack, email, key_stretch_version=2, verified=True):
    session = Client(server_url=stack.url + "/v1", key_stretch_version=key_stretch_version).create_account(
        email, PASSWORD
    )
    if verified:
        confirm_email(stack, session.uid)
    return session


def v1_account(stack, email):
    """A v1-only account made over the API, its address confirmed (PyFxA refuses upper-case
    salts, so this is done by hand: onepw.md §2.1 with the address as typed)."""
    auth_pw = onepw.auth_pw(onepw.quick_stretch_v1(email, PASSWORD)).hex()
    created = api(stack, "/account/create", {"email": email, "authPW": auth_pw})
    confirm_email(stack, created["uid"])
    return created


def logins(page):
    """The bodies of the page's POST /v1/account/login requests, in order."""
    return [json.loads(r["body"]) for r in page.requests
            if r["method"] == "POST" and urlsplit(r["url"]).path == "/v1/account/login"]


def page_errors(page):
    """Script errors and CSP violations (failed API answers are expected in some tests)."""
    return [text for text in page.console_errors if "Failed to load resource" not in text]


def ready(page):
    """Wait until the page's module has bound its forms (main.js marks <body data-ready>)."""
    page.locator("body[data-ready]").wait_for(state="attached")


def open_page(page, url):
    page.goto(url)
    ready(page)


def arrive(page, url):
    """Wait for the app to navigate to ``url`` (a glob or pattern), then for its module."""
    page.wait_for_url(url)
    ready(page)


def start_signin(page, stack, email):
    open_page(page, stack.url + "/")
    page.fill("#email", email)
    page.click("#email-form [type=submit]")
    arrive(page, "**/signin?*")
    expect(page.locator("#password-step [data-email]")).to_have_text(email)


def submit_password(page, password=PASSWORD):
    page.fill("#password", password)
    page.click("#signin-form [type=submit]")


def expect_settings(page, email):
    arrive(page, re.compile(r"/settings(\?|$)"))
    expect(page.locator("[data-signed-in]")).to_be_visible()
    expect(page.locator("header [data-account-email]")).to_have_text(email, ignore_case=True)


def sign_out(page, stack):
    page.click("#signout-form [type=submit]")
    arrive(page, stack.url + "/")
    expect(page.locator("#email-form")).to_be_visible()


def fill_signup(page, password=PASSWORD, age="30"):
    page.fill("#new-password", password)
    page.fill("#confirm-password", password)
    page.fill("#age", age)


# --- sign-up ------------------------------------------------------------------------------------

def test_signup_confirm_then_signin_with_emailed_code(live_stack, browser_page):
    page, email = browser_page, unique_email()
    open_page(page, live_stack.url + "/")
    screenshot(page, "index")
    page.fill("#email", email)
    page.click("#email-form [type=submit]")
    arrive(page, "**/signup?*")
    expect(page.locator("#signup-step [data-email]")).to_have_text(email)
    fill_signup(page)
    for rule in ("length", "email", "common"):
        expect(page.locator(f'[data-rule="{rule}"]')).to_have_attribute("data-state", "met")
    screenshot(page, "signup")
    page.click("#signup-form [type=submit]")

    arrive(page, "**/confirm_signup_code?*")
    expect(page.locator("#code-form [data-email]")).to_have_text(email)
    first = live_stack.smtp.latest_code(email, "X-Verify-Short-Code")
    screenshot(page, "confirm_signup_code")
    # "Email new code" says it sent one, and one more mail arrives.
    page.click("[data-resend]")
    expect(page.locator("#code-form [data-form-error]")).to_have_text("Email sent. Check your inbox for the code.")
    code = live_stack.smtp.latest_code(email, "X-Verify-Short-Code", after=1)
    assert first.isdigit() and len(code) == 6
    # A wrong code is refused under the field.
    wrong = "000000" if code != "000000" else "111111"
    page.fill("#code", wrong)
    page.click("#code-form [type=submit]")
    expect(page.locator("#code-error")).to_contain_text("wrong or has expired")
    page.fill("#code", code)
    page.click("#code-form [type=submit]")
    expect_settings(page, email)
    screenshot(page, "settings")

    account = Account.objects.get(normalized_email=email)
    assert account.email_verified
    assert account.client_salt.startswith("identity.mozilla.com/picl/v1/quickStretchV2:")
    assert account.verify_hash and account.verify_hash_version2, "v1 and v2 verifiers both stored"

    # Sign out, and sign in again once the account is no longer new: a code is asked for.
    sign_out(page, live_stack)
    Account.objects.filter(pk=account.pk).update(created_at=F("created_at") - 5 * HOUR_MS)
    assert not SecurityEvent.objects.filter(account=account, name="account.login", verified=True).exists()
    start_signin(page, live_stack, email)
    screenshot(page, "signin")
    submit_password(page)
    arrive(page, "**/signin_token_code?*")
    expect(page.locator("#code-form [data-email]")).to_have_text(email)
    signin_code = live_stack.smtp.latest_code(email, "X-Signin-Verify-Code")
    page.fill("#code", signin_code)
    screenshot(page, "signin_token_code")
    page.click("#code-form [type=submit]")
    expect_settings(page, email)

    # The browser sent only the v2 authPW at sign-in, and the v1 and v2 stretches wrap one kB:
    # v1 and v2 clients (PyFxA) unwrap the same key.
    v2_auth_pw = onepw.auth_pw(onepw.quick_stretch_v2(account.client_salt, PASSWORD)).hex()
    assert logins(page)[-1]["authPW"] == v2_auth_pw
    kbs = set()
    for version in (1, 2):
        session = Client(server_url=live_stack.url + "/v1", key_stretch_version=version).login(
            email, PASSWORD, keys=True
        )
        if not session.verified:
            session.verify_email_code(live_stack.smtp.latest_code(
                email, "X-Signin-Verify-Code", after=live_stack.smtp.count(email, "X-Signin-Verify-Code")
            ))
        kbs.add(session.fetch_keys()[1])
    assert len(kbs) == 1

    assert_password_not_sent(page.requests, PASSWORD)
    assert page_errors(page) == []


def test_weak_passwords_get_feedback_and_are_refused(live_stack, browser_page):
    page, email = browser_page, unique_email("weak.password")
    open_page(page, f"{live_stack.url}/signup?email={email}")
    length, not_email, common = (page.locator(f'[data-rule="{rule}"]') for rule in ("length", "email", "common"))
    expect(length).not_to_have_attribute("data-state", "met")

    page.fill("#new-password", "short")
    expect(length).to_have_attribute("data-state", "unmet")
    page.fill("#new-password", email.split("@")[0].upper())
    expect(length).to_have_attribute("data-state", "met")
    expect(not_email).to_have_attribute("data-state", "unmet")
    page.fill("#new-password", email)
    expect(not_email).to_have_attribute("data-state", "unmet")
    # On Django's list of common passwords (the page fetches static/data/common-passwords.txt).
    page.fill("#new-password", "Sunshine1")
    expect(not_email).to_have_attribute("data-state", "met")
    expect(common).to_have_attribute("data-state", "unmet")
    page.fill("#confirm-password", "Sunshine1")
    page.fill("#age", "30")
    page.click("#signup-form [type=submit]")
    expect(page.locator("#new-password-error")).to_have_text(
        "This password is too common. Choose one that is harder to guess."
    )
    expect(page.locator("#new-password")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "signup-weak-password")

    page.fill("#new-password", PASSWORD)
    expect(common).to_have_attribute("data-state", "met")
    page.fill("#confirm-password", PASSWORD + "x")
    page.click("#signup-form [type=submit]")
    expect(page.locator("#confirm-password-error")).to_have_text("The passwords do not match.")
    page.fill("#confirm-password", PASSWORD)
    page.fill("#age", "")
    page.click("#signup-form [type=submit]")
    expect(page.locator("#age-error")).to_have_text("Enter your age in years.")

    assert not [r for r in page.requests if "/v1/account/create" in r["url"]]
    assert not Account.objects.filter(normalized_email=email).exists()
    assert_password_not_sent(page.requests, PASSWORD)
    assert page_errors(page) == []


def test_under_13_cannot_create_an_account(live_stack, browser_page):
    page, email = browser_page, unique_email("young")
    open_page(page, f"{live_stack.url}/signup?email={email}")
    fill_signup(page, age="12")
    page.click("#signup-form [type=submit]")
    arrive(page, "**/cannot_create_account*")
    expect(page.locator("h1")).to_have_text("You cannot create an account")
    screenshot(page, "cannot_create_account")
    # This browser keeps being refused, whatever age it types next.
    page.goto(f"{live_stack.url}/signup?email={email}")
    arrive(page, "**/cannot_create_account*")
    assert not [r for r in page.requests if "/v1/account/create" in r["url"]]
    assert not Account.objects.filter(normalized_email=email).exists()
    assert_password_not_sent(page.requests, PASSWORD)


def test_signup_with_an_existing_address_offers_signin(live_stack, browser_page):
    page, email = browser_page, unique_email("exists")
    pyfxa09_account(live_stack, email)
    open_page(page, f"{live_stack.url}/signup?email={email}")
    fill_signup(page)
    page.click("#signup-form [type=submit]")
    expect(page.locator("#account-exists")).to_be_visible()
    screenshot(page, "signup-account-exists")
    page.click("#account-exists a.button")
    arrive(page, "**/signin?*")
    submit_password(page)
    expect_settings(page, email)
    assert_password_not_sent(page.requests, PASSWORD)


# --- sign-in ------------------------------------------------------------------------------------

def test_signin_to_pyfxa08_v1_account(live_stack, browser_page, pyfxa08_python):
    page, email = browser_page, unique_email("pyfxa08")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    script = ("import json, sys; from fxa.core import Client; "
              "s = Client(server_url=sys.argv[1]).create_account(sys.argv[2], sys.argv[3]); "
              "import fxa; print(json.dumps({'uid': s.uid, 'version': fxa.__version__}))")
    created = subprocess.run(
        [str(pyfxa08_python), "-I", "-c", script, live_stack.url + "/v1", email, PASSWORD],
        capture_output=True, text=True, timeout=120, env=env, check=True,
    )
    made = json.loads(created.stdout.strip().splitlines()[-1])
    assert made["version"] == "0.8.2"
    confirm_email(live_stack, made["uid"])
    assert not Account.objects.get(uid=made["uid"]).client_salt, "PyFxA 0.8 makes v1-only accounts"

    start_signin(page, live_stack, email)
    submit_password(page)
    expect_settings(page, email)
    assert logins(page)[-1]["authPW"] == onepw.auth_pw(onepw.quick_stretch_v1(email, PASSWORD)).hex()
    assert_password_not_sent(page.requests, PASSWORD)
    assert page_errors(page) == []


def test_wrong_password_then_signin_to_pyfxa09_v2_account(live_stack, browser_page):
    page, email = browser_page, unique_email("pyfxa09")
    pyfxa09_account(live_stack, email, key_stretch_version=2)
    start_signin(page, live_stack, email)
    submit_password(page, "not the password")
    expect(page.locator("#password-error")).to_have_text("Incorrect password.")
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "signin-wrong-password")
    submit_password(page)
    expect_settings(page, email)
    salt = Account.objects.get(normalized_email=email).client_salt
    assert logins(page)[-1]["authPW"] == onepw.auth_pw(onepw.quick_stretch_v2(salt, PASSWORD)).hex()
    assert_password_not_sent(page.requests, PASSWORD)
    assert_password_not_sent(page.requests, "not the password")
    assert page_errors(page) == []


def test_incorrect_email_case_is_retried_with_the_signup_address(live_stack, browser_page):
    page = browser_page
    email = f"Mixed-{uuid.uuid4().hex[:12]}@Example.com"
    v1_account(live_stack, email)
    start_signin(page, live_stack, email.lower())
    submit_password(page)
    expect_settings(page, email)
    first, second = logins(page)
    assert first["email"] == email.lower() and "originalLoginEmail" not in first
    assert second["email"] == email and second["originalLoginEmail"] == email.lower()
    assert_password_not_sent(page.requests, PASSWORD)
    assert page_errors(page) == []


def test_signin_to_an_unconfirmed_account_asks_for_the_signup_code(live_stack, browser_page):
    """A new account needs no sign-in confirmation, so the session is born verified: the page
    must still see that the address is not, and ask for the sign-up code the login mailed."""
    page, email = browser_page, unique_email("unconfirmed")
    pyfxa09_account(live_stack, email, verified=False)
    sent = live_stack.smtp.count(email, "X-Verify-Short-Code")
    start_signin(page, live_stack, email)
    submit_password(page)
    arrive(page, "**/confirm_signup_code?*")
    expect(page.locator("#code-form [data-email]")).to_have_text(email)
    page.fill("#code", live_stack.smtp.latest_code(email, "X-Verify-Short-Code", after=sent))
    page.click("#code-form [type=submit]")
    expect_settings(page, email)
    assert Account.objects.get(normalized_email=email).email_verified
    assert_password_not_sent(page.requests, PASSWORD)


def test_unknown_email_offers_signup(live_stack, browser_page):
    page, email = browser_page, unique_email("unknown")
    open_page(page, f"{live_stack.url}/signin?email={email}")
    submit_password(page)
    expect(page.locator("#unknown-account")).to_be_visible()
    page.click("#unknown-account a.button")
    arrive(page, "**/signup?*")
    expect(page.locator("#signup-step [data-email]")).to_have_text(email)
    assert_password_not_sent(page.requests, PASSWORD)


def test_bounced_address_goes_to_signin_bounced(live_stack, browser_page):
    page, email = browser_page, unique_email("bounced")
    pyfxa09_account(live_stack, email, verified=False)
    EmailBounce.objects.create(email=email, bounce_type="hard")
    start_signin(page, live_stack, email)
    submit_password(page)
    arrive(page, "**/signin_bounced?*")
    expect(page.locator("[data-email]")).to_have_text(email)
    screenshot(page, "signin_bounced")
    assert_password_not_sent(page.requests, PASSWORD)


# A live stack whose customs block a sign-in early: the third attempt for an address from one IP
# (the browser and the test are both 127.0.0.1) is refused, unblockable by a mailed code.
TIGHT_CUSTOMS = {"CUSTOMS_RULES": "accountLogin : ip_email : 2 : 15 minutes : 15 minutes; "
                                  "unblockEmail : ip_email : 5 : 15 minutes : 15 minutes; "
                                  "sendUnblockCode : ip_email : 5 : 15 minutes : 15 minutes"}


def login_statuses(page):
    """The HTTP status of every /v1/account/login answer the page gets, in order (filled as
    they arrive)."""
    statuses = []
    page.on("response", lambda response: urlsplit(response.url).path == "/v1/account/login"
            and statuses.append(response.status))
    return statuses


def _answer_first_login_with_captcha(page):
    """The FIRST /v1/account/login is answered by the test with customs' unblockable refusal
    (429 errno 114, verificationMethod "email-captcha"); later ones go to the server, which is
    not blocking. Only for the state a real block cannot reach (see its caller). Returns the list
    of intercepted requests."""
    intercepted = []

    def handle(route):
        if intercepted:
            return route.continue_()
        intercepted.append(route.request.url)
        return route.fulfill(
            status=429,
            content_type="application/json",
            headers={"Retry-After": "900"},
            body=json.dumps({
                "code": 429, "errno": 114, "error": "Too Many Requests",
                "message": "Client has sent too many requests", "retryAfter": 900,
                "retryAfterLocalized": "in 15 minutes", "verificationMethod": "email-captcha",
                "verificationReason": "login",
            }),
        )

    page.route(lambda url: urlsplit(url).path == "/v1/account/login", handle)
    return intercepted


@pytest.mark.live_stack(extra_env=TIGHT_CUSTOMS)
def test_unblock_code_path(live_stack, browser_page):
    """A real customs block: two wrong passwords, then the right one is refused (429, unblockable);
    the page mails the code, and the code from the mail signs in with the password it holds."""
    page, email = browser_page, unique_email("unblock")
    pyfxa09_account(live_stack, email)
    statuses = login_statuses(page)
    start_signin(page, live_stack, email)
    for attempt in range(2):
        submit_password(page, "not the password")
        expect(page.locator("#password-error")).to_have_text("Incorrect password.")
        expect(page.locator("#signin-form [type=submit]")).to_be_enabled()
    submit_password(page)
    arrive(page, "**/signin_unblock?*")
    expect(page.locator("#unblock-step")).to_be_visible()
    expect(page.locator("#password-step")).to_be_hidden()
    expect(page.locator("#unblock-step [data-email]")).to_have_text(email)
    assert statuses == [400, 400, 429]
    code = live_stack.smtp.latest_code(email, "X-Unblock-Code", "unblockCode")
    screenshot(page, "signin_unblock")
    # A wrong code is refused under the field, and the real one still works after it.
    page.fill("#unblock-code", "ZZZZ2222" if code != "ZZZZ2222" else "YYYY3333")
    page.click("#unblock-form [type=submit]")
    expect(page.locator("#unblock-code-error")).to_have_text("That authorization code is wrong or has expired.")
    screenshot(page, "signin_unblock_wrong_code")
    page.fill("#unblock-code", code.lower())
    page.click("#unblock-form [type=submit]")
    expect_settings(page, email)
    assert statuses == [400, 400, 429, 400, 200]
    assert logins(page)[-1]["unblockCode"] == code
    assert live_stack.smtp.count(email, "X-Unblock-Code") == 1
    assert_password_not_sent(page.requests, PASSWORD)
    assert not page_errors(page)


def test_unblock_code_with_incorrect_email_case(live_stack, browser_page):
    """The server spends an unblock code before it checks the password, so the attempt that
    learns the sign-up address's case (errno 120) uses the code up: the page mails a new one.

    The refusal is played by the test: while a real block lasts, this server answers a wrong
    case after a right code with the block again (upstream answers 120), so the 120 after a
    code comes only once the block is over, as here."""
    page = browser_page
    email = f"Unblock-{uuid.uuid4().hex[:12]}@Example.com"
    v1_account(live_stack, email)
    _answer_first_login_with_captcha(page)
    start_signin(page, live_stack, email.lower())
    submit_password(page)
    arrive(page, "**/signin_unblock?*")
    first = live_stack.smtp.latest_code(email, "X-Unblock-Code")
    page.fill("#unblock-code", first)
    page.click("#unblock-form [type=submit]")
    expect(page.locator("#unblock-form [data-form-error]")).to_contain_text("we sent you a new one")
    second = live_stack.smtp.latest_code(email, "X-Unblock-Code", after=1)
    page.fill("#unblock-code", second)
    page.click("#unblock-form [type=submit]")
    expect_settings(page, email)
    last = logins(page)[-1]
    assert (last["email"], last["originalLoginEmail"], last["unblockCode"]) == (email, email.lower(), second)
    assert_password_not_sent(page.requests, PASSWORD)


def block_signin(stack, email, *, spend_unblocks=0):
    """Open the customs block on ``email`` from 127.0.0.1 (the browser's address too), as an
    earlier visit would have: wrong passwords over the API until a login is refused (the
    TIGHT_CUSTOMS stack). ``spend_unblocks``: then as many wrong unblock codes (each counts
    against ``unblockEmail``). Returns the body of the last refusal."""
    auth_pw = onepw.auth_pw(onepw.quick_stretch_v1(email, "not the password")).hex()

    def attempt(**body):
        return requests.post(f"{stack.url}/v1/account/login",
                             json={"email": email, "authPW": auth_pw, **body}, timeout=60)

    while (refused := attempt()).status_code != 429:
        assert refused.json()["errno"] in (103, 120), refused.text
    for _ in range(spend_unblocks):
        assert attempt(unblockCode="ZZZZ2222").json()["errno"] == 127
    refused = attempt()
    assert (refused.status_code, refused.json()["errno"]) == (429, 114), refused.text
    return refused.json()


@pytest.mark.live_stack(extra_env=TIGHT_CUSTOMS)
def test_a_wrong_password_through_the_unblock_step_goes_back_to_the_password(live_stack, browser_page):
    """The password typed when the block came was wrong: the code from the mail is right, but
    the sign-in still fails. The page goes back to the password (the code was spent), and the
    next attempt mails a new code."""
    page, email = browser_page, unique_email("unblock-again")
    pyfxa09_account(live_stack, email)
    statuses = login_statuses(page)
    start_signin(page, live_stack, email)
    for attempt in range(3):
        submit_password(page, "not the password")
        if attempt < 2:
            expect(page.locator("#password-error")).to_have_text("Incorrect password.")
            expect(page.locator("#signin-form [type=submit]")).to_be_enabled()
    arrive(page, "**/signin_unblock?*")
    page.fill("#unblock-code", live_stack.smtp.latest_code(email, "X-Unblock-Code", "unblockCode"))
    page.click("#unblock-form [type=submit]")
    # Upstream answers 103 here; this server keeps answering with the block while it lasts.
    expect(page.locator("#password-error")).to_have_text(re.compile(
        r"^(Incorrect password\.|Your code worked, but the sign-in failed\. Check your password and try again\.)$"))
    expect(page.locator("#password-step")).to_be_visible()
    expect(page.locator("#unblock-step")).to_be_hidden()
    expect(page.locator("#password")).to_have_value("")
    assert urlsplit(page.url).path == "/signin"
    screenshot(page, "signin_unblock_password_again")
    submit_password(page)
    arrive(page, "**/signin_unblock?*")
    second = live_stack.smtp.latest_code(email, "X-Unblock-Code", "unblockCode", after=1)
    expect(page.locator("#unblock-form [data-form-error]")).to_have_text("")
    page.fill("#unblock-code", second)
    page.click("#unblock-form [type=submit]")
    expect_settings(page, email)
    assert statuses[:3] == [400, 400, 429] and statuses[3] in (400, 429) and statuses[4:] == [429, 200]
    assert logins(page)[-1]["unblockCode"] == second
    assert_password_not_sent(page.requests, PASSWORD)
    assert not page_errors(page)


def _wrong_totp(secret):
    valid = {pyotp.TOTP(secret).at(time.time() + 30 * step) for step in (-1, 0, 1, 2)}
    return next(candidate for candidate in ("123456", "654321", "111111") if candidate not in valid)


def test_totp_and_backup_code_steps(live_stack, browser_page):
    page, email = browser_page, unique_email("totp")
    session = pyfxa09_account(live_stack, email)
    # Two-step authentication through the API, as the settings page will do it (codes: pyotp).
    mid_step()
    secret = api(live_stack, "/totp/create", {}, session.token)["secret"]
    authenticator = pyotp.TOTP(secret)
    assert api(live_stack, "/totp/setup/verify", {"code": authenticator.at(time.time() - 30)}, session.token)
    assert api(live_stack, "/totp/setup/complete", {}, session.token) == {"success": True}
    codes = requests.get(f"{live_stack.url}/v1/recoveryCodes", timeout=60, headers={
        "Authorization": f"Bearer fxs_{token_credentials(session.token, 'sessionToken')[0]}",
    }).json()["recoveryCodes"]

    start_signin(page, live_stack, email)
    submit_password(page)
    arrive(page, "**/signin_totp_code?*")
    screenshot(page, "signin_totp_code")
    page.fill("#code", _wrong_totp(secret))
    page.click("#code-form [type=submit]")
    expect(page.locator("#code-error")).to_have_text("That code is wrong or has expired. Enter the code your app shows now.")
    page.fill("#code", authenticator.now())
    page.click("#code-form [type=submit]")
    expect_settings(page, email)

    # Again, with a backup authentication code instead of the app.
    sign_out(page, live_stack)
    start_signin(page, live_stack, email)
    submit_password(page)
    arrive(page, "**/signin_totp_code?*")
    page.click("[data-recovery-link]")
    arrive(page, "**/signin_recovery_code?*")
    screenshot(page, "signin_recovery_code")
    page.fill("#code", "aaaaa22222" if "aaaaa22222" not in codes else "bbbbb33333")
    page.click("#code-form [type=submit]")
    expect(page.locator("#code-error")).to_have_text("That backup code is wrong or was already used.")
    page.fill("#code", codes[0].upper())
    page.click("#code-form [type=submit]")
    expect_settings(page, email)
    assert requests.get(f"{live_stack.url}/v1/recoveryCodes/exists", timeout=60, headers={
        "Authorization": f"Bearer fxs_{token_credentials(session.token, 'sessionToken')[0]}",
    }).json()["count"] == len(codes) - 1
    assert_password_not_sent(page.requests, PASSWORD)
    assert page_errors(page) == []


# --- landing pages ------------------------------------------------------------------------------

@pytest.mark.parametrize("path, heading", [
    ("/signup_confirmed", "Account confirmed"),
    ("/signin_confirmed", "Sign-in confirmed"),
    ("/connect_another_device?service=sync", "Connect another device"),
    ("/cannot_create_account", "You cannot create an account"),
    ("/signin_bounced?email=someone%40example.com", "Your email came back"),
])
def test_landing_pages(live_stack, browser_page, path, heading):
    page = browser_page
    open_page(page, live_stack.url + path)
    expect(page.locator("h1")).to_have_text(heading)
    page.wait_for_load_state("networkidle")
    name = urlsplit(path).path.strip("/")
    if name in ("signup_confirmed", "signin_confirmed"):
        expect(page.locator("a.button")).to_have_attribute("href", "/settings")
    if name == "connect_another_device":
        expect(page.locator("code[data-origin]")).to_have_text(live_stack.url)
    screenshot(page, name)
    assert page_errors(page) == []


def test_code_pages_without_a_session_go_to_the_start(live_stack, browser_page):
    page = browser_page
    for path in ("/confirm_signup_code", "/signin_token_code", "/signin_totp_code", "/signin_recovery_code"):
        page.goto(live_stack.url + path)
        arrive(page, live_stack.url + "/")
        expect(page.locator("#email-form")).to_be_visible()
