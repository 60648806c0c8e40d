"""Every customs action of the account routes is checked where upstream checks it (customs.md §3):
under a tight rule for that action alone, the (max+1)-th request of its route answers 429 errno
114 with the wait, and the requests before it do not. Also: a password reset lifts the address's
sign-in block, and "this wasn't me" on an unblock code is recorded."""
import itertools
import logging

import pytest
from django.test import Client

from accounts.models import SecurityEvent
from accounts.tokens import create_account_reset_token
from tests import factories
from tests.helpers import MailingApiClient, assert_error, ok, stretch

from .flow_helpers import clear_mail, last, login
from .test_password_reset import reset, send_code, verify_code

pytestmark = pytest.mark.django_db

IP = "203.0.113.50"  # not the factories' 127.0.0.1: nothing else counts from here
MAX = 2


@pytest.fixture
def api():
    return MailingApiClient(IP)


@pytest.fixture
def user():
    user = factories.account("wired@example.com")
    clear_mail()
    return user


def _auth_pw(user, password=None):
    return stretch(user.email, password or user.password)[0]


# Each route: (api, user) -> a function making one request of the action, after any setup.

def account_create(api, user):
    numbers = itertools.count()

    def attempt():
        email = f"new{next(numbers)}@example.com"
        return api.post("/account/create", {"email": email, "authPW": stretch(email)[0]})
    return attempt


def account_status_by_email(api, user):
    return lambda: api.post("/account/status", {"email": user.email})


def account_status_by_uid(api, user):
    return lambda: api.get(f"/account/status?uid={user.uid}")


def credentials_status(api, user):
    return lambda: api.post("/account/credentials/status", {"email": user.email})


def account_destroy_wrong_password(api, user):
    body = {"email": user.email, "authPW": _auth_pw(user, "not the password")}
    return lambda: api.post("/account/destroy", body, token=user.session_token)


def session_reauth(api, user):
    body = {"email": user.email, "authPW": _auth_pw(user)}
    return lambda: api.post("/session/reauth", body, token=user.session_token)


def password_change_start(api, user):
    body = {"email": user.email, "oldAuthPW": _auth_pw(user)}
    return lambda: api.post("/password/change/start", body)


def forgot_send_code(api, user):
    return lambda: api.post("/password/forgot/send_code", {"email": user.email})


def forgot_resend_code(api, user):
    token = ok(api.post("/password/forgot/send_code", {"email": user.email}))["passwordForgotToken"]
    return lambda: api.post("/password/forgot/resend_code", {}, token=token,
                            token_type="passwordForgotToken")


def forgot_verify_code(api, user):
    token = ok(api.post("/password/forgot/send_code", {"email": user.email}))["passwordForgotToken"]
    return lambda: verify_code(api, token, "00" * 16)  # the token survives two wrong codes


def forgot_send_otp(api, user):
    return lambda: api.post("/password/forgot/send_otp", {"email": user.email})


def forgot_verify_otp(api, user):
    return lambda: api.post("/password/forgot/verify_otp", {"email": user.email, "code": "00000000"})


def recovery_key_exists(api, user):
    return lambda: api.post("/recoveryKey/exists", {"email": user.email})


def recovery_key_hint(api, user):
    return lambda: api.get(f"/recoveryKey/hint?email={user.email}")


def recovery_key_verify(api, user):
    return lambda: api.post("/recoveryKey/verify", {"recoveryKeyId": "ab" * 16},
                            token=user.session_token)


def recovery_key_data(api, user):
    token = create_account_reset_token(user.account)
    return lambda: api.get(f"/recoveryKey/{'ab' * 16}", token=token, token_type="accountResetToken")


def send_unblock_code(api, user):
    return lambda: api.post("/account/login/send_unblock_code", {"email": user.email})


def session_resend_code(api, user):
    token = factories.session(user, verified=False)
    return lambda: api.post("/session/resend_code", token=token)


def session_verify_code(api, user):
    token = factories.session(user, verified=False)
    return lambda: api.post("/session/verify_code", {"code": "000000"}, token=token)


def recovery_email_resend_code(api, user):
    token = factories.session(user, verified=False)
    return lambda: api.post("/recovery_email/resend_code", {}, token=token)


def recovery_email_verify_code(api, user):
    return lambda: api.post("/recovery_email/verify_code", {"uid": user.uid, "code": "00" * 16})


def create_email(api, user):
    numbers = itertools.count()
    return lambda: api.post("/recovery_email", {"email": f"second{next(numbers)}@example.com"},
                            token=user.session_token)


