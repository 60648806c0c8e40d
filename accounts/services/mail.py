"""Mail from the account flows: the account's bounce rules, then the outbox (``emails.services``).

Who may be mailed is account policy, so it is decided here and ``emails`` stays a plain outbox.
``send_email`` refuses a recently bounced address (133/134/135) before anything is queued: a flow
that mails a code or a link fails rather than leave the user waiting for it. ``send_notification``
is for a notice about a change already made: a bounced address is skipped (logged), because a
bounce must not undo the change the notice reports. Call both inside the change's transaction.

A message is retried until what it carries expires (``valid_for`` seconds; by default
``secret_lifetime(template)``, the life of the template's code or token, and EMAIL_MAX_AGE for
the others), and then marked expired, never sent with a dead code.
"""
import logging
import time

from django.conf import settings

from emails import services as outbox

from .. import otp
from ..errors import AppError
from . import bounces

logger = logging.getLogger("fxa.emails")


def _email_otp_lifetime():
    """Seconds a 6-digit email OTP made now is still accepted: to the end of the last step of
    its window (``accounts.otp``: 600 s steps, one step around the current one)."""
    now = int(time.time())
    return (now // otp.STEP + otp.WINDOW + 1) * otp.STEP - now


def secret_lifetime(template):
    """Seconds the code or token that ``template`` carries stays usable; None when it has no
    lifetime of its own (the emailCode of ``verify``, a session's tokenVerificationId of
    ``verifyLogin``, notices), which gives the message EMAIL_MAX_AGE. The MFA step-up code
    (``verifyAccountChange``, accounts.twofactor) is given by its caller."""
    from .unblock import LIFETIME_MS as UNBLOCK_LIFETIME_MS  # unblock imports this module

    lifetimes = {
        "verifyShortCode": _email_otp_lifetime,
        "verifyLoginCode": _email_otp_lifetime,
        "verifySecondaryCode": _email_otp_lifetime,
        "unblockCode": lambda: UNBLOCK_LIFETIME_MS // 1000,
        # A resent code lives no longer than its passwordForgotToken: at most a full lifetime.
        "recovery": lambda: settings.PASSWORD_FORGOT_TOKEN_LIFETIME,
        "passwordForgotOtp": lambda: settings.PASSWORD_FORGOT_OTP_LIFETIME,
    }
    lifetime = lifetimes.get(template)
    return lifetime() if lifetime is not None else None


def send_email(template, to, *, account=None, locale="", context=None, valid_for=None,
               expires_at=None):
    """Queue ``template`` (``emails.services.send_email``) unless its first recipient bounced."""
    first = to if isinstance(to, str) else next(iter(to), None)
    if first:
        bounces.check(first, template)
    if valid_for is None and expires_at is None:
        valid_for = secret_lifetime(template)
    return outbox.send_email(template, to, account=account, locale=locale, context=context,
                             valid_for=valid_for, expires_at=expires_at)


def send_notification(template, to, *, account=None, locale="", context=None, valid_for=None,
                      expires_at=None):
    """``send_email`` for a notice about a change already made: a bounced address is skipped."""
    try:
        return send_email(template, to, account=account, locale=locale, context=context,
                          valid_for=valid_for, expires_at=expires_at)
    except AppError as error:
        if error.errno not in bounces.BOUNCE_ERRNOS:
            raise
        logger.info("Not sending %s to a recently bounced address", template)
        return None
