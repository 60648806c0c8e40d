"""POST /mfa/password/change: the password change authorized by a step-up JWT (mfa:password)."""
import pytest

from accounts import onepw
from accounts.models import SecurityEvent, SessionToken
from tests.helpers import assert_error, ok, sent, stretch, token_key

from .conftest import enable_totp
from .test_mfa import bearer, step_up

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a new password after step-up"
KB = bytes(range(32))


def payload(user, **extra):
    new_auth_pw, new_unwrap = stretch(user.email, NEW_PASSWORD)
    return {"authPW": new_auth_pw, "wrapKb": onepw.xor(KB, new_unwrap).hex(), **extra}


def login(api, user, password):
    return api.post("/account/login", {"email": user.email, "authPW": stretch(user.email, password)[0]})


def test_changes_the_password_and_answers_a_replacement_session_with_keys(api, user):
    access = step_up(api, user.session_token, "password")
    old_auth_pw, _ = stretch(user.email, user.password)
    body = ok(api.post(
        "/mfa/password/change?keys=true", payload(user, oldAuthPW=old_auth_pw),
        headers=bearer(access),
    ))
    assert body["uid"] == user.uid and body["verified"] is True
    assert body["authAt"] > 0
    # The replacement keeps the verification state of the step-up session; the old one is gone.
    replacement = SessionToken.objects.get(pk=token_key(body["sessionToken"]))
    assert replacement.token_verified
    assert not SessionToken.objects.filter(pk=token_key(user.session_token)).exists()
    assert_error(api.get("/session/status", token=user.session_token), 401, 110)
    # kB is kept: the client re-wrapped it under the new password.
    keys = ok(api.get("/account/keys", token=body["keyFetchToken"], token_type="keyFetchToken"))
    key_request_key = onepw.derive_token(
        bytes.fromhex(body["keyFetchToken"]), "keyFetchToken"
    ).bundle_key
    _, wrap_kb = onepw.unbundle_keys(key_request_key, bytes.fromhex(keys["bundle"]))
    assert onepw.xor(wrap_kb, stretch(user.email, NEW_PASSWORD)[1]) == KB
    assert_error(login(api, user, user.password), 400, 103)
    ok(login(api, user, NEW_PASSWORD))
    assert sent("passwordChanged")
    assert SecurityEvent.objects.filter(account=user.account, name="account.password_changed").exists()
    # The JWT died with its session.
    assert_error(api.post("/mfa/password/change", payload(user), headers=bearer(access)), 401, 110)


def test_old_password_is_optional_but_must_match_when_sent(api, user):
    access = step_up(api, user.session_token, "password")
    wrong = stretch(user.email, "not the password")[0]
    assert_error(
        api.post("/mfa/password/change", payload(user, oldAuthPW=wrong), headers=bearer(access)),
        400, 103,
    )
    ok(login(api, user, user.password))
    body = ok(api.post("/mfa/password/change", payload(user), headers=bearer(access)))
    assert "keyFetchToken" not in body and body["sessionToken"]
    ok(login(api, user, NEW_PASSWORD))


def test_needs_a_jwt_scoped_to_password(api, user):
    assert_error(api.post("/mfa/password/change", payload(user)), 401, 110)
    assert_error(api.post("/mfa/password/change", payload(user), token=user.session_token), 401, 110)
    access = step_up(api, user.session_token, "2fa")
    assert_error(api.post("/mfa/password/change", payload(user), headers=bearer(access)), 403, 999)
    ok(login(api, user, user.password))


@pytest.mark.parametrize("body, errno", [({}, 108), ({"authPW": "zz", "wrapKb": "00" * 32}, 107)])
def test_body_validation(api, user, body, errno):
    access = step_up(api, user.session_token, "password")
    assert_error(api.post("/mfa/password/change", body, headers=bearer(access)), 400, errno)


def test_two_step_account_changes_from_its_aal2_session(api, user):
    enable_totp(api, user.session_token)
    access = step_up(api, user.session_token, "password")
    body = ok(api.post("/mfa/password/change", payload(user), headers=bearer(access)))
    replacement = SessionToken.objects.get(pk=token_key(body["sessionToken"]))
    assert replacement.authenticator_assurance_level == 2
