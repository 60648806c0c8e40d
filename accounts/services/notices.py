"""Notices about a change already made to an account ("two-step authentication is on"), mailed
to its addresses. One path for all of them: a recently bounced address is skipped, never allowed
to undo the change the notice reports (``mail.send_notification``)."""
from .mail import send_notification


def notify(template, account, context, **data):
    """Queue ``template`` to the account's addresses; empty ``data`` values are left out."""
    send_notification(
        template, account.mail_recipients(), account=account,
        locale=context.locale if context else "",
        context={key: value for key, value in data.items() if value not in (None, "")},
    )
