"""TOTP over HTTP: setup (both flows), sign-in confirmation with codes, AAL2, removal, errnos."""

import base64

import pytest

from accounts.models import KeyFetchToken, SecurityEvent, SessionToken, VerificationMethod, now_ms
from accounts.twofactor import otp
from accounts.twofactor.models import RecoveryCode, TotpToken
from accounts.twofactor.services import has_enabled_totp
from tests import factories
from tests.helpers import assert_error, ok, sent, token_key

from .conftest import code, enable_totp, mid_step

pytestmark = pytest.mark.django_db


def events(account):
    return list(SecurityEvent.objects.filter(account=account).values_list("name", flat=True))


def enabled_token(account):
    """Two-step authentication switched on directly, no code used yet."""
    return TotpToken.objects.create(
        account=account, shared_secret=otp.new_secret(), verified=True, enabled=True
    ).shared_secret


def status(api, token):
    return ok(api.get("/session/status", token=token))["details"]


# Setup.


def test_create_answers_a_base32_secret_and_a_png_qr_code(api, user):
    body = ok(api.post("/totp/create", {}, token=user.session_token))
    assert set(body) == {"qrCodeUrl", "secret"}
    assert len(body["secret"]) == 32 and len(otp.secret_key(body["secret"])) == 20
    prefix = "data:image/png;base64,"
    assert body["qrCodeUrl"].startswith(prefix)
    assert base64.b64decode(body["qrCodeUrl"][len(prefix) :])[:4] == b"\x89PNG"
    # Until set up, two-step authentication is not on; asking again gives the same secret.
    assert ok(api.get("/totp/exists", token=user.session_token)) == {
        "exists": False,
        "verified": False,
    }
    assert ok(api.post("/totp/create", {}, token=user.session_token))["secret"] == body["secret"]
    assert user.account.authenticator_assurance_level == 1


def test_setup_verify_complete_enables_totp_and_raises_the_session_to_aal2(api, user):
    other = factories.session(user.account, verification_method=VerificationMethod.EMAIL)
    assert status(api, user.session_token)["sessionVerificationMethod"] == "email"

    enable_totp(api, user.session_token)

    assert ok(api.get("/totp/exists", token=user.session_token)) == {
        "exists": True,
        "verified": True,
    }
    assert has_enabled_totp(user.account)
    user.account.refresh_from_db()
    assert user.account.authenticator_assurance_level == 2
    details = status(api, user.session_token)
    assert details["sessionVerificationMethod"] == "totp-2fa"
    assert details["sessionVerificationMeetsMinimumAAL"] is True
    # A session verified only by email no longer meets the account's level.
    assert status(api, other)["sessionVerificationMeetsMinimumAAL"] is False
    assert (
        ok(api.get("/account/profile", token=user.session_token))["authenticatorAssuranceLevel"]
        == 2
    )
    assert len(sent("postAddTwoStepAuthentication")) == 1
    assert "account.two_factor_added" in events(user.account)


def test_create_when_totp_is_enabled_is_154(api, user):
    enable_totp(api, user.session_token)
    assert_error(api.post("/totp/create", {}, token=user.session_token), 400, 154)


def test_create_complete_and_destroy_need_a_verified_session(api, user):
    token = factories.session(user.account, verified=False)
    assert_error(api.post("/totp/create", {}, token=token), 400, 138)
    assert_error(api.post("/totp/setup/complete", {}, token=token), 400, 138)
    assert_error(api.post("/totp/destroy", {}, token=token), 400, 138)


def test_setup_without_a_secret_is_155(api, user):
    assert_error(
        api.post("/totp/setup/verify", {"code": "123456"}, token=user.session_token), 400, 155
    )
    assert_error(api.post("/totp/setup/complete", {}, token=user.session_token), 400, 155)


