"""Secondary email addresses over HTTP: list, add, 6-digit codes, remove, make primary, and sign-in."""
import time

import pytest
from django.core import mail

from accounts import otp
from accounts.models import Account, Email, PasswordChangeToken, SecurityEvent, SessionToken, now_ms
from accounts.services import accounts as account_services
from accounts.services.context import RequestContext
from tests import factories
from tests.helpers import assert_error, ok, stretch

pytestmark = pytest.mark.django_db

DAY_MS = 24 * 3600 * 1000


@pytest.fixture
def user():
    return factories.account("user@example.com")


def sent(template, to=None):
    return [
        message for message in mail.outbox
        if message.extra_headers.get("X-Template-Name") == template
        and (to is None or to in message.to + message.cc)
    ]


def last_code(to):
    return sent("verifySecondaryCode", to)[-1].extra_headers["X-Verify-Code"]


def add(api, user, email):
    return api.post("/recovery_email", {"email": email}, token=user.session_token)


def verify(api, user, email, code):
    return api.post("/recovery_email/secondary/verify_code", {"email": email, "code": code},
                    token=user.session_token)


def add_verified(api, user, email):
    ok(add(api, user, email))
    ok(verify(api, user, email, last_code(email)))


def emails_of(api, user):
    return ok(api.get("/recovery_emails", token=user.session_token))


def unverify_session(user):
    SessionToken.objects.filter(pk=user.session_key).update(token_verification_id="ab" * 16)


def events(user, name):
    return SecurityEvent.objects.filter(account_id=user.uid, name=name).count()


def login(api, email, stretch_email, **fields):
    auth_pw, _ = stretch(stretch_email)
    return api.post("/account/login", {"email": email, "authPW": auth_pw, **fields})


# Listing and adding.


def test_a_new_account_lists_its_primary_address(api, user):
    assert emails_of(api, user) == [{"email": "user@example.com", "isPrimary": True, "verified": True}]


def test_adding_mails_a_six_digit_code_to_the_new_address(api, user):
    assert ok(add(api, user, "Second@Example.com")) == {}
    [message] = sent("verifySecondaryCode")
    assert message.to == ["Second@Example.com"]
    code = message.extra_headers["X-Verify-Code"]
    assert len(code) == 6 and code.isdigit()
    row = Email.objects.get(normalized_email="second@example.com")
    assert otp.verify(code, row.email_code)
    assert emails_of(api, user) == [
        {"email": "user@example.com", "isPrimary": True, "verified": True},
        {"email": "Second@Example.com", "isPrimary": False, "verified": False},
    ]


def test_the_code_verifies_the_address_and_reports_it(api, user):
    ok(add(api, user, "second@example.com"))
    assert ok(verify(api, user, "SECOND@example.com", last_code("second@example.com"))) == {}
    assert emails_of(api, user)[1] == {"email": "second@example.com", "isPrimary": False, "verified": True}
    [notice] = sent("postVerifySecondary")
    assert notice.to[0] == "user@example.com"
    assert events(user, "account.secondary_email_added") == 1


def test_a_reused_code_succeeds_silently_once_verified(api, user):
    ok(add(api, user, "second@example.com"))
    code = last_code("second@example.com")
    ok(verify(api, user, "second@example.com", code))
    assert ok(verify(api, user, "second@example.com", code)) == {}
    assert len(sent("postVerifySecondary")) == 1
    assert events(user, "account.secondary_email_added") == 1


def test_a_wrong_code_is_105(api, user):
    ok(add(api, user, "second@example.com"))
    code = last_code("second@example.com")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert_error(verify(api, user, "second@example.com", wrong), 400, 105)
    assert not Email.objects.get(normalized_email="second@example.com").is_verified


def test_an_expired_code_is_105(api, user):
    ok(add(api, user, "second@example.com"))
    row = Email.objects.get(normalized_email="second@example.com")
    expired = otp.generate(row.email_code, at=time.time() - 2 * otp.STEP)
    assert expired != otp.generate(row.email_code)
    assert_error(verify(api, user, "second@example.com", expired), 400, 105)


def test_the_code_of_an_earlier_claim_does_not_verify_a_new_one(api, user):
    ok(add(api, user, "second@example.com"))
    old_code = last_code("second@example.com")
    ok(api.post("/recovery_email/destroy", {"email": "second@example.com"}, token=user.session_token))
    ok(add(api, user, "second@example.com"))
    if old_code != last_code("second@example.com"):  # a new secret, hence (almost surely) a new code
        assert_error(verify(api, user, "second@example.com", old_code), 400, 105)


def test_verifying_an_address_not_on_the_account_is_143(api, user):
    assert_error(verify(api, user, "nobody@example.com", "123456"), 400, 143)


def test_codes_must_be_digits(api, user):
    assert_error(verify(api, user, "second@example.com", "12ab56"), 400, 107)


def test_an_unverified_account_cannot_add_an_address(api):
    pending = factories.account("pending@example.com", verified=False)
    assert_error(add(api, pending, "second@example.com"), 400, 104)


