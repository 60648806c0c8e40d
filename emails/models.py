"""Outgoing mail: the outbox of messages to deliver, and the development mailbox."""
import functools
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db import models
from django.utils import timezone

from . import catalog, sealing


def default_expires_at():
    """Now + EMAIL_MAX_AGE, in whole seconds (what a seal binds): a message carrying nothing that
    expires sooner is given up after that long."""
    return (timezone.now() + timedelta(seconds=settings.EMAIL_MAX_AGE)).replace(microsecond=0)


def keyring():
    """The sealing keys: EMAIL_SEALING_KEY (newest first), else derived from SECRET_KEY (and
    SECRET_KEY_FALLBACKS, so a rotated SECRET_KEY still opens what the old one sealed)."""
    materials = tuple(settings.EMAIL_SEALING_KEY) or (
        settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())
    )
    return _keyring(materials)


@functools.lru_cache(maxsize=8)
def _keyring(materials):
    return sealing.Keyring.from_materials(materials)


class OutboundEmail(models.Model):
    """One message to send, recorded in the transaction of the change that caused it.

    The row is the source of truth: the Celery task ``emails.tasks.deliver`` renders and sends it
    and records the outcome; a periodic task re-queues rows whose task never ran (broker down),
    so nothing is silently dropped.

    States: ``queued`` (waiting, retried with back-off while ``expires_at`` is ahead) ends in
    ``sent``; ``failed`` (a permanent SMTP 5xx, a message that cannot be built, a seal that does
    not open); or ``expired`` (``expires_at`` passed first: what the message carried is dead).

    The codes and tokens of ``context`` are never stored: ``save`` moves them into ``sealed``
    (``emails.sealing``, bound to template, recipients, uid and ``expires_at``), whose key names
    alone are kept in ``sealed_keys``. The seal is wiped when the row leaves ``queued``.
    """

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"
    STATUS_CHOICES = [(QUEUED, "queued"), (SENT, "sent"), (FAILED, "failed"), (EXPIRED, "expired")]

    template = models.CharField(max_length=64, db_index=True)
    to = models.JSONField(default=list)
    # The uid of the account the message is about (X-Uid); not a foreign key, so the record of
    # what was sent outlives a deleted account.
    uid = models.CharField(max_length=32, blank=True, default="", db_index=True)
    metrics_enabled = models.BooleanField(default=False)
    locale = models.CharField(max_length=255, blank=True, default="")
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=STATUS_CHOICES, default=QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the next delivery attempt is due; a queued row long past it lost its task.
    next_attempt_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # After this the message is not sent: its code or token has expired (or it is too old to
    # matter). Bound into the seal, so it cannot be pushed back without breaking it.
    expires_at = models.DateTimeField(default=default_expires_at, db_index=True)
    sealed = models.TextField(blank=True, default="")
    sealed_keys = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outbound email"

    def __str__(self):
        return f"{self.template} -> {', '.join(self.to)} ({self.status})"

    def save(self, *args, **kwargs):
        if self._seal_context() and kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "context", "sealed", "sealed_keys"}
        super().save(*args, **kwargs)

    def _seal_context(self):
        """Move the secrets of ``context`` into the seal; True when there were any."""
        secrets = {key: value for key, value in self.context.items()
                   if key in catalog.SECRET_CONTEXT_KEYS}
        if not secrets:
            return False
        if self.sealed:
            secrets = {**self.open_seal(), **secrets}
        self.context = {key: value for key, value in self.context.items() if key not in secrets}
        self.expires_at = self.expires_at.replace(microsecond=0)  # what the seal binds
        self.sealed = sealing.seal(keyring(), secrets, **self._binding())
        self.sealed_keys = sorted(secrets)
        return True

    def _binding(self):
        return {"template": self.template, "to": self.to, "uid": self.uid,
                "expires_at": self.expires_at}

    def open_seal(self, now=None):
        """The sealed secrets (a dict; empty without a seal). ``sealing.SealExpired`` once
        ``expires_at`` has passed, ``sealing.SealError`` for a seal this row did not make."""
        if not self.sealed:
            return {}
        return sealing.unseal(keyring(), self.sealed, now=now or timezone.now(), **self._binding())

    def wipe_secrets(self):
        """Forget the seal, and any secret still in the context (a row written behind the
        model's back); the key names stay, as a record that the message carried them."""
        in_clear = [key for key in self.context if key in catalog.SECRET_CONTEXT_KEYS]
        if in_clear:
            self.context = {key: value for key, value in self.context.items()
                            if key not in catalog.SECRET_CONTEXT_KEYS}
            self.sealed_keys = sorted({*self.sealed_keys, *in_clear})
        self.sealed = ""

    @property
    def secrets_wiped(self):
        return bool(self.sealed_keys) and not self.sealed

    @property
    def message_id(self):
        """The Message-ID of every attempt at this message, so that a receiver can drop the
        duplicate a crash between the SMTP answer and our commit causes."""
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or settings.PUBLIC_HOST
        return f"<{self.created_at:%Y%m%d%H%M%S%f}.{self.pk}.outbox@{domain}>"


class MailboxMessage(models.Model):
    """One message 'sent' while no SMTP server is configured, shown at /__mail__/."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_email = models.CharField(max_length=320)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=998)
    headers = models.JSONField(default=dict)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.subject} -> {', '.join(self.to)}"
