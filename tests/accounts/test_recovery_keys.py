"""Account recovery keys over HTTP: /recoveryKey (create, replace, delete), /exists, /verify,
/hint, and /recoveryKey/{id} with an accountResetToken (errnos 158, 159, 161), mails and events."""
import pytest

from accounts.models import RecoveryKey, SecurityEvent
from tests import factories
from tests.helpers import assert_error, ok, sent
from tests.recovery_key_client import decrypt_kb, encrypt_kb, new_recovery_key, recovery_key_id

from .flow_helpers import clear_mail

pytestmark = pytest.mark.django_db

KB = bytes(range(32))


@pytest.fixture
def user(db):
    return factories.account("keyholder@example.com")


def new_key(user, kb=KB):
    key = new_recovery_key()
    return key, recovery_key_id(key, user.uid), encrypt_kb(key, user.uid, kb)


def create(api, user, key_id, data, **fields):
    return api.post("/recoveryKey", {"recoveryKeyId": key_id, "recoveryData": data, **fields},
                    token=user.session_token)


def events(user):
    return list(SecurityEvent.objects.filter(account=user.account).values_list("name", flat=True))


def test_create_then_exists_mail_and_event(api, user):
    assert ok(api.post("/recoveryKey/exists", {}, token=user.session_token)) == {"exists": False}
    _, key_id, data = new_key(user)
    assert ok(create(api, user, key_id, data)) == {}
    assert ok(api.post("/recoveryKey/exists", {}, token=user.session_token)) == {"exists": True}
    assert sent("postAddAccountRecovery", to=user.email)
    assert "account.recovery_key_added" in events(user)
    stored = RecoveryKey.objects.get(account=user.account)
    assert key_id not in stored.recovery_key_id_hash and stored.recovery_data == data


def test_second_key_needs_replace_key_161_then_replaces(api, user):
    _, first_id, first_data = new_key(user)
    ok(create(api, user, first_id, first_data))
    _, second_id, second_data = new_key(user)
    assert_error(create(api, user, second_id, second_data), 400, 161)
    clear_mail()
    ok(create(api, user, second_id, second_data, replaceKey=True))
    assert sent("postChangeAccountRecovery") and not sent("postAddAccountRecovery")
    assert "account.recovery_key_removed" in events(user)
    assert RecoveryKey.objects.get(account=user.account).recovery_data == second_data


def test_disabled_key_is_enabled_by_verify_and_wrong_id_is_159(api, user):
    _, key_id, data = new_key(user)
    ok(create(api, user, key_id, data, enabled=False))
    assert not sent("postAddAccountRecovery")
    assert ok(api.post("/recoveryKey/exists", {}, token=user.session_token)) == {"exists": False}
    assert_error(api.post("/recoveryKey/verify", {"recoveryKeyId": "ab" * 16}, token=user.session_token), 400, 159)
    assert "account.recovery_key_challenge_failure" in events(user)
    assert ok(api.post("/recoveryKey/verify", {"recoveryKeyId": key_id}, token=user.session_token)) == {}
    assert RecoveryKey.objects.get(account=user.account).enabled
    assert sent("postAddAccountRecovery")
    assert "account.recovery_key_challenge_success" in events(user)


def test_verify_without_key_is_158(api, user):
    assert_error(api.post("/recoveryKey/verify", {"recoveryKeyId": "ab" * 16}, token=user.session_token), 400, 158)


def test_delete_removes_the_key_mails_and_records(api, user):
    _, key_id, data = new_key(user)
    ok(create(api, user, key_id, data))
    assert ok(api.delete("/recoveryKey", token=user.session_token)) == {}
    assert not RecoveryKey.objects.exists()
    assert sent("postRemoveAccountRecovery")
    assert "account.recovery_key_removed" in events(user)


def test_routes_need_a_verified_session(api, user):
    token = factories.session(user.account, verified=False)
    _, key_id, data = new_key(user)
    assert_error(api.post("/recoveryKey", {"recoveryKeyId": key_id, "recoveryData": data}, token=token), 400, 138)
    assert_error(api.post("/recoveryKey", {"recoveryKeyId": key_id, "recoveryData": data}), 401, 110)
    assert_error(api.delete("/recoveryKey"), 401, 110)


def test_create_validation(api, user):
    assert_error(create(api, user, "zz", "abc"), 400, 107)
    assert_error(create(api, user, "ab" * 16, "not base64 {}"), 400, 107)
    assert_error(api.post("/recoveryKey", {"recoveryKeyId": "ab" * 16}, token=user.session_token), 400, 108)


def test_exists_by_email_without_session(api, user):
    """Counted by customs (recoveryKeyExists): tests/accounts/test_customs_wiring.py."""
    _, key_id, data = new_key(user)
    ok(create(api, user, key_id, data))
    assert ok(api.post("/recoveryKey/exists", {"email": user.email})) == {"exists": True}
    assert ok(api.post("/recoveryKey/exists", {"email": "nobody@example.com"})) == {"exists": False}
    assert_error(api.post("/recoveryKey/exists", {}), 400, 108)
    assert ok(api.post("/recoveryKey/exists", {}, token=user.session_token)) == {"exists": True}


def test_hint_set_and_read_by_session_or_email(api, user):
    assert_error(api.get("/recoveryKey/hint", token=user.session_token), 400, 158)
    assert_error(api.post("/recoveryKey/hint", {"hint": "x"}, token=user.session_token), 400, 158)
    _, key_id, data = new_key(user)
    ok(create(api, user, key_id, data))
    assert ok(api.get("/recoveryKey/hint", token=user.session_token)) == {"hint": None}
    assert ok(api.post("/recoveryKey/hint", {"hint": "in the safe"}, token=user.session_token)) == {}
    assert ok(api.get(f"/recoveryKey/hint?email={user.email}")) == {"hint": "in the safe"}
    assert_error(api.get("/recoveryKey/hint?email=nobody@example.com"), 400, 102)
    assert_error(api.post("/recoveryKey/hint", {"hint": "x"}), 401, 110)


def test_recovery_data_with_an_account_reset_token(api, user):
    from tests.accounts.test_password_reset import reset_token_for

    key, key_id, data = new_key(user)
    token = reset_token_for(api, user.email, accountResetWithRecoveryKey=True)
    assert_error(api.get(f"/recoveryKey/{key_id}", token=token, token_type="accountResetToken"), 400, 158)
    ok(create(api, user, key_id, data))
    body = ok(api.get(f"/recoveryKey/{key_id}", token=token, token_type="accountResetToken"))
    assert decrypt_kb(key, user.uid, body["recoveryData"]) == KB
    assert_error(api.get(f"/recoveryKey/{'cd' * 16}", token=token, token_type="accountResetToken"), 400, 159)
    assert_error(api.get(f"/recoveryKey/{key_id}", token=user.session_token), 401, 110)
    assert_error(api.get("/recoveryKey/not-hex", token=token, token_type="accountResetToken"), 400, 107)
