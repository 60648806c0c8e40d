"""The /__mail__/ pages of the development mailbox."""
from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from .models import MailboxMessage


def _require_mailbox():
    # Never expose stored mail on a server that delivers real mail or runs in production mode.
    if not settings.DEV_MAILBOX_ENABLED:
        raise Http404("The development mailbox is disabled")


def mailbox(request):
    _require_mailbox()
    messages = MailboxMessage.objects.all()[:200]
    return render(request, "emails/mailbox.html", {"messages": messages})


def mailbox_message(request, message_id):
    _require_mailbox()
    message = get_object_or_404(MailboxMessage, pk=message_id)
    return render(request, "emails/mailbox_message.html", {"message": message})
