"""Forgotten password (onepw.md §6.4): reset codes, the passwordForgotToken → accountResetToken
exchange, /account/reset (with or without an account recovery key) and /password/create (§6.5).

Tokens are single use under concurrency: each exchange deletes (or locks and deletes) the token
row it spends inside its transaction, so of concurrent requests with one token only one wins;
the others find it gone and answer 401 errno 110, as for any spent token.
"""
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .. import customs, hashing, ports
from ..errors import AppError, Errno
from ..models import (
    Account,
    PasswordForgotToken,
    RecoveryKey,
    VerificationMethod,
    now_ms,
)
from ..tokens import (
    create_account_reset_token,
    create_password_forgot_token,
    spend,
    ttl_seconds,
)
from . import assurance, credentials, notices, passwords, security_events, verification
from .customs_checks import account_address
from .lookup import find_account
from .mail import send_email

CODE_LENGTH = 32  # hex digits of a passCode
OTP_DIGITS = 8
RECOVERY_LINK_OPTIONS = ("service", "redirectTo", "resume")


def _resettable_account(email):
    """The account whose *primary* address is ``email`` (102 unknown, 145 another address)."""
    account, email_row = find_account(email)
    if email_row is None:
        # Only the (former) sign-up address matched: it is no address of the account any more.
        raise AppError.unknown_account(email)
    if not email_row.is_primary:
        raise AppError(Errno.RESET_PASSWORD_WITH_SECONDARY_EMAIL)
    return account, email_row


def _forgot_token_status(row):
    return {
        "ttl": ttl_seconds(row, settings.PASSWORD_FORGOT_TOKEN_LIFETIME),
        "code_length": CODE_LENGTH,
        "tries": row.tries,
    }


def _new_forgot_token(account):
    """Replace the account's passwordForgotToken (at most one is live); under the account lock."""
    PasswordForgotToken.objects.filter(account=account).delete()
    return create_password_forgot_token(account, settings.PASSWORD_FORGOT_TOKEN_TRIES)


def _send_recovery_email(account, address, context, pass_code, token=None, links=None):
    mail_context = {"uid": account.uid, "code": pass_code, "email": address}
    if token is not None:
        mail_context["token"] = token
    if address != account.email:
        mail_context["emailToHashWith"] = account.email
    mail_context.update(
        {key: value for key, value in (links or {}).items() if key in RECOVERY_LINK_OPTIONS and value}
    )
    send_email("recovery", address, account=account, locale=context.locale, context=mail_context)


def send_code(email, context, links=None):
    """POST /password/forgot/send_code: a new passwordForgotToken, its code mailed (``recovery``)."""
    customs.check("passwordForgotSendCode", context, email=email)
    account, email_row = _resettable_account(email)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        token, pass_code, row = _new_forgot_token(account)
        security_events.record(account, "account.password_reset_requested", context)
        _send_recovery_email(account, email_row.email, context, pass_code, token, links)
    return {"password_forgot_token": token, **_forgot_token_status(row)}


def resend_code(forgot_token, context, links=None):
    """POST /password/forgot/resend_code: the ``recovery`` mail again, for the same token.

    Only the passCode's hash is stored, so the mail carries a fresh code (the earlier one stops
    working) and no token: the client that asked holds it. The tries left are kept.
    """
    customs.check("passwordForgotResendCode", context, email=account_address(forgot_token.account))
    with transaction.atomic():
        row = PasswordForgotToken.objects.select_for_update().filter(pk=forgot_token.pk).first()
        if row is None:
            raise AppError.token_not_found()
        account = row.account
        pass_code = secrets.token_hex(16)
        row.pass_code_hash = hashing.digest(hashing.PASS_CODE, pass_code)
        row.save(update_fields=["pass_code_hash"])
        security_events.record(account, "account.password_reset_requested", context)
        _send_recovery_email(
            account, verification.primary_address(account), context, pass_code, links=links
        )
    return _forgot_token_status(row)


def status(forgot_token):
    """GET /password/forgot/status: ``{tries, ttl}`` of a live token."""
    return {
        "tries": forgot_token.tries,
        "ttl": ttl_seconds(forgot_token, settings.PASSWORD_FORGOT_TOKEN_LIFETIME),
    }


