"""MFA step-up (``/mfa/otp/request``, ``/mfa/otp/verify``): an emailed code buys a short-lived
token for one sensitive action (``accounts.twofactor.mfa``).

Customs counts them as the other emailed codes of a signed-in account: the mail as
``sendVerifyCode``, the code checks as ``verifySessionCode`` (wrong ones per IP,
``verifySessionCodeFailed``). Upstream names them per step-up action (``mfaOtpCodeRequestFor…``,
``mfaOtpCodeVerifyFor…``) without rules of their own, which would leave the 6-digit code
unlimited; and the name for ``2fa`` (``mfaOtpCodeVerifyFor2fa``) has a digit, which the rules
grammar does not allow in an action.
"""
from django.db import transaction

from accounts.errors import AppError, Errno
from accounts.services import security_events
from accounts.services.customs_checks import check_account
from accounts.services.mail import send_email

from .. import mfa

# Upstream's template for step-up codes (header X-Account-Change-Verify-Code), which clients and
# tools that read codes from mail headers look for.
OTP_TEMPLATE = "verifyAccountChange"


def request_code(session, action, context):
    """POST /mfa/otp/request: mail the code for ``action`` to the account's addresses."""
    account = session.account
    check_account("sendVerifyCode", account, context)
    with transaction.atomic():
        send_email(
            OTP_TEMPLATE, account.mail_recipients(), account=account,
            locale=context.locale, context={"code": mfa.otp_code(account, session.pk, action)},
            valid_for=mfa.OTP_STEP * (mfa.OTP_WINDOW + 1),  # the code's life, at most
        )
        security_events.record(
            account, "account.mfa_send_otp_code", context, verified=True, token_id=session.pk,
            action=action,
        )
    return {"status": "success"}


def verify_code(session, action, code, context):
    """POST /mfa/otp/verify: ``{accessToken}`` for a right code; 183 otherwise."""
    account = session.account
    check_account("verifySessionCode", account, context)
    if not mfa.verify_otp_code(account, session.pk, action, code):
        security_events.record(
            account, "account.mfa_verify_otp_code_failed", context, token_id=session.pk,
            action=action,
        )
        check_account("verifySessionCodeFailed", account, context)
        raise AppError(Errno.INVALID_EXPIRED_OTP_CODE)
    security_events.record(
        account, "account.mfa_verify_otp_code_success", context, verified=True,
        token_id=session.pk, action=action,
    )
    return {"access_token": mfa.issue_token(account.uid, session.pk, action)}
