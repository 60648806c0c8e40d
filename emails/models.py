"""Mail kept by the development mailbox backend."""
from django.db import models


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
