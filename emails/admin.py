from django.contrib import admin

from .models import MailboxMessage


@admin.register(MailboxMessage)
class MailboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "subject", "from_email", "to")
    search_fields = ("subject", "to")
    readonly_fields = [f.name for f in MailboxMessage._meta.fields]
