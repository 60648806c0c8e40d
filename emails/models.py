"""Outgoing mail: the outbox of messages to deliver, and the development mailbox."""
from django.db import models


class OutboundEmail(models.Model):
    """One message to send, recorded in the transaction of the change that caused it.

    The row is the source of truth: the Celery task ``emails.tasks.deliver`` renders and sends it
    and records the outcome; a periodic task re-queues rows whose task never ran (broker down),
    so nothing is silently dropped.
    """

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    STATUS_CHOICES = [(QUEUED, "queued"), (SENT, "sent"), (FAILED, "failed")]

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

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outbound email"

    def __str__(self):
        return f"{self.template} -> {', '.join(self.to)} ({self.status})"


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