def test_setup_with_a_wrong_code_is_152_and_complete_waits_for_a_right_one(api, user):
    mid_step()
    secret = ok(api.post("/totp/create", {}, token=user.session_token))["secret"]
    wrong = "000000" if code(secret) != "000000" else "111111"
    assert_error(
        api.post("/totp/setup/verify", {"code": wrong}, token=user.session_token), 400, 152
    )
    assert_error(api.post("/totp/setup/complete", {}, token=user.session_token), 400, 152)
    assert not has_enabled_totp(user.account)
    ok(api.post("/totp/setup/verify", {"code": code(secret)}, token=user.session_token))
    # The same code again is a replay.
    assert_error(
        api.post("/totp/setup/verify", {"code": code(secret)}, token=user.session_token), 400, 152
    )
    assert ok(api.post("/totp/setup/complete", {}, token=user.session_token)) == {"success": True}


def test_a_pending_secret_lasts_an_hour(api, user):
    secret = ok(api.post("/totp/create", {}, token=user.session_token))["secret"]
    TotpToken.objects.filter(pk=user.uid).update(
        created_at=now_ms() - TotpToken.PENDING_LIFETIME_MS - 1
    )
    assert_error(
        api.post("/totp/setup/verify", {"code": code(secret)}, token=user.session_token), 400, 155
    )
    assert ok(api.post("/totp/create", {}, token=user.session_token))["secret"] != secret


def test_create_again_forgets_an_earlier_setup_verification(api, user):
    mid_step()
    secret = ok(api.post("/totp/create", {}, token=user.session_token))["secret"]
    ok(api.post("/totp/setup/verify", {"code": code(secret)}, token=user.session_token))
    ok(api.post("/totp/create", {}, token=user.session_token))
    assert_error(api.post("/totp/setup/complete", {}, token=user.session_token), 400, 152)


def test_bad_code_format_is_107(api, user):
    for bad in ("12a456", 123456, "1" * 33):
        assert_error(
            api.post("/totp/setup/verify", {"code": bad}, token=user.session_token), 400, 107
        )
    assert_error(api.post("/session/verify/totp", {}, token=user.session_token), 400, 108)


# The older flow: the first valid /session/verify/totp enables the pending secret.


def test_older_flow_enables_on_first_session_verification_and_answers_backup_codes(api, user):
    mid_step()
    secret = ok(api.post("/totp/create", {}, token=user.session_token))["secret"]
    body = ok(api.post("/session/verify/totp", {"code": code(secret)}, token=user.session_token))
    assert body["success"] is True
    assert len(body["recoveryCodes"]) == 8
    assert has_enabled_totp(user.account)
    assert status(api, user.session_token)["sessionVerificationMethod"] == "totp-2fa"
    assert len(sent("postAddTwoStepAuthentication")) == 1
    # The codes answered are the account's.
    login = factories.session(user.account, verified=False)
    assert ok(
        api.post("/session/verify/recoveryCode", {"code": body["recoveryCodes"][0]}, token=login)
    ) == {"remaining": 7}


def test_older_flow_keeps_codes_set_during_setup(api, user):
    mid_step()
    secret = ok(api.post("/totp/create", {}, token=user.session_token))["secret"]
    ok(api.post("/recoveryCodes", {"recoveryCodes": ["abcdefghjk"]}, token=user.session_token))
    body = ok(api.post("/session/verify/totp", {"code": code(secret)}, token=user.session_token))
    assert body == {"success": True}
    assert RecoveryCode.objects.filter(account=user.account).count() == 1


# Sign-in confirmation with a code.


def test_valid_code_verifies_a_sign_in_with_totp_2fa(api, user):
    secret = enabled_token(user.account)
    login = factories.session(user.account, verified=False)
    assert status(api, login)["sessionVerified"] is False
    mid_step()
    assert ok(api.post("/session/verify/totp", {"code": code(secret)}, token=login)) == {
        "success": True
    }
    details = status(api, login)
    assert details["sessionVerified"] is True
    assert details["sessionVerificationMethod"] == "totp-2fa"
    assert details["sessionVerificationMeetsMinimumAAL"] is True
    assert SessionToken.objects.get(pk=token_key(login)).authenticator_assurance_level == 2
    assert len(sent("newDeviceLogin")) == 1
    assert "account.two_factor_challenge_success" in events(user.account)


@pytest.mark.parametrize("steps", [-1, 1])
def test_codes_of_the_previous_and_next_period_are_accepted(api, user, steps):
    secret = enabled_token(user.account)
    login = factories.session(user.account, verified=False)
    mid_step()
    assert ok(api.post("/session/verify/totp", {"code": code(secret, steps)}, token=login)) == {
        "success": True
    }


