"""The development mailbox: an email backend that stores messages in the database."""
from django.core.mail.backends.base import BaseEmailBackend


class DevMailboxBackend(BaseEmailBackend):
    """Keeps each message as a MailboxMessage instead of delivering it.

    Stored in the database (not memory) so that mail sent by any process, a Celery worker
    included, shows up on the /__mail__/ page.
    """

    def send_messages(self, email_messages):
        from .models import MailboxMessage

        for message in email_messages:
            html = next(
                (content for content, mimetype in getattr(message, "alternatives", [])
                 if mimetype == "text/html"),
                "",
            )
            MailboxMessage.objects.create(
                from_email=message.from_email,
                to=list(message.to),
                subject=message.subject,
                headers=dict(message.extra_headers),
                text_body=message.body,
                html_body=html,
            )
        return len(email_messages)
