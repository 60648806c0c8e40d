"""Customs on the two-step routes: TOTP setup and codes, backup codes, MFA step-up (customs.md §3).

Each action's rule fires on each route that checks it; and under the shipped rules the limits
that replaced the hand-written counters hold: ten TOTP codes per 30 seconds, ten backup codes
per 10 minutes and ten step-up codes per 15 minutes for an account from one IP, every code
counted, right or wrong (as upstream's customs v2 counts).
"""
import time
from types import SimpleNamespace

import django_ratelimit.core
import pytest

from accounts import onepw
from accounts.twofactor import mfa, otp
from accounts.twofactor.models import TotpToken
from accounts.twofactor.services import recovery_codes
from tests import factories
from tests.accounts.test_customs_wiring import assert_rule_fires
from tests.accounts.test_password_reset import send_code
from tests.helpers import MailingApiClient, assert_error, ok, stretch, token_key

from .conftest import code, mid_step

pytestmark = pytest.mark.django_db

IP = "203.0.113.60"


@pytest.fixture
def api():
    return MailingApiClient(IP)


def with_totp(user):
    """Two-step authentication on (no code used yet); returns the secret."""
    return TotpToken.objects.create(
        account=user.account, shared_secret=otp.new_secret(), verified=True, enabled=True
    ).shared_secret


def wrong(secret):
    return "000000" if code(secret) != "000000" else "111111"


def forgot_token(api, user):
    return send_code(api, user.email)[0]["passwordForgotToken"]


@pytest.fixture
def one_window(monkeypatch):
    """django-ratelimit's windows (fixed, jittered per value) frozen at this moment, so that a
    test's requests fall into one 30-second window however slow the machine."""
    frozen = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: frozen))


def step_up(api, user, action="2fa"):
    """A step-up JWT without the mail: the code is computed as the server computes it."""
    value = mfa.otp_code(user.account, token_key(user.session_token), action)
    return ok(api.post("/mfa/otp/verify", {"action": action, "code": value},
                       token=user.session_token))["accessToken"]


# Each route: (api, user) -> one request of the action, after any setup.

def totp_create(api, user):
    return lambda: api.post("/totp/create", {}, token=user.session_token)


def totp_setup_verify(api, user):
    secret = ok(api.post("/totp/create", {}, token=user.session_token))["secret"]
    return lambda: api.post("/totp/setup/verify", {"code": wrong(secret)}, token=user.session_token)


def session_verify_totp(api, user):
    secret = with_totp(user)
    return lambda: api.post("/session/verify/totp", {"code": wrong(secret)},
                            token=factories.session(user, verified=False))


def reset_verify_totp(api, user):
    secret, token = with_totp(user), forgot_token(api, user)
    return lambda: api.post("/totp/verify", {"code": wrong(secret)}, token=token,
                            token_type="passwordForgotToken")


def session_verify_backup_code(api, user):
    with_totp(user)
    recovery_codes.new_set(user.account)
    return lambda: api.post("/session/verify/recoveryCode", {"code": "zzzzzzzzzz"},
                            token=factories.session(user, verified=False))


def reset_verify_backup_code(api, user):
    with_totp(user)
    recovery_codes.new_set(user.account)
    token = forgot_token(api, user)
    return lambda: api.post("/totp/verify/recoveryCode", {"code": "zzzzzzzzzz"}, token=token,
                            token_type="passwordForgotToken")


def mfa_request(api, user):
    return lambda: api.post("/mfa/otp/request", {"action": "2fa"}, token=user.session_token)


def mfa_verify(api, user):
    return lambda: api.post("/mfa/otp/verify", {"action": "2fa", "code": "000000"},
                            token=user.session_token)


def mfa_password_change(api, user):
    access = step_up(api, user, "password")
    new_auth_pw, new_unwrap = stretch(user.email, "a new password")
    body = {"authPW": new_auth_pw, "wrapKb": onepw.xor(bytes(32), new_unwrap).hex(),
            "oldAuthPW": stretch(user.email, "not the old password")[0]}
    return lambda: api.post("/mfa/password/change", body,
                            headers={"Authorization": f"Bearer {access}"})


WIRED = [
    ("totpCreate", "ip_uid", totp_create),
    ("verifyTotpCode", "ip_uid", totp_setup_verify),
    ("verifyTotpCodeFailed", "ip", totp_setup_verify),
    ("verifyTotpCode", "ip_uid", session_verify_totp),
    ("verifyTotpCodeFailed", "ip", session_verify_totp),
    ("verifyTotpCode", "uid", reset_verify_totp),
    ("verifyTotpCodeFailed", "ip", reset_verify_totp),
    ("verifyRecoveryCode", "ip_uid", session_verify_backup_code),
    ("verifyRecoveryCode", "uid", reset_verify_backup_code),
    ("sendVerifyCode", "ip_uid", mfa_request),
    ("verifySessionCode", "ip_uid", mfa_verify),
    ("verifySessionCodeFailed", "ip", mfa_verify),
    ("authenticatedPasswordChange", "ip_uid", mfa_password_change),
]


