"""The /mfa/* twins of the secondary-email and recovery-key routes: the same services behind a
step-up JWT scoped ``mfa:email`` or ``mfa:recovery_key`` (upstream's settings since 2025)."""
import pytest

from accounts.models import Email, RecoveryKey, SecurityEvent
from tests.helpers import assert_error, ok, sent
from tests.recovery_key_client import decrypt_kb, encrypt_kb, new_recovery_key, recovery_key_id

from .test_mfa import bearer, step_up

pytestmark = pytest.mark.django_db

SECOND = "second@example.com"
KB = bytes(range(32))


@pytest.fixture
def email_jwt(api, user):
    return bearer(step_up(api, user.session_token, "email"))


@pytest.fixture
def key_jwt(api, user):
    return bearer(step_up(api, user.session_token, "recovery_key"))


def emails_of(api, user):
    return ok(api.get("/recovery_emails", token=user.session_token))


def mailed_code(to):
    return sent("verifySecondaryCode", to=to)[-1].extra_headers["X-Verify-Code"]


def events(user, name):
    return SecurityEvent.objects.filter(account=user.account, name=name).count()


def test_add_verify_make_primary_and_remove_with_the_email_jwt(api, user, email_jwt):
    assert ok(api.post("/mfa/recovery_email", {"email": SECOND}, headers=email_jwt)) == {}
    assert emails_of(api, user)[1] == {"email": SECOND, "isPrimary": False, "verified": False}
    code = mailed_code(SECOND)
    assert ok(api.post("/mfa/recovery_email/secondary/resend_code", {"email": SECOND},
                       headers=email_jwt)) == {}
    assert mailed_code(SECOND) == code  # the same code again within its step
    assert ok(api.post("/mfa/recovery_email/secondary/verify_code",
                       {"email": SECOND, "code": code}, headers=email_jwt)) == {}
    assert emails_of(api, user)[1]["verified"] is True
    assert events(user, "account.secondary_email_added") == 1
    assert sent("postVerifySecondary")

    assert ok(api.post("/mfa/recovery_email/set_primary", {"email": SECOND}, headers=email_jwt)) == {}
    assert emails_of(api, user) == [
        {"email": SECOND, "isPrimary": True, "verified": True},
        {"email": user.email, "isPrimary": False, "verified": True},
    ]
    assert sent("postChangePrimary")

    # The old primary is now a secondary address, and may go.
    assert ok(api.post("/mfa/recovery_email/destroy", {"email": user.email}, headers=email_jwt)) == {}
    assert emails_of(api, user) == [{"email": SECOND, "isPrimary": True, "verified": True}]
    assert events(user, "account.secondary_email_removed") == 1


def test_the_services_refuse_as_on_the_session_routes(api, user, email_jwt):
    assert_error(api.post("/mfa/recovery_email", {"email": user.email}, headers=email_jwt), 400, 139)
    assert_error(api.post("/mfa/recovery_email", {"email": "not an address"}, headers=email_jwt),
                 400, 107)
    ok(api.post("/mfa/recovery_email", {"email": SECOND}, headers=email_jwt))
    assert_error(api.post("/mfa/recovery_email", {"email": SECOND}, headers=email_jwt), 400, 189)
    assert_error(api.post("/mfa/recovery_email/secondary/verify_code",
                          {"email": SECOND, "code": "000000"}, headers=email_jwt), 400, 105)
    assert_error(api.post("/mfa/recovery_email/set_primary", {"email": SECOND}, headers=email_jwt),
                 400, 147)
    assert_error(api.post("/mfa/recovery_email/destroy", {"email": user.email}, headers=email_jwt),
                 400, 137)
    assert_error(api.post("/mfa/recovery_email/secondary/resend_code",
                          {"email": "nobody@example.com"}, headers=email_jwt), 400, 150)


@pytest.mark.parametrize("path, body", [
    ("/mfa/recovery_email", {"email": SECOND}),
    ("/mfa/recovery_email/destroy", {"email": SECOND}),
    ("/mfa/recovery_email/set_primary", {"email": SECOND}),
    ("/mfa/recovery_email/secondary/resend_code", {"email": SECOND}),
    ("/mfa/recovery_email/secondary/verify_code", {"email": SECOND, "code": "123456"}),
])
def test_email_routes_need_a_jwt_scoped_to_email(api, user, path, body):
    assert_error(api.post(path, body), 401, 110)
    assert_error(api.post(path, body, token=user.session_token), 401, 110)
    other = bearer(step_up(api, user.session_token, "recovery_key"))
    assert_error(api.post(path, body, headers=other), 403, 999)
    assert Email.objects.filter(account=user.account).count() == 1


def new_key(user, kb=KB):
    key = new_recovery_key()
    return key, recovery_key_id(key, user.uid), encrypt_kb(key, user.uid, kb)


def test_create_replace_and_remove_the_recovery_key_with_its_jwt(api, user, key_jwt):
    key, key_id, data = new_key(user)
    body = {"recoveryKeyId": key_id, "recoveryData": data, "enabled": True}
    assert ok(api.post("/mfa/recoveryKey", body, headers=key_jwt)) == {}
    assert ok(api.post("/recoveryKey/exists", {}, token=user.session_token)) == {"exists": True}
    assert decrypt_kb(key, user.uid, RecoveryKey.objects.get(account=user.account).recovery_data) == KB
    assert sent("postAddAccountRecovery")

    _, second_id, second_data = new_key(user)
    second = {"recoveryKeyId": second_id, "recoveryData": second_data}
    assert_error(api.post("/mfa/recoveryKey", second, headers=key_jwt), 400, 161)
    assert ok(api.post("/mfa/recoveryKey", {**second, "replaceKey": True}, headers=key_jwt)) == {}
    assert RecoveryKey.objects.get(account=user.account).recovery_data == second_data
    assert sent("postChangeAccountRecovery")

    assert ok(api.delete("/mfa/recoveryKey", headers=key_jwt)) == {}
    assert ok(api.post("/recoveryKey/exists", {}, token=user.session_token)) == {"exists": False}
    assert sent("postRemoveAccountRecovery")


def test_recovery_key_route_needs_a_jwt_scoped_to_recovery_key(api, user, email_jwt, key_jwt):
    _, key_id, data = new_key(user)
    body = {"recoveryKeyId": key_id, "recoveryData": data}
    assert_error(api.post("/mfa/recoveryKey", body), 401, 110)
    assert_error(api.post("/mfa/recoveryKey", body, token=user.session_token), 401, 110)
    assert_error(api.post("/mfa/recoveryKey", body, headers=email_jwt), 403, 999)
    assert_error(api.delete("/mfa/recoveryKey", headers=email_jwt), 403, 999)
    assert_error(api.get("/mfa/recoveryKey", headers=key_jwt), 405, 999)
    assert not RecoveryKey.objects.filter(account=user.account).exists()
