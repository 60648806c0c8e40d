"""Forgotten password over HTTP: /password/forgot/* (link code and OTP flows), /account/reset with
and without an account recovery key, /password/create and the /complete_reset_password page."""
import pytest
from django.core.cache import cache

from accounts import onepw
from accounts.models import (
    Account,
    AccountResetToken,
    Email,
    PasswordForgotToken,
    RecoveryKey,
    SecurityEvent,
    SessionToken,
    now_ms,
)
from tests import factories
from tests.helpers import assert_error, ok, sent, stretch, token_key
from tests.recovery_key_client import encrypt_kb, new_recovery_key, recovery_key_id

from .flow_helpers import clear_mail, last

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new password"


def fetch_kb(api, key_fetch_token, unwrap_bkey):
    body = ok(api.get("/account/keys", token=key_fetch_token, token_type="keyFetchToken"))
    key_request_key = onepw.derive_token(bytes.fromhex(key_fetch_token), "keyFetchToken").bundle_key
    _, wrap_kb = onepw.unbundle_keys(key_request_key, bytes.fromhex(body["bundle"]))
    return onepw.xor(wrap_kb, unwrap_bkey)


def current_kb(api, user, password=None):
    auth_pw, unwrap = stretch(user.email, password or user.password)
    body = ok(api.post("/account/login?keys=true", {"email": user.email, "authPW": auth_pw}))
    return fetch_kb(api, body["keyFetchToken"], unwrap)


def send_code(api, email):
    """send_code; returns (response body, the passCode from the ``recovery`` mail)."""
    body = ok(api.post("/password/forgot/send_code", {"email": email}))
    return body, last("recovery").extra_headers["X-Recovery-Code"]


def verify_code(api, token, code, **fields):
    return api.post(
        "/password/forgot/verify_code", {"code": code, **fields}, token=token,
        token_type="passwordForgotToken",
    )


def reset_token_for(api, email, **fields):
    body, code = send_code(api, email)
    return ok(verify_code(api, body["passwordForgotToken"], code, **fields))["accountResetToken"]


def reset(api, token, email=None, password=NEW_PASSWORD, query="", **fields):
    body = {"authPW": stretch(email, password)[0]} if email else {}
    body.update(fields)
    return api.post(f"/account/reset{query}", body, token=token, token_type="accountResetToken")


@pytest.fixture
def user(db):
    return factories.account("forgot@example.com")


# --- send_code / resend_code / status ------------------------------------------------------------

def test_send_code_answers_token_ttl_length_tries_and_mails_the_link(api, user):
    body, code = send_code(api, user.email)
    assert set(body) == {"passwordForgotToken", "ttl", "codeLength", "tries"}
    assert (body["codeLength"], body["tries"]) == (32, 3)
    assert 86390 <= body["ttl"] <= 86400
    message = last("recovery")
    link = message.extra_headers["X-Link"]
    assert "/complete_reset_password?" in link and f"code={code}" in link
    assert f"token={body['passwordForgotToken']}" in link and f"uid={user.uid}" in link
    row = PasswordForgotToken.objects.get(account=user.account)
    assert code not in row.pass_code_hash  # only a hash is stored
    assert SecurityEvent.objects.filter(account=user.account, name="account.password_reset_requested").exists()


def test_send_code_for_a_secondary_address_is_145_and_unknown_is_102(api, user):
    Email.objects.create(
        account=user.account, email="second@example.com", normalized_email="second@example.com",
        email_code="0" * 32, is_verified=True,
    )
    assert_error(api.post("/password/forgot/send_code", {"email": "second@example.com"}), 400, 145)
    assert_error(api.post("/password/forgot/send_code", {"email": "nobody@example.com"}), 400, 102)
    assert_error(api.post("/password/forgot/send_code", {}), 400, 108)


def test_a_new_code_replaces_the_previous_token(api, user):
    first, first_code = send_code(api, user.email)
    second, second_code = send_code(api, user.email)
    assert PasswordForgotToken.objects.filter(account=user.account).count() == 1
    assert_error(verify_code(api, first["passwordForgotToken"], first_code), 401, 110)
    assert "accountResetToken" in ok(verify_code(api, second["passwordForgotToken"], second_code))


