"""Sign-in blocks and the unblock code (customs.md §1, §4), through /v1 with the default rules."""
import pytest

from accounts.models import SessionToken
from tests import factories
from tests.accounts.flow_helpers import clear_mail, last, login, session_row
from tests.helpers import MailingApiClient, assert_error, ok

pytestmark = pytest.mark.django_db

ALLOWED = 5  # default rules: accountLogin : ip_email : 5 : 15 minutes : 15 minutes


@pytest.fixture
def user():
    user = factories.account("user@example.com")
    clear_mail()
    return user


@pytest.fixture
def api():
    return MailingApiClient("203.0.113.9")


def block(api, email="user@example.com"):
    for _ in range(ALLOWED):
        assert_error(login(api, email, "wrong password"), 400, 103)
    return assert_error(login(api, email, "wrong password"), 429, 114)


def test_wrong_passwords_past_the_limit_are_refused_with_the_unblock_offer(api, user):
    body = block(api)
    assert body["verificationMethod"] == "email-captcha"
    assert body["verificationReason"] == "login"
    assert 890 <= body["retryAfter"] <= 900
    assert body["retryAfterLocalized"] == "in 15 minutes"
    response = login(api, user.email)
    assert_error(response, 429, 114)
    assert response.headers["Retry-After"] == str(response.json()["retryAfter"])


def test_the_wait_is_said_in_the_request_language(api, user):
    block(api)
    response = login(api, user.email, headers={"Accept-Language": "de"})
    assert assert_error(response, 429, 114)["retryAfterLocalized"] == "in 15 Minuten"


def test_a_blocked_caller_learns_nothing_about_the_account(api, user):
    """Once refused, a known and an unknown address answer alike, whatever the password."""
    for _ in range(ALLOWED):
        assert_error(login(api, "nobody@example.com"), 400, 102)
    unknown = assert_error(login(api, "nobody@example.com"), 429, 114)
    known = block(api)
    assert unknown.keys() == known.keys()
    assert unknown["verificationMethod"] == known["verificationMethod"] == "email-captcha"
    assert_error(login(api, "nobody@example.com", unblockCode="AAAAAAAA"), 429, 114)


def test_the_unblock_code_from_the_mail_lifts_the_block_and_verifies_the_session(api, user):
    block(api)
    ok(api.post("/account/login/send_unblock_code", {"email": user.email}))
    code = last("unblockCode").extra_headers["X-Unblock-Code"]
    body = ok(login(api, user.email, unblockCode=code))
    assert body["verified"] is True
    assert session_row(body["sessionToken"]).token_verified
    # The block is gone: the next wrong password is an ordinary 103, with the full budget again.
    for _ in range(ALLOWED):
        assert_error(login(api, user.email, "wrong password"), 400, 103)
    assert_error(login(api, user.email, "wrong password"), 429, 114)


def test_while_blocked_a_wrong_unblock_code_is_127_and_with_a_right_one_the_password_speaks(api, user):
    block(api)
    assert_error(login(api, user.email, unblockCode="AAAAAAAA"), 400, 127)
    ok(api.post("/account/login/send_unblock_code", {"email": user.email}))
    code = last("unblockCode").extra_headers["X-Unblock-Code"]
    assert_error(login(api, user.email, "wrong password", unblockCode=code), 400, 103)
    assert not SessionToken.objects.filter(account_id=user.uid).exclude(pk=user.session_key).exists()
    assert_error(login(api, user.email, unblockCode=code), 400, 127)  # the code is spent


def test_another_ip_is_not_blocked_by_this_one(api, user):
    block(api)
    ok(login(MailingApiClient("198.51.100.20"), user.email))


def test_an_ip_ban_is_not_lifted_by_an_unblock_code(api, user, settings):
    settings.CUSTOMS_RULES = (
        "accountLogin : ip_email : 5 : 15 minutes : 15 minutes;"
        "passwordCheckFailed : ip : 2 : 24 hours : 4 hours : ban"
    )
    for _ in range(2):
        assert_error(login(api, user.email, "wrong password"), 400, 103)
    assert "verificationMethod" not in assert_error(login(api, user.email, "wrong password"), 429, 114)
    ok(MailingApiClient("198.51.100.20").post("/account/login/send_unblock_code", {"email": user.email}))
    code = last("unblockCode").extra_headers["X-Unblock-Code"]
    body = assert_error(login(api, user.email, unblockCode=code), 429, 114)
    assert body["retryAfter"] > 3 * 3600 and "verificationMethod" not in body