def verify_code(forgot_token, code, context, *, with_recovery_key=False):
    """POST /password/forgot/verify_code: the passCode turns the token into an accountResetToken.

    A wrong code costs one of the token's tries (105 with the ``tries`` left and ``ttl``); the
    last one deletes the token. The right code also proves the mailbox: the primary address
    becomes verified. For a two-step account the token must first have passed /totp/verify or
    /totp/verify/recoveryCode (400 errno 138 otherwise, no try spent). Customs counts every
    attempt on the address (``passwordForgotVerifyCode``).
    """
    customs.check("passwordForgotVerifyCode", context, email=account_address(forgot_token.account))
    with transaction.atomic():
        # The row lock orders concurrent attempts: each sees the tries the previous one left,
        # and only the first right one finds the row.
        row = PasswordForgotToken.objects.select_for_update().filter(pk=forgot_token.pk).first()
        if row is None:
            raise AppError.token_not_found()
        if row.totp_verified_at is None and ports.has_enabled_totp(row.account_id):
            # A two-step account's reset proves the second factor first (/totp/verify*).
            raise AppError(Errno.SESSION_UNVERIFIED)
        if not hashing.matches(hashing.PASS_CODE, code, row.pass_code_hash):
            row.tries -= 1
            if row.tries <= 0:
                row.delete()
            else:
                row.save(update_fields=["tries"])
            failure = AppError(
                Errno.INVALID_VERIFICATION_CODE,
                tries=max(row.tries, 0),
                ttl=ttl_seconds(row, settings.PASSWORD_FORGOT_TOKEN_LIFETIME),
            )
        else:
            failure = None
            account = Account.objects.select_for_update().get(pk=row.account_id)
            row.delete()
            if not account.email_verified:
                verification.verify_account(account, context)
            reset_token = create_account_reset_token(account)
            if not with_recovery_key:
                notices.notify("passwordReset", account, context, emailToHashWith=account.email)
    # Raised after the commit: the spent try must stay spent.
    if failure is not None:
        raise failure
    return {"account_reset_token": reset_token}


def mark_password_forgot_verified(forgot_token, now=None):
    """The passwordForgotToken proved the account's second factor (110 when it was spent meanwhile).

    Called by /totp/verify and /totp/verify/recoveryCode inside their transaction.
    """
    marked = PasswordForgotToken.objects.filter(pk=forgot_token.pk).update(
        totp_verified_at=now or now_ms()
    )
    if not marked:
        raise AppError.token_not_found()


# The newer reset flow: an 8-digit code mailed by /password/forgot/send_otp.


def _otp_key(account):
    return f"password-forgot-otp:{account.pk}"


def _otp_secret(account, code):
    """What is kept, keyed (``hashing.RESET_OTP``): the cache never holds a usable code."""
    return f"{account.pk}:{code}"


def send_otp(email, context):
    """POST /password/forgot/send_otp: an 8-digit code (``passwordForgotOtp``), valid 10 minutes.

    A new code replaces the previous one. Kept hashed in the cache, as upstream keeps it in Redis.
    """
    customs.check("passwordForgotSendOtp", context, email=email)
    account, email_row = _resettable_account(email)
    code = f"{secrets.randbelow(10 ** OTP_DIGITS):0{OTP_DIGITS}d}"
    with transaction.atomic():
        security_events.record(account, "account.password_reset_otp_sent", context)
        send_email(
            "passwordForgotOtp", email_row.email, account=account, locale=context.locale,
            context={"code": code},
        )
        stored = hashing.digest(hashing.RESET_OTP, _otp_secret(account, code))
        cache.set(_otp_key(account), stored, timeout=settings.PASSWORD_FORGOT_OTP_LIFETIME)
    return {}


