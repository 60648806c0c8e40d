"""The reset of a two-step account: /totp/verify and /totp/verify/recoveryCode with the
passwordForgotToken, which /password/forgot/verify_code then requires."""
import pytest

from accounts.models import PasswordForgotToken, SecurityEvent
from tests.accounts.test_password_reset import send_code, verify_code
from tests.helpers import assert_error, ok, sent

from .conftest import code, enable_totp, mid_step

pytestmark = pytest.mark.django_db


def totp_verify(api, forgot_token, value):
    return api.post("/totp/verify", {"code": value}, token=forgot_token,
                    token_type="passwordForgotToken")


def recovery_verify(api, forgot_token, value):
    return api.post("/totp/verify/recoveryCode", {"code": value}, token=forgot_token,
                    token_type="passwordForgotToken")


@pytest.fixture
def secret(api, user):
    return enable_totp(api, user.session_token)


def test_verify_code_of_a_two_step_account_needs_the_second_factor_first(api, user, secret):
    body, pass_code = send_code(api, user.email)
    forgot_token = body["passwordForgotToken"]
    assert_error(verify_code(api, forgot_token, pass_code), 400, 138)
    assert PasswordForgotToken.objects.get(account=user.account).tries == 3  # no try spent
    mid_step()
    assert ok(totp_verify(api, forgot_token, code(secret))) == {"success": True}
    assert PasswordForgotToken.objects.get(account=user.account).totp_verified_at
    assert ok(verify_code(api, forgot_token, pass_code))["accountResetToken"]
    assert SecurityEvent.objects.filter(
        account=user.account, name="account.two_factor_challenge_success"
    ).exists()


def test_wrong_or_replayed_code_is_success_false_and_marks_nothing(api, user):
    mid_step()
    secret = ok(api.post("/totp/create", {}, token=user.session_token))["secret"]
    setup_code = code(secret, -1)
    ok(api.post("/totp/setup/verify", {"code": setup_code}, token=user.session_token))
    ok(api.post("/totp/setup/complete", {}, token=user.session_token))
    body, pass_code = send_code(api, user.email)
    forgot_token = body["passwordForgotToken"]
    mid_step()
    assert ok(totp_verify(api, forgot_token, "000000" if code(secret) != "000000" else "111111")) == {
        "success": False
    }
    # Replaying the code the setup used fails too, whichever period it is now.
    assert ok(totp_verify(api, forgot_token, setup_code)) == {"success": False}
    assert PasswordForgotToken.objects.get(account=user.account).totp_verified_at is None
    assert_error(verify_code(api, forgot_token, pass_code), 400, 138)
    assert SecurityEvent.objects.filter(
        account=user.account, name="account.two_factor_challenge_failure"
    ).count() == 2
    # A code is good once: after a success the same code fails.
    current = code(secret)
    assert ok(totp_verify(api, forgot_token, current)) == {"success": True}
    assert ok(totp_verify(api, forgot_token, current)) == {"success": False}


def test_account_without_two_step_is_155_and_its_reset_needs_nothing(api, user):
    body, pass_code = send_code(api, user.email)
    assert_error(totp_verify(api, body["passwordForgotToken"], "123456"), 400, 155)
    assert_error(recovery_verify(api, body["passwordForgotToken"], "abcdefgh12"), 400, 156)
    assert ok(verify_code(api, body["passwordForgotToken"], pass_code))["accountResetToken"]


def test_needs_a_live_forgot_token(api, user, secret):
    assert_error(api.post("/totp/verify", {"code": "123456"}), 401, 110)
    assert_error(api.post("/totp/verify", {"code": "123456"}, token=user.session_token), 401, 110)
    assert_error(api.post("/totp/verify/recoveryCode", {"code": "abc"}), 401, 110)


def test_body_validation(api, user, secret):
    body, _ = send_code(api, user.email)
    forgot_token = body["passwordForgotToken"]
    assert_error(totp_verify(api, forgot_token, "12a456"), 400, 107)
    assert_error(recovery_verify(api, forgot_token, "!!"), 400, 107)


def test_a_backup_code_stands_in_for_the_app(api, user, secret):
    codes = ok(api.get("/recoveryCodes", token=user.session_token))["recoveryCodes"]
    body, pass_code = send_code(api, user.email)
    forgot_token = body["passwordForgotToken"]
    assert_error(recovery_verify(api, forgot_token, "0000000000"), 400, 156)
    assert PasswordForgotToken.objects.get(account=user.account).totp_verified_at is None
    assert ok(recovery_verify(api, forgot_token, codes[0])) == {"remaining": len(codes) - 1}
    assert_error(recovery_verify(api, forgot_token, codes[0]), 400, 156)  # spent
    assert not sent("postSigninRecoveryCode")
    assert ok(verify_code(api, forgot_token, pass_code))["accountResetToken"]


def test_a_new_forgot_token_needs_the_second_factor_again(api, user, secret):
    body, _ = send_code(api, user.email)
    mid_step()
    assert ok(totp_verify(api, body["passwordForgotToken"], code(secret))) == {"success": True}
    again, pass_code = send_code(api, user.email)
    assert_error(verify_code(api, again["passwordForgotToken"], pass_code), 400, 138)
