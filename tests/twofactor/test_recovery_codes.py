"""Backup authentication codes over HTTP: replacing, setting, spending (once, even when raced)."""


import pytest

from accounts.models import SecurityEvent, SessionToken, VerificationMethod
from accounts.twofactor import otp
from accounts.twofactor.models import RecoveryCode, TotpToken
from accounts.twofactor.services import recovery_codes
from tests import factories
from tests.helpers import ApiClient, assert_error, ok, race, sent, token_key

from .conftest import enable_totp

CROCKFORD = set("0123456789abcdefghjkmnpqrstvwxyz")


def events(account):
    return list(SecurityEvent.objects.filter(account=account).values_list("name", flat=True))


def with_totp(account):
    """Two-step authentication on, with a fresh set of backup codes; returns the codes."""
    TotpToken.objects.create(
        account=account, shared_secret=otp.new_secret(), verified=True, enabled=True
    )
    return recovery_codes.new_set(account)


@pytest.mark.django_db
class TestReplacing:
    def test_new_set_needs_a_second_factor(self, api, user):
        assert_error(api.get("/recoveryCodes", token=user.session_token), 400, 138)
        assert_error(
            api.request(
                "PUT", "/recoveryCodes", {"recoveryCodes": ["a" * 10]}, token=user.session_token
            ),
            400,
            138,
        )

    def test_session_below_the_accounts_level_is_110(self, api, user):
        enable_totp(api, user.session_token)
        other = factories.session(user.account, verification_method=VerificationMethod.EMAIL)
        body = assert_error(api.get("/recoveryCodes", token=other), 401, 110)
        assert body["detail"] == "AAL mismatch"

    def test_unverified_session_is_138(self, api, user):
        assert_error(api.get("/recoveryCodes", token=factories.session(user.account, verified=False)), 400, 138)

    def test_get_answers_8_new_codes_and_removes_the_old_ones(self, api, user):
        enable_totp(api, user.session_token)
        first = ok(api.get("/recoveryCodes", token=user.session_token))["recoveryCodes"]
        second = ok(api.get("/recoveryCodes", token=user.session_token))["recoveryCodes"]
        for codes in (first, second):
            assert len(codes) == 8 and len(set(codes)) == 8
            assert all(len(code) == 10 and set(code) <= CROCKFORD for code in codes)
        stored = set(
            RecoveryCode.objects.filter(account=user.account).values_list("code_hash", flat=True)
        )
        assert len(stored) == 8 and not stored & set(first + second)  # hashes, not codes
        login = factories.session(user.account, verified=False)
        assert_error(
            api.post("/session/verify/recoveryCode", {"code": first[0]}, token=login), 400, 156
        )
        ok(api.post("/session/verify/recoveryCode", {"code": second[0]}, token=login))
        assert len(sent("postNewRecoveryCodes")) == 2
        assert events(user.account).count("account.recovery_codes_replaced") == 2

    def test_put_replaces_with_the_clients_codes(self, api, user):
        enable_totp(api, user.session_token)
        body = {"recoveryCodes": ["abcdefghjk", "ABCDEFGHJM"]}
        assert ok(api.request("PUT", "/recoveryCodes", body, token=user.session_token)) == {
            "success": True
        }
        assert ok(api.get("/recoveryCodes/exists", token=user.session_token)) == {
            "hasBackupCodes": True,
            "count": 2,
        }
        assert len(sent("postNewRecoveryCodes")) == 1
        assert "account.recovery_codes_created" in events(user.account)


@pytest.mark.django_db
class TestSettingDuringSetup:
    def test_post_stores_the_codes_without_mail(self, api, user):
        ok(api.post("/totp/create", {}, token=user.session_token))
        codes = otp.new_recovery_codes()
        assert ok(
            api.post("/recoveryCodes", {"recoveryCodes": codes}, token=user.session_token)
        ) == {"success": True}
        assert ok(api.get("/recoveryCodes/exists", token=user.session_token)) == {
            "hasBackupCodes": True,
            "count": 8,
        }
        assert sent("postNewRecoveryCodes") == []
        assert "account.recovery_codes_set" in events(user.account)

    def test_post_once_totp_is_enabled_is_154(self, api, user):
        enable_totp(api, user.session_token)
        assert_error(
            api.post("/recoveryCodes", {"recoveryCodes": ["abcdefghjk"]}, token=user.session_token),
            400,
            154,
        )

    @pytest.mark.parametrize(
        "codes, errno",
        [
            (None, 108),
            ([], 107),
            (["a" * 10] * 2, 107),
            (["abcdefghjk", "ABCDEFGHJK"], 107),
            ([f"code{n:06d}" for n in range(9)], 107),
            (["not-base-36"], 107),
            (["a" * 21], 107),
            ("abcdefghjk", 107),
            ([1234567890], 107),
        ],
    )
    def test_validation(self, api, user, codes, errno):
        body = {} if codes is None else {"recoveryCodes": codes}
        assert_error(api.post("/recoveryCodes", body, token=user.session_token), 400, errno)

    def test_exists_without_codes(self, api, user):
        assert ok(api.get("/recoveryCodes/exists", token=user.session_token)) == {
            "hasBackupCodes": False,
            "count": 0,
        }


