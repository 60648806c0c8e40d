"""Django admin for outgoing mail: the outbox (with a re-send action) and the development mailbox."""
import json

from django.contrib import admin, messages
from django.utils.html import format_html

from . import catalog, services
from .models import MailboxMessage, OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The outbox: what was sent, what is waiting, what failed (with the SMTP error) and what
    expired unsent."""

    list_display = ("created_at", "template", "recipients", "status", "attempts", "sent_at",
                    "expires_at")
    list_filter = ("status", "template")
    search_fields = ("to", "uid", "template", "last_error")
    date_hierarchy = "created_at"
    actions = ["resend"]
    fields = (
        "template", "to", "uid", "locale", "metrics_enabled", "context_display", "status", "attempts",
        "last_error", "created_at", "updated_at", "next_attempt_at", "expires_at", "sent_at",
        "message_id",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="to")
    def recipients(self, email):
        return ", ".join(email.to)

    @admin.display(description="context")
    def context_display(self, email):
        # Codes and tokens are credentials: support staff see that they exist, not their value
        # (the row holds them sealed; the admin never opens the seal).
        shown = {key: "…" if key in catalog.SECRET_CONTEXT_KEYS else value
                 for key, value in email.context.items()}
        shown.update({key: "(wiped)" if email.secrets_wiped else "…" for key in email.sealed_keys})
        return format_html("<pre>{}</pre>", json.dumps(shown, indent=2, sort_keys=True, ensure_ascii=False))

    @admin.display(description="Message-ID")
    def message_id(self, email):
        return email.message_id

    @admin.action(description="Re-send the selected failed, expired or queued messages",
                  permissions=["view"])
    def resend(self, request, queryset):
        sendable = [email for email in queryset if email.status != OutboundEmail.SENT]
        queued, unsendable = services.resend(sendable)
        self.message_user(request, f"{queued} message(s) queued again.", messages.SUCCESS)
        if len(sendable) < len(queryset):
            self.message_user(
                request, f"{len(queryset) - len(sendable)} message(s) already sent were left alone.",
                messages.WARNING,
            )
        if unsendable:
            self.message_user(
                request,
                f"{len(unsendable)} message(s) carried a code or token that has expired or was "
                "wiped; they cannot be re-sent (the user asks for a new one).",
                messages.WARNING,
            )
        if queued < len(sendable) - len(unsendable):
            self.message_user(
                request, "The task queue refused some messages; they stay queued and will be retried.",
                messages.ERROR,
            )


@admin.register(MailboxMessage)
class MailboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "subject", "from_email", "to")
    search_fields = ("subject", "to")
    readonly_fields = [f.name for f in MailboxMessage._meta.fields]
