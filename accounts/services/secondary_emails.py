"""Secondary email addresses: list, add, verify with a 6-digit code, remove, make primary.

Upstream's rules (lib/routes/emails.js, auth-api-responses.md §8). A secondary address is an
``Email`` row with ``is_primary`` false; while unverified it only claims the address, and another
account may take it over. Its 6-digit code is the email OTP (``accounts.otp``, step 600 s, window
1) of the row's ``email_code``, so re-sending the code sends the same code within a step.

Making a secondary address primary swaps the ``is_primary`` flags only: the account's ``uid`` and
its sign-up address (``Account.email``, which clients stretch the password with) never change.
"""
import logging
import secrets

from django.db import IntegrityError, transaction

from .. import otp, signals
from ..errors import AppError, Errno
from ..models import Account, Email, PasswordChangeToken, now_ms
from . import notices, security_events
from .customs_checks import check_account
from .mail import send_email

logger = logging.getLogger("fxa.accounts")

MAX_SECONDARY_EMAILS = 3
# config.secondaryEmail.minUnverifiedAccountTime: an unverified account younger than this keeps
# its address (141); an older one is deleted to free it.
MIN_UNVERIFIED_ACCOUNT_AGE_MS = 24 * 60 * 60 * 1000


def list_emails(account):
    """GET /recovery_emails: the primary address first, then secondaries in the order added."""
    return Email.objects.filter(account=account).order_by("-is_primary", "created_at", "id")


def add(session, email, context):
    """POST /recovery_email: claim ``email`` as an unverified secondary and mail it a code
    (customs: ``createEmail``, on the account)."""
    account = session.account
    check_account("createEmail", account, context)
    normalized = email.lower()
    try:
        with transaction.atomic():
            # Serializes the account's own adds, so that the limit holds under concurrency.
            account = Account.objects.select_for_update().get(pk=account.pk)
            rows = list(Email.objects.filter(account=account))
            secondaries = [row for row in rows if not row.is_primary]
            # Counts unverified claims too, as upstream does.
            if len(secondaries) >= MAX_SECONDARY_EMAILS:
                raise AppError.max_secondary_emails_reached()
            primary = next(row for row in rows if row.is_primary)
            if normalized == primary.normalized_email:
                raise AppError(Errno.USER_PRIMARY_EMAIL_EXISTS)
            if any(row.normalized_email == normalized for row in secondaries):
                raise AppError(Errno.ACCOUNT_OWNS_EMAIL)
            _free_address(normalized, account)
            row = Email.objects.create(
                account=account,
                email=email,
                normalized_email=normalized,
                email_code=secrets.token_hex(16),
            )
            _send_code(account, row, context)
    except IntegrityError:
        # Another account claimed the address between our check and our insert.
        raise AppError(Errno.EMAIL_EXISTS) from None


def _free_address(normalized, account):
    """Upstream's attemptToFreeEmail: refuse a held address, or release an abandoned claim."""
    holder = (
        Email.objects.select_related("account")
        .select_for_update(of=("self",))
        .filter(normalized_email=normalized)
        .first()
    )
    if holder is None:
        return
    if holder.is_primary:
        if holder.is_verified:
            raise AppError(Errno.VERIFIED_PRIMARY_EMAIL_EXISTS)
        if now_ms() - holder.created_at < MIN_UNVERIFIED_ACCOUNT_AGE_MS:
            raise AppError(Errno.UNVERIFIED_PRIMARY_EMAIL_NEWLY_CREATED)
        logger.info("Deleting unverified account %s to free its address", holder.account_id)
        holder.account.delete()
    elif holder.is_verified:
        raise AppError(Errno.EMAIL_EXISTS)
    elif holder.account_id != account.uid:
        holder.delete()


def _send_code(account, row, context):
    send_email(
        "verifySecondaryCode",
        row.email,
        account=account,
        locale=context.locale,
        context={"code": otp.generate(row.email_code), "email": row.email},
    )


