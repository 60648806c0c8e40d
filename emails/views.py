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


# The message page shows the mail's HTML in a sandboxed srcdoc iframe, and a srcdoc document
# inherits the policy of the page around it: under the strict site-wide CSP the mail's inline
# styles (which mail clients need, so our messages carry them) would be blocked and the preview
# would not look like the delivered mail. This development-only page therefore allows inline
# styles and remote images; scripts stay off (script-src 'none', and the sandbox has no
# allow-scripts), so a mail still cannot run anything here.
MAIL_PREVIEW_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'none'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:",
    "font-src 'self' data:",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])


def mailbox_message(request, message_id):
    _require_mailbox()
    message = get_object_or_404(MailboxMessage, pk=message_id)
    response = render(request, "emails/mailbox_message.html", {"message": message})
    response["Content-Security-Policy"] = MAIL_PREVIEW_CSP
    return response