def test_an_unverified_session_cannot_add_an_address(api, user):
    unverify_session(user)
    assert_error(add(api, user, "second@example.com"), 400, 138)


def test_adding_the_primary_address_is_139(api, user):
    assert_error(add(api, user, "USER@example.com"), 400, 139)


def test_adding_another_account_s_verified_primary_is_140(api, user):
    factories.account("other@example.com")
    assert_error(add(api, user, "Other@Example.com"), 400, 140)


def test_adding_an_address_already_on_the_account_is_189(api, user):
    ok(add(api, user, "second@example.com"))
    assert_error(add(api, user, "Second@example.com"), 400, 189)
    ok(verify(api, user, "second@example.com", last_code("second@example.com")))
    assert_error(add(api, user, "second@example.com"), 400, 189)


def test_another_account_s_verified_secondary_is_136(api, user):
    other = factories.account("other@example.com")
    add_verified(api, other, "shared@example.com")
    assert_error(add(api, user, "shared@example.com"), 400, 136)


def test_another_account_s_unverified_claim_is_taken_over(api, user):
    other = factories.account("other@example.com")
    ok(add(api, other, "shared@example.com"))
    ok(add(api, user, "shared@example.com"))
    assert Email.objects.get(normalized_email="shared@example.com").account_id == user.uid
    assert [row["email"] for row in emails_of(api, other)] == ["other@example.com"]


def test_a_new_unverified_account_keeps_its_address_for_a_day(api, user):
    factories.account("fresh@example.com", verified=False)
    assert_error(add(api, user, "fresh@example.com"), 400, 141)


def test_an_older_unverified_account_is_deleted_to_free_its_address(api, user):
    stale = factories.account("stale@example.com", verified=False)
    Email.objects.filter(account_id=stale.uid).update(created_at=now_ms() - DAY_MS - 1000)
    Account.objects.filter(uid=stale.uid).update(created_at=now_ms() - DAY_MS - 1000)
    ok(add(api, user, "stale@example.com"))
    assert not Account.objects.filter(uid=stale.uid).exists()
    assert Email.objects.get(normalized_email="stale@example.com").account_id == user.uid


def test_at_most_three_secondary_addresses_counting_unverified_claims(api, user):
    add_verified(api, user, "one@example.com")
    ok(add(api, user, "two@example.com"))
    ok(add(api, user, "three@example.com"))
    body = assert_error(add(api, user, "four@example.com"), 400, 188)
    assert body["message"] == "You have reached the maximum allowed secondary emails"
    assert len(emails_of(api, user)) == 4


# Re-sending the code.


def test_resend_sends_the_current_code_again(api, user):
    ok(add(api, user, "second@example.com"))
    first = last_code("second@example.com")
    response = api.post("/recovery_email/secondary/resend_code", {"email": "second@example.com"},
                        token=user.session_token)
    assert ok(response) == {}
    assert len(sent("verifySecondaryCode", "second@example.com")) == 2
    row = Email.objects.get(normalized_email="second@example.com")
    assert otp.verify(last_code("second@example.com"), row.email_code) and otp.verify(first, row.email_code)


def test_resend_to_an_address_not_on_the_account_is_150(api, user):
    other = factories.account("other@example.com")
    ok(add(api, other, "theirs@example.com"))
    for address in ("theirs@example.com", "nobody@example.com"):
        response = api.post("/recovery_email/secondary/resend_code", {"email": address},
                            token=user.session_token)
        assert_error(response, 400, 150)


def test_resend_to_a_verified_address_is_189(api, user):
    add_verified(api, user, "second@example.com")
    response = api.post("/recovery_email/secondary/resend_code", {"email": "second@example.com"},
                        token=user.session_token)
    assert_error(response, 400, 189)


# Removing.


def destroy(api, user, email):
    return api.post("/recovery_email/destroy", {"email": email}, token=user.session_token)


def test_removing_a_verified_address_tells_the_remaining_ones(api, user):
    add_verified(api, user, "one@example.com")
    add_verified(api, user, "two@example.com")
    PasswordChangeToken.objects.create(token_id="cd" * 32, auth_key="ef" * 32, account_id=user.uid)
    assert ok(destroy(api, user, "ONE@example.com")) == {}
    assert [row["email"] for row in emails_of(api, user)] == ["user@example.com", "two@example.com"]
    [notice] = sent("postRemoveSecondary")
    assert (notice.to, notice.cc) == (["user@example.com"], ["two@example.com"])
    assert events(user, "account.secondary_email_removed") == 1
    assert not PasswordChangeToken.objects.filter(account_id=user.uid).exists()


def test_removing_an_unverified_claim_sends_nothing(api, user):
    ok(add(api, user, "second@example.com"))
    ok(destroy(api, user, "second@example.com"))
    assert sent("postRemoveSecondary") == []
    assert len(emails_of(api, user)) == 1