@pytest.mark.parametrize("action, block_on, route", WIRED,
                         ids=[f"{action}-{route.__name__}" for action, _, route in WIRED])
def test_the_rule_of_each_action_fires_on_its_route(api, settings, action, block_on, route):
    user = factories.account("wired-two-step@example.com")
    assert_rule_fires(route(api, user), settings, action, block_on)


# The shipped rules, where the hand-written counters were.

def test_the_eleventh_totp_code_within_30_seconds_answers_429(api, one_window):
    """verifyTotpCode : ip_uid : 10 : 30 seconds : 15 minutes. New sessions do not reset it (it
    counts on the account), the right code is refused too, and so is the setup route."""
    user = factories.account("two-step-limit@example.com")
    secret = with_totp(user)
    mid_step()
    for _ in range(10):
        login = factories.session(user, verified=False)
        assert ok(api.post("/session/verify/totp", {"code": wrong(secret)}, token=login)) == {
            "success": False
        }
    response = api.post("/session/verify/totp", {"code": code(secret)},
                        token=factories.session(user, verified=False))
    body = assert_error(response, 429, 114)
    assert 890 <= body["retryAfter"] <= 900 and response.headers["Retry-After"]
    assert_error(api.post("/totp/setup/verify", {"code": code(secret)}, token=user.session_token),
                 429, 114)
    # Another IP is not this one.
    assert ok(MailingApiClient("198.51.100.60").post(
        "/session/verify/totp", {"code": code(secret)},
        token=factories.session(user, verified=False),
    )) == {"success": True}


def test_right_codes_count_too(api, one_window):
    """Customs v2 counts every attempt, not only failures."""
    user = factories.account("two-step-right@example.com")
    secret = with_totp(user)
    mid_step()
    login = factories.session(user, verified=False)
    assert ok(api.post("/session/verify/totp", {"code": code(secret)}, token=login)) == {
        "success": True
    }
    for _ in range(9):
        login = factories.session(user, verified=False)
        ok(api.post("/session/verify/totp", {"code": wrong(secret)}, token=login))
    assert_error(api.post("/session/verify/totp", {"code": wrong(secret)},
                          token=factories.session(user, verified=False)), 429, 114)


def test_the_reset_of_a_two_step_account_has_the_same_totp_limit(api, one_window):
    user = factories.account("two-step-reset@example.com")
    secret = with_totp(user)
    token = forgot_token(api, user)
    mid_step()
    for _ in range(10):
        assert ok(api.post("/totp/verify", {"code": wrong(secret)}, token=token,
                           token_type="passwordForgotToken")) == {"success": False}
    assert_error(api.post("/totp/verify", {"code": code(secret)}, token=token,
                          token_type="passwordForgotToken"), 429, 114)


def test_the_eleventh_backup_code_within_10_minutes_answers_429(api):
    """verifyRecoveryCode : ip_uid : 10 : 10 minutes : 30 minutes."""
    user = factories.account("backup-limit@example.com")
    with_totp(user)
    codes = recovery_codes.new_set(user.account)
    for _ in range(10):
        assert_error(api.post("/session/verify/recoveryCode", {"code": "zzzzzzzzzz"},
                              token=factories.session(user, verified=False)), 400, 156)
    body = assert_error(api.post("/session/verify/recoveryCode", {"code": codes[0]},
                                 token=factories.session(user, verified=False)), 429, 114)
    assert 1790 <= body["retryAfter"] <= 1800


def test_the_eleventh_step_up_code_within_15_minutes_answers_429(api):
    """verifySessionCode : ip_uid : 10 : 15 minutes : 15 minutes, as for sign-in codes."""
    user = factories.account("step-up-limit@example.com")
    right = mfa.otp_code(user.account, token_key(user.session_token), "2fa")
    for _ in range(10):
        assert_error(api.post("/mfa/otp/verify", {"action": "2fa", "code": wrong_otp(right)},
                              token=user.session_token), 400, 183)
    assert_error(api.post("/mfa/otp/verify", {"action": "2fa", "code": right},
                          token=user.session_token), 429, 114)


def wrong_otp(right):
    return "000000" if right != "000000" else "111111"
