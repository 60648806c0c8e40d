"""How two-step authentication changes sign-in and the changes that need a second factor."""
import pytest

from tests.helpers import assert_error, ok, stretch, templates

from .conftest import code, enable_totp, mid_step, session_id

pytestmark = pytest.mark.django_db


def login(api, user, **extra):
    auth_pw, _ = stretch(user.email, user.password)
    return api.post("/account/login?keys=true", {"email": user.email, "authPW": auth_pw, **extra})


def test_login_to_a_two_step_account_must_be_confirmed_with_totp(api, user):
    secret = enable_totp(api, user.session_token)
    body = ok(login(api, user))
    # Even a brand-new account (exempt from email confirmation) must pass the second factor.
    assert (body["verified"], body["verificationReason"], body["verificationMethod"]) == (
        False, "login", "totp-2fa"
    )
    assert "verifyLoginCode" not in templates() and "verifyLogin" not in templates()
    assert_error(api.get("/account/keys", token=body["keyFetchToken"], token_type="keyFetchToken"), 400, 104)
    # No email code is sent for a two-step account.
    ok(api.post("/session/resend_code", {}, token=body["sessionToken"]))
    assert "verifyLoginCode" not in templates()
    mid_step()
    assert ok(api.post("/session/verify/totp", {"code": code(secret)}, token=body["sessionToken"])) == {
        "success": True
    }
    status = ok(api.get("/session/status", token=body["sessionToken"]))
    assert status["details"]["sessionVerificationMethod"] == "totp-2fa"
    assert status["details"]["sessionVerificationMeetsMinimumAAL"] is True
    assert ok(api.get("/account/keys", token=body["keyFetchToken"], token_type="keyFetchToken"))["bundle"]
    profile = ok(api.get("/account/profile", token=body["sessionToken"]))
    assert profile["authenticationMethods"] == ["pwd", "email", "otp"]
    assert profile["authenticatorAssuranceLevel"] == 2


def test_asking_for_totp_without_two_step_is_160(api, user):
    assert_error(login(api, user, verificationMethod="totp-2fa"), 400, 160)


def test_destroying_a_two_step_account_needs_an_aal2_session(api, user):
    enable_totp(api, user.session_token)
    auth_pw, _ = stretch(user.email, user.password)
    aal1 = ok(login(api, user))["sessionToken"]  # unconfirmed, AAL1
    body = {"email": user.email, "authPW": auth_pw}
    assert_error(api.post("/account/destroy", body, token=aal1), 400, 138)
    assert_error(api.post("/account/destroy", body), 400, 138)
    # The session that enabled two-step authentication is AAL2.
    assert ok(api.post("/account/destroy", body, token=user.session_token)) == {}


def test_password_change_on_a_two_step_account_needs_an_aal2_session(api, user):
    enable_totp(api, user.session_token)
    auth_pw, unwrap_bkey = stretch(user.email, user.password)
    aal1 = ok(login(api, user))["sessionToken"]
    start = ok(api.post("/password/change/start", {"email": user.email, "oldAuthPW": auth_pw}))
    payload = {"authPW": stretch(user.email, "new")[0], "wrapKb": "00" * 32}
    finish = dict(token=start["passwordChangeToken"], token_type="passwordChangeToken")
    assert_error(api.post("/password/change/finish", payload, **finish), 400, 138)
    assert_error(
        api.post("/password/change/finish", {**payload, "sessionToken": session_id(aal1)}, **finish), 400, 138
    )
    # The refused attempts did not spend the token: an AAL2 session completes the change.
    body = ok(api.post(
        "/password/change/finish", {**payload, "sessionToken": session_id(user.session_token)}, **finish
    ))
    assert body["verified"] is True