def test_status_reports_tries_and_ttl_then_110_once_spent(api, user):
    body, code = send_code(api, user.email)
    token = body["passwordForgotToken"]
    status = ok(api.get("/password/forgot/status", token=token, token_type="passwordForgotToken"))
    assert status["tries"] == 3 and 0 < status["ttl"] <= 86400
    ok(verify_code(api, token, code))
    assert_error(api.get("/password/forgot/status", token=token, token_type="passwordForgotToken"), 401, 110)


def test_resend_code_mails_a_fresh_code_for_the_same_token(api, user):
    body, old_code = send_code(api, user.email)
    token = body["passwordForgotToken"]
    clear_mail()
    resent = ok(api.post("/password/forgot/resend_code", {"email": user.email}, token=token,
                         token_type="passwordForgotToken"))
    assert resent["tries"] == 3 and resent["codeLength"] == 32 and resent["ttl"] <= body["ttl"]
    new_code = last("recovery").extra_headers["X-Recovery-Code"]
    assert new_code != old_code
    assert_error(verify_code(api, token, old_code), 400, 105)
    assert "accountResetToken" in ok(verify_code(api, token, new_code))


def test_hawk_signed_forgot_routes_work(api, user):
    body, code = send_code(api, user.email)
    token = body["passwordForgotToken"]
    assert ok(api.get("/password/forgot/status", token=token, token_type="passwordForgotToken",
                      scheme="hawk"))["tries"] == 3
    assert "accountResetToken" in ok(api.post(
        "/password/forgot/verify_code", {"code": code}, token=token,
        token_type="passwordForgotToken", scheme="hawk",
    ))


# --- verify_code ----------------------------------------------------------------------------------

def test_wrong_code_is_105_with_tries_and_ttl_and_three_wrong_codes_spend_the_token(api, user):
    body, code = send_code(api, user.email)
    token = body["passwordForgotToken"]
    wrong = "0" * 32 if code != "0" * 32 else "1" * 32
    for tries_left in (2, 1, 0):
        error = assert_error(verify_code(api, token, wrong), 400, 105)
        assert error["tries"] == tries_left and 0 < error["ttl"] <= 86400
    assert not PasswordForgotToken.objects.filter(account=user.account).exists()
    # Even the right code is too late now.
    assert_error(verify_code(api, token, code), 401, 110)


def test_right_code_gives_an_account_reset_token_once_and_mails_password_reset(api, user):
    body, code = send_code(api, user.email)
    token = body["passwordForgotToken"]
    reset_token = ok(verify_code(api, token, code))["accountResetToken"]
    assert len(reset_token) == 64
    assert AccountResetToken.objects.filter(
        pk=token_key(reset_token, "accountResetToken"), account=user.account
    ).exists()
    assert sent("passwordReset", to=user.email)
    assert_error(verify_code(api, token, code), 401, 110)  # reused


def test_verify_code_with_recovery_key_sends_no_password_reset_mail(api, user):
    reset_token_for(api, user.email, accountResetWithRecoveryKey=True)
    assert not sent("passwordReset")


def test_right_code_verifies_an_unverified_primary_address(api):
    user = factories.account("unverified@example.com", verified=False)
    reset_token_for(api, user.email)
    assert Account.objects.get(pk=user.uid).email_verified
    assert Email.objects.get(account=user.account, is_primary=True).is_verified


def test_expired_forgot_token_is_110_expired_and_deleted(api, user, settings):
    body, code = send_code(api, user.email)
    PasswordForgotToken.objects.filter(account=user.account).update(
        created_at=now_ms() - settings.PASSWORD_FORGOT_TOKEN_LIFETIME * 1000 - 1
    )
    error = assert_error(verify_code(api, body["passwordForgotToken"], code), 401, 110)
    assert error["message"] == "The authentication token has expired"
    assert not PasswordForgotToken.objects.exists()


def test_code_of_wrong_format_is_107(api, user):
    body, _ = send_code(api, user.email)
    assert_error(verify_code(api, body["passwordForgotToken"], "1234"), 400, 107)
    assert_error(api.post("/password/forgot/verify_code", {"code": "0" * 32}), 401, 110)


