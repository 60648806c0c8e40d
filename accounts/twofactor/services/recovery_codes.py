"""Backup authentication codes (auth-api-responses.md §5): sets of single-use codes that stand in
for the authenticator app.

Only a keyed hash of each code is stored (``hashing.RECOVERY_CODE``: HMAC-SHA256 under
SECRET_KEY), bound to the uid, of the lower-cased code — as the unblock codes are. Upstream
uses scrypt (N=65536) with a per-code salt, which costs ~0.2 s a code (1.6 s to store a set, and a
scan over the salts to find one). A 50-bit random code needs no stretching to resist guessing
online, and the server key keeps a leaked table from being searched offline; a keyed hash also
makes the lookup one indexed equality, so spending a code is a single conditional DELETE: of
concurrent requests with the same code exactly one deletes the row. Customs counts every code
presented (``verifyRecoveryCode``).
"""
from django.db import transaction

from accounts import hashing
from accounts.errors import AppError, Errno
from accounts.models import VerificationMethod
from accounts.services import notices, security_events
from accounts.services.customs_checks import check_account
from accounts.services.password_reset import mark_password_forgot_verified

from .. import otp
from ..models import RecoveryCode
from . import assurance, has_enabled_totp

NOTIFY_LOW_COUNT = 2  # upstream totp.recoveryCodes.notifyLowCount


def code_hash(uid, code):
    value = f"{uid}:{otp.normalize_recovery_code(code)}"
    return hashing.digest(hashing.RECOVERY_CODE, value)


def _store(account, codes):
    """Replace the account's codes with ``codes`` (duplicates after lower-casing count once)."""
    RecoveryCode.objects.filter(account=account).delete()
    hashes = dict.fromkeys(code_hash(account.uid, code) for code in codes)
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(account=account, code_hash=value) for value in hashes]
    )


def new_set(account):
    """A fresh set of codes, replacing the old ones; returns them (shown to the user once)."""
    codes = otp.new_recovery_codes()
    _store(account, codes)
    return codes



def _require_second_factor(session):
    # Backup codes go with TOTP: only a session that proved a second factor replaces them.
    if session.authenticator_assurance_level <= 1:
        raise AppError(Errno.SESSION_UNVERIFIED)


def replace_codes(session, context):
    """GET /recoveryCodes: a new set of 8 codes, the old ones removed (AAL2 session, else 138)."""
    _require_second_factor(session)
    with transaction.atomic():
        codes = new_set(session.account)
        security_events.record(
            session.account, "account.recovery_codes_replaced", context, verified=True,
            token_id=session.pk,
        )
        notices.notify("postNewRecoveryCodes", session.account, context)
    return codes


def set_codes(session, codes, context):
    """POST /recoveryCodes: the client's codes, during TOTP setup (154 once TOTP is enabled).

    No mail: the two-step authentication mail that follows mentions them.
    """
    account = session.account
    with transaction.atomic():
        if has_enabled_totp(account):
            raise AppError(Errno.TOTP_TOKEN_EXISTS)
        _store(account, codes)
        security_events.record(
            account, "account.recovery_codes_set", context, verified=True, token_id=session.pk
        )
    return {"success": True}


def update_codes(session, codes, context):
    """PUT /recoveryCodes: replace the codes with the client's (AAL2 session, else 138)."""
    _require_second_factor(session)
    with transaction.atomic():
        _store(session.account, codes)
        security_events.record(
            session.account, "account.recovery_codes_created", context, verified=True,
            token_id=session.pk,
        )
        notices.notify("postNewRecoveryCodes", session.account, context)
    return {"success": True}


def codes_status(account):
    """GET /recoveryCodes/exists."""
    count = RecoveryCode.objects.filter(account=account).count()
    return {"has_backup_codes": count > 0, "count": count}


def _spend(account, code, context):
    """Delete ``code`` of the account's set (156 when it is not one); the number left. Mails
    ``lowRecoveryCodes`` when two or fewer remain. Call inside the caller's transaction, after
    the customs check."""
    if not has_enabled_totp(account):
        raise AppError(Errno.RECOVERY_CODE_NOT_FOUND)
    deleted, _ = RecoveryCode.objects.filter(
        account=account, code_hash=code_hash(account.uid, code)
    ).delete()
    if not deleted:
        return None
    remaining = RecoveryCode.objects.filter(account=account).count()
    if remaining <= NOTIFY_LOW_COUNT:
        notices.notify("lowRecoveryCodes", account, context, numberRemaining=remaining)
    return remaining


def verify_session(session, code, context):
    """POST /session/verify/recoveryCode: spend a code; the session is verified with
    ``recovery-code`` (AAL2). 156 when the code is not one of the account's (or the account has
    no two-step authentication). Mails ``postSigninRecoveryCode``, and ``lowRecoveryCodes``
    when two or fewer codes remain."""
    account = session.account
    check_account("verifyRecoveryCode", account, context)
    with transaction.atomic():
        remaining = _spend(account, code, context)
        if remaining is not None:
            assurance.raise_to_second_factor(session, VerificationMethod.RECOVERY_CODE)
            notices.notify("postSigninRecoveryCode", account, context)
            security_events.record(
                account, "account.recovery_codes_signin_complete", context, verified=True,
                token_id=session.pk,
            )
    if remaining is None:
        raise AppError(Errno.RECOVERY_CODE_NOT_FOUND)
    return {"remaining": remaining}


def verify_password_forgot(forgot_token, code, context):
    """POST /totp/verify/recoveryCode (passwordForgotToken): a backup code stands in for the app
    in the reset of a two-step account (as /totp/verify). 156 when it is not one of the account's.
    No ``postSigninRecoveryCode`` mail: the reset mails the account itself."""
    account = forgot_token.account
    check_account("verifyRecoveryCode", account, context)
    with transaction.atomic():
        remaining = _spend(account, code, context)
        if remaining is not None:
            mark_password_forgot_verified(forgot_token)
            security_events.record(
                account, "account.recovery_codes_signin_complete", context, verified=True
            )
    if remaining is None:
        raise AppError(Errno.RECOVERY_CODE_NOT_FOUND)
    return {"remaining": remaining}
