"""System checks: with DEBUG off, mail must go somewhere a person reads it."""
from django.conf import settings
from django.core.checks import Error

DEV_MAILBOX_BACKEND = "emails.backends.DevMailboxBackend"


def mail_delivery(app_configs=None, **kwargs):
    problems = []
    if not settings.DEBUG and settings.EMAIL_BACKEND == DEV_MAILBOX_BACKEND \
            and not settings.EMAIL_DEV_MAILBOX:
        # The mailbox page is off without DEBUG: every code and link would vanish into a table
        # while the outbox shows the message as sent.
        problems.append(Error(
            "EMAIL_HOST is unset and DEBUG is off: mail would go to the development mailbox, "
            "which no user can read.",
            hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, "
                 "EMAIL_USE_TLS or EMAIL_USE_SSL), then try it with `manage.py check_email "
                 "you@example.com`; or set EMAIL_DEV_MAILBOX=true to keep mail in the admin's "
                 "mailbox on purpose.",
            id="emails.E001",
        ))
    if settings.EMAIL_USE_TLS and settings.EMAIL_USE_SSL:
        problems.append(Error(
            "EMAIL_USE_TLS and EMAIL_USE_SSL are both true; an SMTP server speaks one of them.",
            hint="Port 587: EMAIL_USE_TLS=true (STARTTLS). Port 465: EMAIL_USE_SSL=true.",
            id="emails.E002",
        ))
    return problems
