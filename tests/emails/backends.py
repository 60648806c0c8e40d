"""Email backends for the in-process tests: an SMTP server that is down, or that rejects mail."""
import smtplib

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class DownBackend(LocmemBackend):
    """The SMTP server refuses connections until ``DownBackend.failures`` runs out."""

    failures = 0

    def send_messages(self, messages):
        if DownBackend.failures:
            DownBackend.failures -= 1
            raise ConnectionRefusedError(111, "Connection refused")
        return super().send_messages(messages)


class RejectingBackend(LocmemBackend):
    """The SMTP server answers 550 for every recipient: a permanent failure."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.com": (550, b"5.1.1 No such user")})