# --- send_otp / verify_otp ------------------------------------------------------------------------

def send_otp(api, email):
    assert ok(api.post("/password/forgot/send_otp", {"email": email})) == {}
    return last("passwordForgotOtp").extra_headers["X-Password-Forgot-Otp"]


def test_otp_flow_turns_the_mailed_code_into_a_forgot_token_and_pass_code(api, user):
    otp = send_otp(api, user.email)
    assert len(otp) == 8 and otp.isdigit()
    body = ok(api.post("/password/forgot/verify_otp", {"email": user.email, "code": otp}))
    assert set(body) == {"code", "emailToHashWith", "token", "uid"}
    assert (body["uid"], body["emailToHashWith"]) == (user.uid, user.email)
    assert "accountResetToken" in ok(verify_code(api, body["token"], body["code"]))
    names = set(SecurityEvent.objects.filter(account=user.account).values_list("name", flat=True))
    assert {"account.password_reset_otp_sent", "account.password_reset_otp_verified"} <= names


def test_otp_is_single_use_wrong_codes_are_105_and_a_new_one_replaces_it(api, user):
    otp = send_otp(api, user.email)
    wrong = f"{(int(otp) + 1) % 10 ** 8:08d}"
    assert_error(api.post("/password/forgot/verify_otp", {"email": user.email, "code": wrong}), 400, 105)
    newer = send_otp(api, user.email)
    if newer != otp:
        assert_error(api.post("/password/forgot/verify_otp", {"email": user.email, "code": otp}), 400, 105)
    ok(api.post("/password/forgot/verify_otp", {"email": user.email, "code": newer}))
    assert_error(api.post("/password/forgot/verify_otp", {"email": user.email, "code": newer}), 400, 105)


def test_expired_otp_is_105(api, user):
    otp = send_otp(api, user.email)
    cache.delete(f"password-forgot-otp:{user.uid}")  # what the 10-minute TTL does
    assert_error(api.post("/password/forgot/verify_otp", {"email": user.email, "code": otp}), 400, 105)


def test_too_many_otp_attempts_are_throttled(api, user):
    """Customs (the shipped rules): passwordForgotVerifyOtp : ip_email : 5 : 10 minutes :
    15 minutes; the right code is refused too once the limit is reached."""
    otp = send_otp(api, user.email)
    wrong = f"{(int(otp) + 1) % 10 ** 8:08d}"
    for _ in range(5):
        assert_error(api.post("/password/forgot/verify_otp", {"email": user.email, "code": wrong}), 400, 105)
    body = assert_error(
        api.post("/password/forgot/verify_otp", {"email": user.email, "code": otp}), 429, 114
    )
    assert 890 <= body["retryAfter"] <= 900


def test_otp_for_unknown_address_is_102(api):
    assert_error(api.post("/password/forgot/send_otp", {"email": "nobody@example.com"}), 400, 102)
    assert_error(api.post("/password/forgot/verify_otp", {"email": "x@example.com", "code": "12"}), 400, 107)


# --- /account/reset -------------------------------------------------------------------------------

def test_plain_reset_makes_a_new_kb_and_revokes_everything(api, user):
    old_kb = current_kb(api, user)
    before = Account.objects.get(pk=user.uid)
    token = reset_token_for(api, user.email)
    clear_mail()
    body = ok(reset(api, token, user.email, query="?keys=true", sessionToken=True))
    assert set(body) >= {"uid", "sessionToken", "verified", "authAt", "keyFetchToken"}
    assert body["verified"] is True and body["uid"] == user.uid
    new_kb = fetch_kb(api, body["keyFetchToken"], stretch(user.email, NEW_PASSWORD)[1])
    assert new_kb != old_kb
    after = Account.objects.get(pk=user.uid)
    assert after.keys_changed_at > (before.keys_changed_at or 0)
    assert after.verifier_set_at > before.verifier_set_at and after.ka == before.ka
    # Only the new session is left; the old password no longer signs in.
    assert list(SessionToken.objects.filter(account=after).values_list("pk", flat=True)) == [
        token_key(body["sessionToken"])
    ]
    assert_error(api.get("/session/status", token=user.session_token), 401, 110)
    assert_error(api.post("/account/login", {"email": user.email, "authPW": stretch(user.email)[0]}), 400, 103)
    assert current_kb(api, user, NEW_PASSWORD) == new_kb
    assert SecurityEvent.objects.filter(account=after, name="account.reset").exists()
    assert not AccountResetToken.objects.exists()
    assert_error(reset(api, token, user.email), 401, 110)  # reused