def secondary_resend_code(api, user):
    ok(api.post("/recovery_email", {"email": "second@example.com"}, token=user.session_token))
    return lambda: api.post("/recovery_email/secondary/resend_code",
                            {"email": "second@example.com"}, token=user.session_token)


def secondary_verify_code(api, user):
    ok(api.post("/recovery_email", {"email": "second@example.com"}, token=user.session_token))
    return lambda: api.post("/recovery_email/secondary/verify_code",
                            {"email": "second@example.com", "code": "000000"},
                            token=user.session_token)


WIRED = [
    ("accountCreate", "ip", account_create),
    ("accountStatusCheck", "ip_email", account_status_by_email),
    ("accountStatusCheck", "uid", account_status_by_uid),
    ("getCredentialsStatus", "ip_email", credentials_status),
    ("accountDestroy", "ip_uid", account_destroy_wrong_password),
    ("accountDestroyFailed", "ip", account_destroy_wrong_password),
    ("authenticatedAccountLogin", "ip_uid", session_reauth),
    ("passwordChange", "ip_email", password_change_start),
    ("passwordForgotSendCode", "ip_email", forgot_send_code),
    ("passwordForgotResendCode", "ip_email", forgot_resend_code),
    ("passwordForgotVerifyCode", "ip_email", forgot_verify_code),
    ("passwordForgotSendOtp", "ip_email", forgot_send_otp),
    ("passwordForgotVerifyOtp", "ip_email", forgot_verify_otp),
    ("passwordForgotVerifyOtpPerDay", "ip_email", forgot_verify_otp),
    ("recoveryKeyExists", "ip", recovery_key_exists),
    ("recoveryKeyExists", "ip_email", recovery_key_hint),
    ("getRecoveryKey", "ip_uid", recovery_key_verify),
    ("getRecoveryKey", "uid", recovery_key_data),
    ("sendUnblockCode", "ip_email", send_unblock_code),
    ("sendVerifyCode", "ip_uid", session_resend_code),
    ("verifySessionCode", "ip_uid", session_verify_code),
    ("verifySessionCodeFailed", "ip", session_verify_code),
    ("recoveryEmailResendCode", "ip_uid", recovery_email_resend_code),
    ("recoveryEmailVerifyCode", "ip_uid", recovery_email_verify_code),
    ("createEmail", "ip_uid", create_email),
    ("recoveryEmailSecondaryResendCode", "ip_email", secondary_resend_code),
    ("recoveryEmailSecondaryVerifyCode", "ip_uid", secondary_verify_code),
]


def assert_rule_fires(attempt, settings, action, block_on):
    """Only this rule (a 24-hour window: no test straddles it): ``MAX`` requests pass customs,
    the next is refused with the block's wait."""
    settings.CUSTOMS_RULES = f"{action} : {block_on} : {MAX} : 24 hours : 15 minutes"
    for _ in range(MAX):
        response = attempt()
        assert response.status_code != 429, response.content
    response = attempt()
    body = assert_error(response, 429, 114)
    assert 890 <= body["retryAfter"] <= 900
    assert response.headers["Retry-After"] == str(body["retryAfter"])
    assert body["retryAfterLocalized"] == "in 15 minutes"
    return body


@pytest.mark.parametrize("action, block_on, route", WIRED,
                         ids=[f"{action}-{route.__name__}" for action, _, route in WIRED])
def test_the_rule_of_each_action_fires_on_its_route(api, user, settings, action, block_on, route):
    attempt = route(api, user)
    body = assert_rule_fires(attempt, settings, action, block_on)
    assert "verificationMethod" not in body  # only sign-in offers the unblock code


def test_a_ban_on_wrong_passwords_at_destroy_refuses_the_right_password_too(api, user, settings):
    settings.CUSTOMS_RULES = (
        "accountDestroy : ip : 100 : 24 hours : 15 minutes;"
        "accountDestroyFailed : ip : 1 : 24 hours : 1 hour : ban"
    )
    wrong = {"email": user.email, "authPW": _auth_pw(user, "not the password")}
    assert_error(api.post("/account/destroy", wrong, token=user.session_token), 400, 103)
    assert_error(api.post("/account/destroy", wrong, token=user.session_token), 429, 114)
    right = {"email": user.email, "authPW": _auth_pw(user)}
    assert_error(api.post("/account/destroy", right, token=user.session_token), 429, 114)
    user.account.refresh_from_db()  # still there


