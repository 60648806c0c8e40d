"""Mail from the account flows: the account's bounce rules, then the outbox (``emails.services``).

Who may be mailed is account policy, so it is decided here and ``emails`` stays a plain outbox.
``send_email`` refuses a recently bounced address (133/134/135) before anything is queued: a flow
that mails a code or a link fails rather than leave the user waiting for it. ``send_notification``
is for a notice about a change already made: a bounced address is skipped (logged), because a
bounce must not undo the change the notice reports. Call both inside the change's transaction.
"""
import logging

from emails import services as outbox

from ..errors import AppError
from . import bounces

logger = logging.getLogger("fxa.emails")


def send_email(template, to, *, account=None, locale="", context=None):
    """Queue ``template`` (``emails.services.send_email``) unless its first recipient bounced."""
    first = to if isinstance(to, str) else next(iter(to), None)
    if first:
        bounces.check(first, template)
    return outbox.send_email(template, to, account=account, locale=locale, context=context)


def send_notification(template, to, *, account=None, locale="", context=None):
    """``send_email`` for a notice about a change already made: a bounced address is skipped."""
    try:
        return send_email(template, to, account=account, locale=locale, context=context)
    except AppError as error:
        if error.errno not in bounces.BOUNCE_ERRNOS:
            raise
        logger.info("Not sending %s to a recently bounced address", template)
        return None