def verify_otp(email, code, context):
    """POST /password/forgot/verify_otp: the mailed code buys a passwordForgotToken and its passCode.

    Customs counts every attempt on the address and IP, per 10 minutes and per day
    (``passwordForgotVerifyOtp``, ``passwordForgotVerifyOtpPerDay``), so the 10^8 codes cannot
    be walked. A right code is spent by deleting it: of concurrent requests only one gets a token.
    """
    customs.check("passwordForgotVerifyOtp", context, email=email)
    customs.check("passwordForgotVerifyOtpPerDay", context, email=email)
    account, _email_row = _resettable_account(email)
    stored = cache.get(_otp_key(account))
    if not hashing.matches(hashing.RESET_OTP, _otp_secret(account, code), stored):
        raise AppError(Errno.INVALID_VERIFICATION_CODE)
    if not cache.delete(_otp_key(account)):
        raise AppError(Errno.INVALID_VERIFICATION_CODE)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        token, pass_code, _row = _new_forgot_token(account)
        security_events.record(account, "account.password_reset_otp_verified", context)
    return {"code": pass_code, "email_to_hash_with": account.email, "token": token, "uid": account.uid}


# Setting the new password.


def reset_account(reset_token, auth_pw, context, *, wrap_kb=None, recovery_key_id=None, v2=None,
                  want_session=False, keys=False):
    """POST /account/reset: the new password, with a new kB or, with the account recovery key,
    the old one (the client re-wrapped it: ``wrap_kb``).

    Every session, device, token and the recovery key go (``credentials.reset_account``); the
    devices get ``fxaccounts:password_reset``. With ``want_session`` a new session is returned,
    verified, or awaiting ``totp-2fa`` on a two-step account.
    """
    if keys and not want_session:
        raise AppError.missing_parameter("sessionToken")
    account = reset_token.account
    if recovery_key_id is not None:
        _check_recovery_key(account, recovery_key_id)
    # Without a recovery key (or v2 wrapKb from the client) a random wrapKb is a new kB.
    wrap_kb = wrap_kb if wrap_kb is not None else secrets.token_bytes(32)
    stored = passwords.new_password(auth_pw, wrap_kb=wrap_kb, v2=v2)
    now = now_ms()
    with transaction.atomic():
        spend(reset_token)
        account = Account.objects.select_for_update().get(pk=account.pk)
        if recovery_key_id is not None:
            # Re-checked under the lock: the key may have been removed meanwhile.
            _check_recovery_key(account, recovery_key_id)
        ports.tell_devices_password_reset(account)
        credentials.reset_account(account, stored, keys_changed=recovery_key_id is None, now=now)
        security_events.record(account, "account.password_reset_success", context)
        security_events.record(account, "account.reset", context)
        # A reset proves the mailbox: the address's self-service blocks go once it commits
        # (upstream's unblockIfReset), so the owner can sign in with the new password.
        address, uid = account_address(account), account.uid
        transaction.on_commit(lambda: customs.unblock(context, email=address, uid=uid))
        if recovery_key_id is not None:
            notices.notify("passwordResetAccountRecovery", account, context)
        if not want_session:
            return {}
        if ports.has_enabled_totp(account):
            body = credentials.session_body(
                account, context, wrap_kb=wrap_kb, v2=v2, keys=keys,
                token_verification_id=secrets.token_hex(16), must_verify=True,
            )
            body.update(
                verified=False, verification_method="totp-2fa", verification_reason="login"
            )
            return body
        return credentials.session_body(
            account, context, wrap_kb=wrap_kb, v2=v2, keys=keys,
            verification_method=VerificationMethod.EMAIL, verified_at=now,
        )


def _check_recovery_key(account, recovery_key_id):
    from .recovery_keys import matches

    key = RecoveryKey.objects.filter(account=account, enabled=True).first()
    if key is None:
        raise AppError(Errno.RECOVERY_KEY_NOT_FOUND)
    if not matches(key, recovery_key_id):
        raise AppError(Errno.RECOVERY_KEY_INVALID)


def create_password(session, auth_pw, context, *, wrap_kb=None, v2=None):
    """POST /password/create: a first password for an account that has none (else 206).

    A two-step account needs an AAL2 session (138). The new password seals a new kB.
    """
    account = session.account
    if account.has_password:
        raise AppError(Errno.CANNOT_CREATE_PASSWORD)
    assurance.require_second_factor_if_enabled(account, session)
    stored = passwords.new_password(
        auth_pw, wrap_kb=wrap_kb if wrap_kb is not None else secrets.token_bytes(32), v2=v2
    )
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        if account.has_password:
            raise AppError(Errno.CANNOT_CREATE_PASSWORD)
        credentials.reset_account(account, stored, keys_changed=True, revoke=False)
        security_events.record(account, "account.password_added", context)
    return account.verifier_set_at