def test_the_confirmation_link_page_says_when_to_try_again(user, settings):
    """/verify_email and /complete_signin confirm through the same check as
    /v1/recovery_email/verify_code: refused, the page says so in words (status 429)."""
    settings.CUSTOMS_RULES = "recoveryEmailVerifyCode : ip_uid : 1 : 24 hours : 15 minutes"
    browser = Client(REMOTE_ADDR=IP)
    form = {"uid": user.uid, "code": "00" * 16}
    assert browser.post("/complete_signin", form).status_code == 400  # the code is wrong
    response = browser.post("/complete_signin", form)
    assert response.status_code == 429
    assert 890 <= int(response["Retry-After"]) <= 900
    assert "Try again in 15 minutes." in response.content.decode()


def test_unknown_addresses_are_counted_before_they_are_looked_up(api, settings):
    """An enumeration probe learns nothing from 102 once refused: it is counted all the same."""
    settings.CUSTOMS_RULES = "sendUnblockCode : ip : 1 : 24 hours : 15 minutes"
    assert_error(api.post("/account/login/send_unblock_code", {"email": "no@example.com"}), 400, 102)
    assert_error(api.post("/account/login/send_unblock_code", {"email": "no2@example.com"}), 429, 114)


def test_the_shipped_rules_limit_recovery_key_lookups_by_address_per_ip(api, user):
    """recoveryKeyExists : ip : 100 : 15 minutes (it replaced a counter of 20 per IP); a
    session's own lookups are not limited (upstream)."""
    for _ in range(100):
        assert ok(api.post("/recoveryKey/exists", {"email": user.email})) == {"exists": False}
    assert_error(api.post("/recoveryKey/exists", {"email": user.email}), 429, 114)
    assert_error(api.get(f"/recoveryKey/hint?email={user.email}"), 429, 114)
    assert ok(api.post("/recoveryKey/exists", {}, token=user.session_token)) == {"exists": False}
    ok(MailingApiClient("198.51.100.9").post("/recoveryKey/exists", {"email": user.email}))


# Password reset: the address's self-service blocks go (upstream's unblockIfReset).

NEW_PASSWORD = "a new password after the block"


def test_a_password_reset_lifts_the_sign_in_block_of_the_address(api, user):
    for _ in range(5):  # the default rules: accountLogin : ip_email : 5 : 15 minutes
        assert_error(login(api, user.email, "wrong password"), 400, 103)
    assert_error(login(api, user.email, "wrong password"), 429, 114)
    body, code = send_code(api, user.email)
    reset_token = ok(verify_code(api, body["passwordForgotToken"], code))["accountResetToken"]
    assert_error(login(api, user.email, NEW_PASSWORD), 429, 114)  # blocked until the reset
    ok(reset(api, reset_token, user.email, NEW_PASSWORD))
    ok(login(api, user.email, NEW_PASSWORD))


def test_a_reset_keeps_the_bare_ip_ban(api, user, settings):
    settings.CUSTOMS_RULES = "accountLogin : ip : 1 : 24 hours : 1 hour : ban"
    ok(login(api, user.email))
    assert_error(login(api, user.email), 429, 114)
    reset_token = create_account_reset_token(user.account)
    ok(reset(api, reset_token, user.email, NEW_PASSWORD))
    assert_error(login(api, user.email, NEW_PASSWORD), 429, 114)


# "This wasn't me": /account/login/reject_unblock_code.

def test_rejecting_an_unblock_code_deletes_it_and_records_the_report(api, user, caplog):
    ok(api.post("/account/login/send_unblock_code", {"email": user.email}))
    code = last("unblockCode").extra_headers["X-Unblock-Code"]
    with caplog.at_level(logging.WARNING, logger="fxa.accounts"):
        ok(api.post("/account/login/reject_unblock_code", {"uid": user.uid, "unblockCode": code}))
    [event] = SecurityEvent.objects.filter(account=user.account,
                                           name="account.login.rejectedUnblockCode")
    assert event.ip_address == IP
    assert any(user.uid in record.getMessage() and record.levelno == logging.WARNING
               for record in caplog.records)
    # The code is gone: neither a second report nor a sign-in can use it.
    assert_error(api.post("/account/login/reject_unblock_code",
                          {"uid": user.uid, "unblockCode": code}), 400, 127)
    assert_error(login(api, user.email, unblockCode=code), 400, 127)
    assert SecurityEvent.objects.filter(name="account.login.rejectedUnblockCode").count() == 1


def test_rejecting_a_wrong_code_records_nothing(api, user):
    assert_error(api.post("/account/login/reject_unblock_code",
                          {"uid": user.uid, "unblockCode": "AAAAAAAA"}), 400, 127)
    assert not SecurityEvent.objects.filter(name="account.login.rejectedUnblockCode").exists()
