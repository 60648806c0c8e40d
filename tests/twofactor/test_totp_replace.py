"""Replacing an enabled authenticator (/totp/replace/start → /confirm and their /mfa/ twins), and
/mfa/password/create: what the settings pages of two-step authentication and password call."""
import pytest

from accounts import onepw
from accounts.models import Account, SecurityEvent
from accounts.twofactor.models import TotpToken
from tests.helpers import assert_error, ok, sent, stretch

from .conftest import code, enable_totp, mid_step
from .test_mfa import bearer, step_up

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a first password made in settings"


def test_the_new_authenticator_replaces_the_old_one_only_once_confirmed(api, user):
    old_secret = enable_totp(api, user.session_token)
    access = step_up(api, user.session_token)
    started = ok(api.post("/mfa/totp/replace/start", {}, headers=bearer(access)))
    assert started["qrCodeUrl"].startswith("data:image/png;base64,")
    new_secret = started["secret"]
    assert new_secret != old_secret
    # Asked again within the hour: the same new secret (a reload of the page keeps the QR code).
    again = ok(api.post("/mfa/totp/replace/start", {}, headers=bearer(access)))
    assert again["secret"] == new_secret
    # Until the swap, the old app is the one that counts.
    assert TotpToken.objects.get(pk=user.uid).shared_secret == old_secret
    mid_step()
    assert_error(
        api.post("/mfa/totp/replace/confirm", {"code": code(old_secret)}, headers=bearer(access)),
        400, 152,
    )
    assert ok(api.post(
        "/mfa/totp/replace/confirm", {"code": code(new_secret)}, headers=bearer(access)
    )) == {"success": True}
    token = TotpToken.objects.get(pk=user.uid)
    assert (token.shared_secret, token.enabled, token.replacement_secret) == (new_secret, True, "")
    assert SecurityEvent.objects.filter(
        account=user.account, name="account.two_factor_replace_success"
    ).count() == 1
    assert len(sent("postChangeTwoStepAuthentication")) == 1
    # Nothing left to confirm: a second confirm is 155.
    assert_error(
        api.post("/mfa/totp/replace/confirm", {"code": code(new_secret, 1)}, headers=bearer(access)),
        400, 155,
    )


def test_replace_needs_an_enabled_authenticator(api, user):
    access = step_up(api, user.session_token)
    assert_error(api.post("/mfa/totp/replace/start", {}, headers=bearer(access)), 400, 155)
    assert_error(
        api.post("/mfa/totp/replace/confirm", {"code": "123456"}, headers=bearer(access)), 400, 155
    )


def test_the_session_token_routes_replace_too(api, user):
    enable_totp(api, user.session_token)
    new_secret = ok(api.post("/totp/replace/start", {}, token=user.session_token))["secret"]
    mid_step()
    assert ok(api.post(
        "/totp/replace/confirm", {"code": code(new_secret)}, token=user.session_token
    )) == {"success": True}
    assert TotpToken.objects.get(pk=user.uid).shared_secret == new_secret


def test_mfa_replace_needs_the_2fa_scope(api, user):
    enable_totp(api, user.session_token)
    access = step_up(api, user.session_token, "password")
    assert_error(api.post("/mfa/totp/replace/start", {}, headers=bearer(access)), 403, 999)


def test_mfa_password_create_sets_a_first_password_with_both_stretches(api, user):
    access = step_up(api, user.session_token, "password")
    Account.objects.filter(pk=user.uid).update(verifier_set_at=0)
    kb = bytes(range(32))
    auth_pw, unwrap = stretch(user.email, NEW_PASSWORD)
    salt = "identity.mozilla.com/picl/v1/quickStretchV2:" + "ab" * 16
    v2 = onepw.quick_stretch_v2(salt, NEW_PASSWORD)
    body = {
        "authPW": auth_pw,
        "wrapKb": onepw.xor(kb, unwrap).hex(),
        "authPWVersion2": onepw.auth_pw(v2).hex(),
        "wrapKbVersion2": onepw.xor(kb, onepw.unwrap_bkey(v2)).hex(),
        "clientSalt": salt,
    }
    created = ok(api.post("/mfa/password/create", body, headers=bearer(access)))
    assert created == Account.objects.get(pk=user.uid).verifier_set_at > 0
    ok(api.post("/account/login", {"email": user.email, "authPW": auth_pw}))
    # A second time is 206: the account has a password now.
    assert_error(api.post("/mfa/password/create", body, headers=bearer(access)), 400, 206)


def test_mfa_password_create_needs_the_password_scope(api, user):
    access = step_up(api, user.session_token, "2fa")
    Account.objects.filter(pk=user.uid).update(verifier_set_at=0)
    assert_error(
        api.post("/mfa/password/create", {"authPW": "11" * 32}, headers=bearer(access)), 403, 999
    )