def test_reset_without_session_answers_empty(api, user):
    token = reset_token_for(api, user.email)
    assert ok(reset(api, token, user.email)) == {}
    assert not SessionToken.objects.filter(account=user.account).exists()


def test_keys_without_session_token_is_108(api, user):
    token = reset_token_for(api, user.email)
    error = assert_error(reset(api, token, user.email, query="?keys=true"), 400, 108)
    assert error["param"] == "sessionToken"


def test_reset_body_validation(api, user):
    token = reset_token_for(api, user.email)
    assert_error(reset(api, token), 400, 108)
    assert_error(reset(api, token, user.email, wrapKb="00" * 32), 400, 107)  # wrapKb without key id
    assert_error(reset(api, token, user.email, recoveryKeyId="00" * 16), 400, 107)
    assert_error(api.post("/account/reset", {"authPW": "00" * 32}), 401, 110)


def test_expired_account_reset_token_is_110(api, user, settings):
    token = reset_token_for(api, user.email)
    AccountResetToken.objects.update(created_at=now_ms() - settings.ACCOUNT_RESET_TOKEN_LIFETIME * 1000 - 1)
    error = assert_error(reset(api, token, user.email), 401, 110)
    assert error["message"] == "The authentication token has expired"


def add_recovery_key(api, user, kb):
    key = new_recovery_key()
    key_id = recovery_key_id(key, user.uid)
    ok(api.post("/recoveryKey", {"recoveryKeyId": key_id, "recoveryData": encrypt_kb(key, user.uid, kb)},
                token=user.session_token))
    return key, key_id


def test_reset_with_recovery_key_keeps_kb_and_spends_the_key(api, user):
    from tests.recovery_key_client import decrypt_kb

    kb = current_kb(api, user)
    key, key_id = add_recovery_key(api, user, kb)
    before = Account.objects.get(pk=user.uid)
    token = reset_token_for(api, user.email, accountResetWithRecoveryKey=True)
    data = ok(api.get(f"/recoveryKey/{key_id}", token=token, token_type="accountResetToken"))
    recovered = decrypt_kb(key, user.uid, data["recoveryData"])
    assert recovered == kb
    unwrap = stretch(user.email, NEW_PASSWORD)[1]
    clear_mail()
    body = ok(reset(api, token, user.email, query="?keys=true", sessionToken=True,
                    wrapKb=onepw.xor(recovered, unwrap).hex(), recoveryKeyId=key_id))
    assert fetch_kb(api, body["keyFetchToken"], unwrap) == kb
    assert Account.objects.get(pk=user.uid).keys_changed_at == (before.keys_changed_at or before.verifier_set_at)
    assert not RecoveryKey.objects.filter(account=user.account).exists()
    assert sent("passwordResetAccountRecovery", to=user.email)
    assert current_kb(api, user, NEW_PASSWORD) == kb


def test_reset_with_a_recovery_key_that_does_not_match_is_159_and_none_is_158(api, user):
    token = reset_token_for(api, user.email, accountResetWithRecoveryKey=True)
    assert_error(reset(api, token, user.email, wrapKb="11" * 32, recoveryKeyId="22" * 16), 400, 158)
    add_recovery_key(api, user, b"\x01" * 32)
    assert_error(reset(api, token, user.email, wrapKb="11" * 32, recoveryKeyId="22" * 16), 400, 159)
    assert_error(api.get(f"/recoveryKey/{'22' * 16}", token=token, token_type="accountResetToken"), 400, 159)
    # The failed attempts spent nothing: a plain reset still works.
    ok(reset(api, token, user.email))