def test_the_primary_address_cannot_be_removed(api, user):
    assert_error(destroy(api, user, "user@example.com"), 400, 137)


def test_removing_an_unknown_address_is_143(api, user):
    factories.account("other@example.com")
    assert_error(destroy(api, user, "nobody@example.com"), 400, 143)
    assert_error(destroy(api, user, "other@example.com"), 400, 143)


def test_an_unverified_session_cannot_remove_an_address(api, user):
    add_verified(api, user, "second@example.com")
    unverify_session(user)
    assert_error(destroy(api, user, "second@example.com"), 400, 138)


# Changing the primary address.


def set_primary(api, user, email):
    return api.post("/recovery_email/set_primary", {"email": email}, token=user.session_token)


def test_set_primary_swaps_and_keeps_uid_and_the_sign_up_address(api, user):
    add_verified(api, user, "new@example.com")
    before = Account.objects.get(uid=user.uid)
    time.sleep(0.002)
    assert ok(set_primary(api, user, "New@example.com")) == {}
    assert emails_of(api, user) == [
        {"email": "new@example.com", "isPrimary": True, "verified": True},
        {"email": "user@example.com", "isPrimary": False, "verified": True},
    ]
    after = Account.objects.get(uid=user.uid)
    assert (after.uid, after.email, after.normalized_email) == (user.uid, "user@example.com",
                                                                 "user@example.com")
    assert after.email_verified
    assert after.profile_changed_at > before.profile_changed_at
    status = ok(api.get("/recovery_email/status", token=user.session_token))
    assert status["email"] == "new@example.com"
    assert ok(api.get("/account/profile", token=user.session_token))["email"] == "new@example.com"
    [notice] = sent("postChangePrimary")
    assert notice.to[0] == "new@example.com"
    assert events(user, "account.primary_secondary_swapped") == 1


def test_sign_in_after_the_swap_stretches_with_the_sign_up_address(api, user):
    add_verified(api, user, "new@example.com")
    ok(set_primary(api, user, "new@example.com"))
    # A client stretching with the new primary is told which address to stretch with.
    body = assert_error(login(api, "new@example.com", "new@example.com"), 400, 120)
    assert body["email"] == "user@example.com"
    assert ok(login(api, "new@example.com", body["email"]))["uid"] == user.uid
    # The former primary is now a secondary address: it does not sign in.
    assert_error(login(api, "user@example.com", "user@example.com"), 400, 142)


def test_re_stretching_client_names_the_typed_address_as_original_login_email(api, user):
    # The service side of a retry after errno 120: email = the sign-up address (now a secondary),
    # originalLoginEmail = the primary the user typed.
    add_verified(api, user, "new@example.com")
    ok(set_primary(api, user, "new@example.com"))
    auth_pw = bytes.fromhex(stretch("user@example.com")[0])
    context = RequestContext(ip_address="127.0.0.1")
    issued = account_services.login("user@example.com", auth_pw, context,
                                    original_login_email="New@example.com")
    assert issued.account.uid == user.uid
    with pytest.raises(Exception) as refused:
        account_services.login("new@example.com", auth_pw, context,
                               original_login_email="user@example.com")
    assert refused.value.errno == 142


def test_set_primary_to_an_unverified_address_is_147(api, user):
    ok(add(api, user, "new@example.com"))
    assert_error(set_primary(api, user, "new@example.com"), 400, 147)


def test_set_primary_to_another_account_s_address_is_148(api, user):
    factories.account("other@example.com")
    assert_error(set_primary(api, user, "other@example.com"), 400, 148)


def test_set_primary_to_an_unknown_address_is_143(api, user):
    assert_error(set_primary(api, user, "nobody@example.com"), 400, 143)


def test_set_primary_needs_a_verified_session(api, user):
    add_verified(api, user, "new@example.com")
    unverify_session(user)
    assert_error(set_primary(api, user, "new@example.com"), 400, 138)


def test_set_primary_to_the_current_primary_changes_nothing(api, user):
    assert ok(set_primary(api, user, "user@example.com")) == {}
    assert sent("postChangePrimary") == []


# Sign-in with a secondary address.


def test_login_with_a_secondary_address_is_142(api, user):
    add_verified(api, user, "second@example.com")
    assert_error(login(api, "second@example.com", "second@example.com"), 400, 142)
    assert_error(login(api, "second@example.com", "user@example.com"), 400, 142)


def test_routes_need_a_session_token(api):
    for path, body in [
        ("/recovery_email", {"email": "a@example.com"}),
        ("/recovery_email/destroy", {"email": "a@example.com"}),
        ("/recovery_email/set_primary", {"email": "a@example.com"}),
        ("/recovery_email/secondary/resend_code", {"email": "a@example.com"}),
        ("/recovery_email/secondary/verify_code", {"email": "a@example.com", "code": "123456"}),
    ]:
        assert_error(api.post(path, body), 401, 110)
    assert_error(api.get("/recovery_emails"), 401, 110)