@pytest.mark.django_db
class TestSpending:
    def test_a_code_verifies_the_sign_in_with_recovery_code(self, api, user):
        codes = with_totp(user.account)
        login = factories.session(user.account, verified=False)
        assert ok(
            api.post("/session/verify/recoveryCode", {"code": codes[0].upper()}, token=login)
        ) == {"remaining": 7}
        session = SessionToken.objects.get(pk=token_key(login))
        assert session.token_verified and session.verification_method_name == "recovery-code"
        assert session.authenticator_assurance_level == 2
        details = ok(api.get("/session/status", token=login))["details"]
        assert details["sessionVerificationMeetsMinimumAAL"] is True
        assert len(sent("postSigninRecoveryCode")) == 1
        assert sent("lowRecoveryCodes") == []
        assert "account.recovery_codes_signin_complete" in events(user.account)
        # Spent.
        assert_error(
            api.post("/session/verify/recoveryCode", {"code": codes[0]}, token=login), 400, 156
        )

    def test_an_aal1_verified_session_is_raised_to_aal2(self, api, user):
        codes = with_totp(user.account)
        ok(api.post("/session/verify/recoveryCode", {"code": codes[0]}, token=user.session_token))
        assert (
            SessionToken.objects.get(pk=token_key(user.session_token)).verification_method_name
            == "recovery-code"
        )

    def test_low_codes_mail_from_two_left(self, api, user):
        codes = with_totp(user.account)
        login = factories.session(user.account, verified=False)
        for n, code in enumerate(codes[:6]):
            assert ok(api.post("/session/verify/recoveryCode", {"code": code}, token=login)) == {
                "remaining": 7 - n
            }
        low = sent("lowRecoveryCodes")
        assert len(low) == 1
        assert "2 backup authentication codes left" in low[0].subject

    @pytest.mark.parametrize(
        "code, errno", [("zzzzzzzzzz", 156), ("not-a-code", 107), ("", 107), (None, 108)]
    )
    def test_wrong_codes(self, api, user, code, errno):
        with_totp(user.account)
        body = {} if code is None else {"code": code}
        assert_error(
            api.post("/session/verify/recoveryCode", body, token=factories.session(user.account, verified=False)),
            400,
            errno,
        )

    def test_codes_without_two_step_authentication_do_nothing(self, api, user):
        ok(api.post("/totp/create", {}, token=user.session_token))
        ok(api.post("/recoveryCodes", {"recoveryCodes": ["abcdefghjk"]}, token=user.session_token))
        login = factories.session(user.account, verified=False)
        assert_error(
            api.post("/session/verify/recoveryCode", {"code": "abcdefghjk"}, token=login), 400, 156
        )
        assert not SessionToken.objects.get(pk=token_key(login)).token_verified

    def test_another_accounts_code_is_not_found(self, api, user):
        with_totp(user.account)
        other = factories.account("other-two-step@example.com")
        other_codes = with_totp(other.account)
        login = factories.session(user.account, verified=False)
        assert_error(
            api.post("/session/verify/recoveryCode", {"code": other_codes[0]}, token=login),
            400,
            156,
        )


@pytest.mark.django_db(transaction=True)
def test_a_code_is_spent_once_when_ten_requests_race():
    user = factories.account("race@example.com")
    code = with_totp(user.account)[0]
    logins = [factories.session(user.account, verified=False) for _ in range(10)]

    def spend(index):
        response = ApiClient().post("/session/verify/recoveryCode", {"code": code}, token=logins[index])
        return response.status_code, response.json()

    results = race(len(logins), spend)
    successes = [body for status, body in results if status == 200]
    assert successes == [{"remaining": 7}], results
    assert sorted(body["errno"] for status, body in results if status != 200) == [156] * 9
    assert RecoveryCode.objects.filter(account=user.account).count() == 7
    verified = [t for t in logins if SessionToken.objects.get(pk=token_key(t)).token_verified]
    assert len(verified) == 1