def test_v2_reset_sets_both_verifiers_with_the_clients_new_kb(api, user):
    token = reset_token_for(api, user.email)
    salt = onepw.CLIENT_SALT_V2_PREFIX + "0123456789abcdef0123456789abcdef"
    kb = bytes(range(32))
    auth_v1, unwrap_v1 = stretch(user.email, NEW_PASSWORD)
    stretched_v2 = onepw.quick_stretch_v2(salt, NEW_PASSWORD)
    body = ok(reset(api, token, query="?keys=true", authPW=auth_v1, sessionToken=True,
                    wrapKb=onepw.xor(kb, unwrap_v1).hex(),
                    authPWVersion2=onepw.auth_pw(stretched_v2).hex(),
                    wrapKbVersion2=onepw.xor(kb, onepw.unwrap_bkey(stretched_v2)).hex(),
                    clientSalt=salt, email=user.email))
    assert fetch_kb(api, body["keyFetchToken"], unwrap_v1) == kb
    assert fetch_kb(api, body["keyFetchToken2"], onepw.unwrap_bkey(stretched_v2)) == kb
    assert Account.objects.get(pk=user.uid).client_salt == salt


def test_totp_account_gets_a_session_awaiting_totp(api, user):
    from tests.twofactor.conftest import code as totp_code
    from tests.twofactor.conftest import enable_totp

    secret = enable_totp(api, user.session_token)
    forgot, pass_code = send_code(api, user.email)
    forgot_token = forgot["passwordForgotToken"]
    assert ok(api.post("/totp/verify", {"code": totp_code(secret)}, token=forgot_token,
                       token_type="passwordForgotToken")) == {"success": True}
    token = ok(verify_code(api, forgot_token, pass_code))["accountResetToken"]
    body = ok(reset(api, token, user.email, sessionToken=True))
    assert body["verified"] is False
    assert (body["verificationMethod"], body["verificationReason"]) == ("totp-2fa", "login")
    session = SessionToken.objects.get(pk=token_key(body["sessionToken"]))
    assert not session.token_verified and session.must_verify


# --- /password/create and the reset page ----------------------------------------------------------

def test_password_create_only_for_accounts_without_a_password(api, user):
    assert_error(api.post("/password/create", {"authPW": "11" * 32}, token=user.session_token), 400, 206)
    Account.objects.filter(pk=user.uid).update(verifier_set_at=0)
    created = ok(api.post("/password/create", {"authPW": stretch(user.email, NEW_PASSWORD)[0]},
                          token=user.session_token))
    assert created == Account.objects.get(pk=user.uid).verifier_set_at > 0
    assert SecurityEvent.objects.filter(account=user.account, name="account.password_added").exists()
    ok(api.post("/account/login", {"email": user.email, "authPW": stretch(user.email, NEW_PASSWORD)[0]}))
    assert_error(api.post("/password/create", {"authPW": "11" * 32}), 401, 110)


def test_complete_reset_password_link_renders_the_reset_form_and_changes_nothing(api, client, user):
    body, code = send_code(api, user.email)
    link = last("recovery").extra_headers["X-Link"]
    before = Account.objects.get(pk=user.uid)
    response = client.get(link[link.index("/complete_reset_password"):])
    assert response.status_code == 200
    html = response.content.decode()
    # The page's script does the reset over /v1 (the password is stretched in the browser).
    assert 'data-page="complete_reset_password"' in html
    assert '<form id="password-form" method="post" novalidate>' in html
    assert html.count('autocomplete="new-password"') == 2 and html.count('type="submit"') == 1
    assert "Your synced data will be lost." in html
    # The link's secrets are not written into the page, nor handed to other sites.
    assert code not in html and body["passwordForgotToken"] not in html
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    # Opening it spends nothing: the token keeps its tries, no reset token, the password stands.
    assert PasswordForgotToken.objects.get(account=user.account).tries == 3
    assert not AccountResetToken.objects.filter(account=user.account).exists()
    assert Account.objects.get(pk=user.uid).verifier_set_at == before.verifier_set_at
    assert "accountResetToken" in ok(verify_code(api, body["passwordForgotToken"], code))
    # A damaged link still gets the page, whose script says so.
    assert client.get("/complete_reset_password?uid=zz").status_code == 200
