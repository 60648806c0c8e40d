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


class RecordingBackend(LocmemBackend):
    """Records, per attempt, the Message-ID of what it is given and what happens to the
    connection; fails the first ``RecordingBackend.failures`` sends with a 421 (transient).

    ``on_close`` is called when the connection closes (after the send), to look at the row then.
    """

    failures = 0
    events = []
    on_close = None

    def open(self):
        RecordingBackend.events.append("open")
        return True

    def close(self):
        RecordingBackend.events.append("close")
        if RecordingBackend.on_close is not None:
            RecordingBackend.events.append(RecordingBackend.on_close())

    def send_messages(self, messages):
        for message in messages:
            RecordingBackend.events.append(("send", message.message()["Message-ID"]))
        if RecordingBackend.failures:
            RecordingBackend.failures -= 1
            raise smtplib.SMTPResponseException(421, b"4.3.2 Try again later")
        return super().send_messages(messages)


class WorkerKilledAfterSend(BaseException):
    """Stands for SIGKILL: nothing after it runs in the worker (not an ``Exception``)."""


class CrashAfterSendBackend(LocmemBackend):
    """The SMTP server takes the message, then the worker dies before anything is recorded."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise WorkerKilledAfterSend()
