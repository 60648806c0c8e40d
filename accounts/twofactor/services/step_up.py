"""MFA step-up (``/mfa/otp/request``, ``/mfa/otp/verify``): an emailed code buys a short-lived
token for one sensitive action (``accounts.twofactor.mfa``)."""
from django.db import transaction

from accounts.errors import AppError, Errno
from accounts.services import attempts, security_events
from accounts.services.mail import send_email

from .. import mfa

# Upstream's template for step-up codes (header X-Account-Change-Verify-Code), which clients and
# tools that read codes from mail headers look for.
OTP_TEMPLATE = "verifyAccountChange"


def request_code(session, action, context):
    """POST /mfa/otp/request: mail the code for ``action`` to the account's addresses."""
    account = session.account
    with transaction.atomic():
        send_email(
            OTP_TEMPLATE, account.mail_recipients(), account=account,
            locale=context.locale, context={"code": mfa.otp_code(account, session.pk, action)},
        )
        security_events.record(
            account, "account.mfa_send_otp_code", context, verified=True, token_id=session.pk,
            action=action,
        )
    return {"status": "success"}


def verify_code(session, action, code, context):
    """POST /mfa/otp/verify: ``{accessToken}`` for a right code; 183 otherwise."""
    account = session.account
    attempts.check(account, "mfa_otp")
    if not mfa.verify_otp_code(account, session.pk, action, code):
        attempts.record_failure(account, "mfa_otp")
        security_events.record(
            account, "account.mfa_verify_otp_code_failed", context, token_id=session.pk,
            action=action,
        )
        raise AppError(Errno.INVALID_EXPIRED_OTP_CODE)
    security_events.record(
        account, "account.mfa_verify_otp_code_success", context, verified=True,
        token_id=session.pk, action=action,
    )
    return {"accessToken": mfa.issue_token(account.uid, session.pk, action)}