@pytest.mark.parametrize("steps", [-2, 2])
def test_codes_two_periods_away_are_refused(api, user, steps):
    secret = enabled_token(user.account)
    login = factories.session(user.account, verified=False)
    mid_step()
    assert ok(api.post("/session/verify/totp", {"code": code(secret, steps)}, token=login)) == {
        "success": False
    }
    assert status(api, login)["sessionVerified"] is False
    assert events(user.account).count("account.two_factor_challenge_failure") == 1


def test_a_code_is_accepted_once(api, user):
    secret = enabled_token(user.account)
    first, second = factories.session(user.account, verified=False), factories.session(user.account, verified=False)
    mid_step()
    current = code(secret)
    assert ok(api.post("/session/verify/totp", {"code": current}, token=first)) == {"success": True}
    assert ok(api.post("/session/verify/totp", {"code": current}, token=second)) == {
        "success": False
    }
    # Nor is an older code, once a newer one was used.
    assert ok(api.post("/session/verify/totp", {"code": code(secret, -1)}, token=second)) == {
        "success": False
    }
    assert ok(api.post("/session/verify/totp", {"code": code(secret, 1)}, token=second)) == {
        "success": True
    }


def test_verify_without_totp_is_155_and_the_misspelled_alias_works(api, user):
    assert_error(
        api.post("/session/verify/totp", {"code": "123456"}, token=user.session_token), 400, 155
    )
    assert_error(
        api.post("/session/verifiy/totp", {"code": "123456"}, token=user.session_token), 400, 155
    )
    secret = enabled_token(user.account)
    login = factories.session(user.account, verified=False)
    mid_step()
    assert ok(api.post("/session/verifiy/totp", {"code": code(secret)}, token=login)) == {
        "success": True
    }


def test_hawk_signed_verification(api, user):
    secret = enabled_token(user.account)
    login = factories.session(user.account, verified=False)
    mid_step()
    body = {"code": code(secret), "service": "sync"}
    assert ok(api.post("/session/verify/totp", body, token=login, scheme="hawk")) == {
        "success": True
    }


def test_verification_also_confirms_the_key_fetch_token_of_the_sign_in(api, user):
    secret = enabled_token(user.account)
    login = factories.session(user.account, verified=False)
    waiting = SessionToken.objects.get(pk=token_key(login)).token_verification_id
    KeyFetchToken.objects.create(
        token_id="ab" * 32,
        auth_key="cd" * 32,
        account=user.account,
        key_bundle="00" * 96,
        token_verification_id=waiting,
    )
    mid_step()
    ok(api.post("/session/verify/totp", {"code": code(secret)}, token=login))
    assert KeyFetchToken.objects.get(pk="ab" * 32).token_verified


# Removal.


def test_destroy_turns_two_step_authentication_off(api, user):
    enable_totp(api, user.session_token)
    ok(api.get("/recoveryCodes", token=user.session_token))
    assert ok(api.post("/totp/destroy", {}, token=user.session_token)) == {}
    assert ok(api.get("/totp/exists", token=user.session_token)) == {
        "exists": False,
        "verified": False,
    }
    assert not RecoveryCode.objects.filter(account=user.account).exists()
    assert user.account.authenticator_assurance_level == 1
    assert status(api, user.session_token)["sessionVerificationMethod"] == "email-2fa"
    assert len(sent("postRemoveTwoStepAuthentication")) == 1
    assert "account.two_factor_removed" in events(user.account)


def test_destroy_of_a_pending_setup_sends_no_mail(api, user):
    ok(api.post("/totp/create", {}, token=user.session_token))
    assert ok(api.post("/totp/destroy", {}, token=user.session_token)) == {}
    assert not TotpToken.objects.filter(pk=user.uid).exists()
    assert sent("postRemoveTwoStepAuthentication") == []


def test_accounts_are_independent(api, user):
    enable_totp(api, user.session_token)
    other = factories.account("someone-else@example.com")
    assert not has_enabled_totp(other.account)
    assert ok(api.get("/totp/exists", token=other.session_token)) == {
        "exists": False,
        "verified": False,
    }
