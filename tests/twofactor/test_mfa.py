"""MFA step-up over HTTP: the emailed code, the JWT it buys, and the /mfa/* routes that take it."""

import time

import jwt
import pytest
from django.conf import settings

from accounts.models import SecurityEvent, SessionToken, VerificationMethod
from accounts.twofactor import mfa, otp
from accounts.twofactor.models import TotpToken
from accounts.twofactor.services import has_enabled_totp
from tests import factories
from tests.helpers import assert_error, ok, sent, token_key

from .conftest import code, mid_step

pytestmark = pytest.mark.django_db


def step_up(api, token, action="2fa"):
    """request → the code from the mail → verify: the access token."""
    assert ok(api.post("/mfa/otp/request", {"action": action}, token=token)) == {
        "status": "success"
    }
    mailed = sent("verifyAccountChange")[-1].extra_headers["X-Account-Change-Verify-Code"]
    return ok(api.post("/mfa/otp/verify", {"action": action, "code": mailed}, token=token))[
        "accessToken"
    ]


def bearer(access_token):
    return {"Authorization": f"Bearer {access_token}"}


def test_request_mails_the_code_of_this_session_and_action(api, user):
    assert ok(api.post("/mfa/otp/request", {"action": "2fa"}, token=user.session_token)) == {
        "status": "success"
    }
    [message] = sent("verifyAccountChange")
    expected = mfa.otp_code(user.account, token_key(user.session_token), "2fa")
    assert message.extra_headers["X-Account-Change-Verify-Code"] == expected
    assert "X-Signin-Verify-Code" not in message.extra_headers
    assert expected in message.body
    assert expected != mfa.otp_code(user.account, token_key(user.session_token), "email")
    other = factories.session(user.account, verification_method=VerificationMethod.EMAIL)
    assert expected != mfa.otp_code(user.account, token_key(other), "2fa")
    assert SecurityEvent.objects.filter(
        account=user.account, name="account.mfa_send_otp_code"
    ).exists()


def test_request_needs_a_verified_session_of_a_verified_account(api, user):
    assert_error(
        api.post("/mfa/otp/request", {"action": "2fa"}, token=factories.session(user.account, verified=False)),
        400,
        138,
    )
    unverified = factories.account("unverified-mfa@example.com", verified=False)
    assert_error(
        api.post("/mfa/otp/request", {"action": "2fa"}, token=unverified.session_token), 400, 104
    )
    assert_error(api.post("/mfa/otp/request", {"action": "2fa"}), 401, 110)


@pytest.mark.parametrize(
    "body, errno",
    [
        ({}, 108),
        ({"action": "everything"}, 107),
        ({"action": 2}, 107),
    ],
)
def test_request_validation(api, user, body, errno):
    assert_error(api.post("/mfa/otp/request", body, token=user.session_token), 400, errno)


