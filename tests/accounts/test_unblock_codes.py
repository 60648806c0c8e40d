"""Sign-in unblock codes (auth-api-responses.md §12): send, sign in with, reject."""
import re

import pytest

from accounts.errors import AppError
from accounts.models import SecurityEvent, UnblockCode, now_ms
from accounts.services import unblock
from tests import factories
from tests.accounts.flow_helpers import age_account, clear_mail, last, login, session_row, templates
from tests.helpers import assert_error, ok, race

pytestmark = pytest.mark.django_db

CROCKFORD_CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{8}$")
HOUR_MS = 3600 * 1000




@pytest.fixture
def user():
    user = factories.account("user@example.com")
    # Old enough that a sign-in from a new address would need confirmation.
    age_account(user.uid, 10 * 24 * 3600)
    clear_mail()
    return user


def send_code(api, email="user@example.com"):
    assert ok(api.post("/account/login/send_unblock_code", {"email": email})) == {}
    return last("unblockCode").extra_headers["X-Unblock-Code"]


def test_send_mails_an_8_character_crockford_code_and_stores_only_its_hash(api, user):
    code = send_code(api)
    assert CROCKFORD_CODE.match(code)
    message = last("unblockCode")
    assert templates() == ["unblockCode"]
    assert message.to == ["user@example.com"]
    assert message.extra_headers["X-Uid"] == user.uid
    assert f"uid={user.uid}" in message.extra_headers["X-Report-SignIn-Link"]
    stored = UnblockCode.objects.get(account_id=user.uid)
    assert code not in stored.code_hash and code.lower() not in stored.code_hash
    assert len(stored.code_hash) == 64


def test_send_for_an_unknown_address_is_102(api):
    assert_error(api.post("/account/login/send_unblock_code", {"email": "no@example.com"}), 400, 102)
    assert templates() == []


def test_send_validation(api):
    assert_error(api.post("/account/login/send_unblock_code", {}), 400, 108)
    assert_error(api.post("/account/login/send_unblock_code", {"email": "not an address"}), 400, 107)


def test_a_valid_code_signs_in_with_a_verified_session_once(elsewhere, user):
    code = send_code(elsewhere)
    body = ok(login(elsewhere, user.email, query="?keys=true", unblockCode=code.lower(),
                    verificationMethod="email-captcha"))
    # Without the code this sign-in (old account, new address, keys) would need confirmation.
    assert body["verified"] is True and "verificationReason" not in body
    assert session_row(body["sessionToken"]).token_verified
    ok(elsewhere.get("/account/keys", token=body["keyFetchToken"], token_type="keyFetchToken"))
    assert not UnblockCode.objects.filter(account_id=user.uid).exists()
    event = SecurityEvent.objects.get(account_id=user.uid, name="account.login")
    assert event.verified is True
    assert templates() == ["unblockCode", "newDeviceLogin"]
    # Single use.
    assert_error(login(elsewhere, user.email, unblockCode=code), 400, 127)


def test_a_wrong_code_is_127(elsewhere, user):
    code = send_code(elsewhere)
    wrong = ("0" if code[0] != "0" else "1") + code[1:]
    body = assert_error(login(elsewhere, user.email, unblockCode=wrong), 400, 127)
    assert body["message"] == "Invalid unblock code"
    assert not SecurityEvent.objects.filter(account_id=user.uid, name="account.login").exists()
    # The real code is still good.
    assert ok(login(elsewhere, user.email, unblockCode=code))["verified"] is True


def test_an_expired_code_is_127(elsewhere, user):
    code = send_code(elsewhere)
    UnblockCode.objects.filter(account_id=user.uid).update(created_at=now_ms() - HOUR_MS - 1)
    assert_error(login(elsewhere, user.email, unblockCode=code), 400, 127)


def test_a_code_just_under_an_hour_old_still_works(elsewhere, user):
    code = send_code(elsewhere)
    UnblockCode.objects.filter(account_id=user.uid).update(created_at=now_ms() - HOUR_MS + 60_000)
    assert ok(login(elsewhere, user.email, unblockCode=code))["verified"] is True


def test_a_new_code_replaces_the_old_one(elsewhere, user):
    first = send_code(elsewhere)
    second = send_code(elsewhere)
    assert UnblockCode.objects.filter(account_id=user.uid).count() == 1
    if first != second:
        assert_error(login(elsewhere, user.email, unblockCode=first), 400, 127)
    assert ok(login(elsewhere, user.email, unblockCode=second))["verified"] is True


def test_the_code_is_spent_even_when_the_password_is_wrong(elsewhere, user):
    # One code buys one password attempt, as upstream: it cannot lift rate limits for guessing.
    code = send_code(elsewhere)
    assert_error(login(elsewhere, user.email, password="wrong", unblockCode=code), 400, 103)
    assert_error(login(elsewhere, user.email, unblockCode=code), 400, 127)


def test_another_accounts_code_is_127(elsewhere, user):
    factories.account("other@example.com")
    code = send_code(elsewhere, "other@example.com")
    assert_error(login(elsewhere, user.email, unblockCode=code), 400, 127)
    assert UnblockCode.objects.filter(account__email="other@example.com").exists()


def test_a_code_for_an_unknown_address_is_102(elsewhere):
    assert_error(login(elsewhere, "nobody@example.com", unblockCode="ABCDEFGH"), 400, 102)


def test_reject_deletes_the_code(api, user):
    code = send_code(api)
    body = {"uid": user.uid, "unblockCode": code.lower()}
    assert ok(api.post("/account/login/reject_unblock_code", body)) == {}
    assert not UnblockCode.objects.filter(account_id=user.uid).exists()
    assert_error(login(api, user.email, unblockCode=code), 400, 127)
    # Rejecting it again: there is no such code any more.
    assert_error(api.post("/account/login/reject_unblock_code", body), 400, 127)


def test_reject_a_wrong_code_keeps_the_real_one(api, user):
    code = send_code(api)
    wrong = ("0" if code[0] != "0" else "1") + code[1:]
    assert_error(
        api.post("/account/login/reject_unblock_code", {"uid": user.uid, "unblockCode": wrong}),
        400, 127,
    )
    assert UnblockCode.objects.filter(account_id=user.uid).exists()


@pytest.mark.parametrize("body, errno", [
    ({"unblockCode": "ABCDEFGH"}, 108),
    ({"uid": "ab" * 16}, 108),
    ({"uid": "zz" * 16, "unblockCode": "ABCDEFGH"}, 107),
    ({"uid": "ab" * 16, "unblockCode": "ABCDEFG"}, 107),
    ({"uid": "ab" * 16, "unblockCode": "ABCD-FGH"}, 107),
])
def test_reject_validation(api, body, errno):
    assert_error(api.post("/account/login/reject_unblock_code", body), 400, errno)


def test_reject_for_an_unknown_account_is_127(api):
    body = {"uid": "ab" * 16, "unblockCode": "ABCDEFGH"}
    assert_error(api.post("/account/login/reject_unblock_code", body), 400, 127)


@pytest.mark.django_db(transaction=True)
def test_a_code_is_spent_exactly_once_under_concurrency():
    user = factories.account("racer@example.com")
    code = unblock.new_code()
    UnblockCode.objects.create(account=user.account, code_hash=unblock._hash(user.uid, code))
    attempts = 8

    def spend(index):
        try:
            unblock.consume(user.account, code)
            return "ok"
        except AppError as error:
            return error.errno

    outcomes = race(attempts, spend)
    assert sorted(outcomes, key=str) == sorted(["ok"] + [127] * (attempts - 1), key=str)