def resend_code(session, email, context):
    """POST /recovery_email/secondary/resend_code: the same code (within its step) again.

    Customs counts it on the account and on the address that gets the mail
    (``recoveryEmailSecondaryResendCode``)."""
    account = session.account
    check_account("recoveryEmailSecondaryResendCode", account, context, email=email)
    row = Email.objects.filter(account=account, normalized_email=email.lower()).first()
    if row is None:
        raise AppError(Errno.RESEND_EMAIL_CODE_TO_UNOWNED_EMAIL)
    if row.is_verified:
        raise AppError(Errno.ACCOUNT_OWNS_EMAIL)
    with transaction.atomic():
        _send_code(account, row, context)


def verify_code(session, email, code, context):
    """POST /recovery_email/secondary/verify_code: confirm a secondary address with its code.

    Confirming an address that is already verified succeeds silently (upstream), so a reused
    code answers {} without sending anything again. Customs counts every attempt
    (``recoveryEmailSecondaryVerifyCode``).
    """
    account = session.account
    check_account("recoveryEmailSecondaryVerifyCode", account, context, email=email)
    normalized = email.lower()
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        rows = list(Email.objects.filter(account=account))
        row = next((row for row in rows if row.normalized_email == normalized), None)
        if row is None:
            raise AppError(Errno.SECONDARY_EMAIL_UNKNOWN)
        if row.is_verified:
            return
        verified_secondaries = [r for r in rows if not r.is_primary and r.is_verified]
        if len(verified_secondaries) >= MAX_SECONDARY_EMAILS:
            raise AppError.max_secondary_emails_reached()
        if not otp.verify(code, row.email_code):
            raise AppError(Errno.INVALID_VERIFICATION_CODE)
        row.is_verified = True
        row.verified_at = now_ms()
        row.save(update_fields=["is_verified", "verified_at"])
        security_events.record(account, "account.secondary_email_added", context)
        notices.notify("postVerifySecondary", account, context, secondaryEmail=row.email)


def destroy(session, email, context):
    """POST /recovery_email/destroy: remove a secondary address of this account."""
    account = session.account
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        row = Email.objects.filter(account=account, normalized_email=email.lower()).first()
        if row is None:
            raise AppError(Errno.SECONDARY_EMAIL_UNKNOWN)
        if row.is_primary:
            raise AppError(Errno.EMAIL_DELETE_PRIMARY)
        row.delete()
        security_events.record(account, "account.secondary_email_removed", context)
        # upstream's resetAccountTokens: a password change started before the removal must restart.
        PasswordChangeToken.objects.filter(account=account).delete()
        if row.is_verified:
            notices.notify("postRemoveSecondary", account, context, secondaryEmail=row.email)


def set_primary(session, email, context):
    """POST /recovery_email/set_primary: make a verified secondary address the primary one."""
    account = session.account
    if not account.has_password:
        raise AppError(Errno.ACCOUNT_UNVERIFIED)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        row = Email.objects.filter(normalized_email=email.lower()).first()
        if row is None:
            raise AppError(Errno.SECONDARY_EMAIL_UNKNOWN)
        if row.account_id != account.uid:
            raise AppError(Errno.CHANGE_EMAIL_TO_UNOWNED_EMAIL)
        if not row.is_verified:
            raise AppError(Errno.CHANGE_EMAIL_TO_UNVERIFIED_EMAIL)
        if row.is_primary:
            return
        # One primary per account (a partial unique constraint): demote before promoting.
        Email.objects.filter(account=account, is_primary=True).update(is_primary=False)
        Email.objects.filter(pk=row.pk).update(is_primary=True)
        account.email_verified = True
        account.profile_changed_at = now_ms()
        account.save(update_fields=["email_verified", "profile_changed_at"])
        security_events.record(account, "account.primary_secondary_swapped", context)
        signals.profile_changed.send(Account, account=account, changes={"email": row.email})
        notices.notify("postChangePrimary", account, context, email=row.email)