def test_verify_answers_a_short_lived_jwt_scoped_to_the_action(api, user):
    token = step_up(api, user.session_token, "2fa")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == user.uid
    assert claims["scope"] == ["mfa:2fa"]
    assert claims["stid"] == token_key(user.session_token)
    assert claims["aud"] == "fxa" and claims["iss"] == settings.PUBLIC_URL
    assert claims["exp"] - claims["iat"] == settings.MFA_JWT_LIFETIME == 600
    assert claims["jti"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert SecurityEvent.objects.filter(
        account=user.account, name="account.mfa_verify_otp_code_success"
    ).exists()


def test_a_code_from_the_previous_period_is_accepted(api, user):
    sid = token_key(user.session_token)
    earlier = mfa.otp_code(user.account, sid, "2fa", at=time.time() - mfa.OTP_STEP)
    ok(api.post("/mfa/otp/verify", {"action": "2fa", "code": earlier}, token=user.session_token))
    stale = mfa.otp_code(user.account, sid, "2fa", at=time.time() - 3 * mfa.OTP_STEP)
    wrong = "000000" if stale != "000000" else "111111"
    for bad in {stale, wrong}:
        assert_error(
            api.post("/mfa/otp/verify", {"action": "2fa", "code": bad}, token=user.session_token),
            400,
            183,
        )


def test_a_code_for_another_action_is_183(api, user):
    sid = token_key(user.session_token)
    other = mfa.otp_code(user.account, sid, "email")
    if other == mfa.otp_code(user.account, sid, "2fa"):
        pytest.skip("the two codes coincide (one chance in a million)")
    assert_error(
        api.post("/mfa/otp/verify", {"action": "2fa", "code": other}, token=user.session_token),
        400,
        183,
    )
    assert SecurityEvent.objects.filter(
        account=user.account, name="account.mfa_verify_otp_code_failed"
    ).exists()


@pytest.mark.parametrize("code_value", ["12345", "1234567", "abcdef"])
def test_verify_code_format_is_107(api, user, code_value):
    assert_error(
        api.post(
            "/mfa/otp/verify", {"action": "2fa", "code": code_value}, token=user.session_token
        ),
        400,
        107,
    )


def test_the_jwt_sets_up_and_removes_totp_on_the_mfa_routes(api, user):
    access = step_up(api, user.session_token)
    mid_step()
    created = ok(api.post("/mfa/totp/create", {}, headers=bearer(access)))
    assert created["qrCodeUrl"].startswith("data:image/png;base64,")
    secret = created["secret"]
    assert ok(
        api.post("/mfa/totp/setup/verify", {"code": code(secret, -1)}, headers=bearer(access))
    ) == {"success": True}
    assert ok(
        api.post("/mfa/recoveryCodes", {"recoveryCodes": ["abcdefghjk"]}, headers=bearer(access))
    ) == {"success": True}
    assert ok(api.post("/mfa/totp/setup/complete", {}, headers=bearer(access))) == {"success": True}
    assert has_enabled_totp(user.account)
    session = SessionToken.objects.get(pk=token_key(user.session_token))
    assert session.verification_method_name == "totp-2fa"
    # The session the JWT is bound to is now AAL2, so the same JWT may remove TOTP.
    assert ok(
        api.post("/session/verify/totp", {"code": code(secret)}, token=user.session_token)
    ) == {"success": True}
    assert ok(api.post("/mfa/totp/destroy", {}, headers=bearer(access))) == {}
    assert not has_enabled_totp(user.account)
    assert [
        len(sent(t)) for t in ("postAddTwoStepAuthentication", "postRemoveTwoStepAuthentication")
    ] == [1, 1]


def test_mfa_routes_refuse_other_credentials(api, user):
    assert_error(api.post("/mfa/totp/create", {}), 401, 110)
    assert_error(api.post("/mfa/totp/create", {}, token=user.session_token), 401, 110)
    assert_error(api.post("/mfa/totp/create", {}, headers=bearer("not.a.jwt")), 401, 110)
    forged = jwt.encode(
        {
            "sub": user.uid,
            "scope": ["mfa:2fa"],
            "stid": token_key(user.session_token),
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
            "iss": settings.PUBLIC_URL,
            "aud": "fxa",
        },
        "another key of at least 32 bytes!",
        algorithm="HS256",
    )
    assert (
        assert_error(api.post("/mfa/totp/create", {}, headers=bearer(forged)), 401, 110)["detail"]
        == "Token invalid"
    )


def test_expired_jwt_is_refused(api, user):
    expired = mfa.issue_token(
        user.uid, token_key(user.session_token), "2fa", now=time.time() - 601
    )
    assert_error(api.post("/mfa/totp/create", {}, headers=bearer(expired)), 401, 110)


def test_jwt_dies_with_its_session(api, user):
    access = step_up(api, user.session_token)
    ok(api.post("/session/destroy", {}, token=user.session_token))
    body = assert_error(api.post("/mfa/totp/create", {}, headers=bearer(access)), 401, 110)
    assert body["detail"] == "Token not found"


def test_jwt_for_another_account_is_refused(api, user):
    other = factories.account("mfa-other@example.com")
    mixed = mfa.issue_token(other.uid, token_key(user.session_token), "2fa")
    assert_error(api.post("/mfa/totp/create", {}, headers=bearer(mixed)), 401, 110)


def test_jwt_of_another_action_is_403(api, user):
    access = step_up(api, user.session_token, "email")
    body = assert_error(api.post("/mfa/totp/create", {}, headers=bearer(access)), 403, 999)
    assert body["message"] == "Insufficient scope"


def test_jwt_of_a_session_below_the_accounts_level_is_refused(api, user):
    access = step_up(api, user.session_token)
    TotpToken.objects.create(
        account=user.account, shared_secret=otp.new_secret(), verified=True, enabled=True
    )
    body = assert_error(api.post("/mfa/totp/destroy", {}, headers=bearer(access)), 401, 110)
    assert body["detail"] == "AAL mismatch"


def test_mfa_recovery_codes_has_no_get(api, user):
    access = step_up(api, user.session_token)
    assert_error(api.get("/mfa/recoveryCodes", headers=bearer(access)), 405, 999)
