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
            headers = dict(message.extra_headers)
            # Recipients and answer addresses outside "to" are headers of the sent message too.
            if message.cc:
                headers.setdefault("Cc", ", ".join(message.cc))
            if message.reply_to:
                headers.setdefault("Reply-To", ", ".join(message.reply_to))
            MailboxMessage.objects.create(
                from_email=message.from_email,
                to=list(message.to),
                subject=message.subject,
                headers=headers,
                text_body=message.body,
                html_body=html,
            )
        return len(email_messages)
