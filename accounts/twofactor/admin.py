"""Support staff see whether an account has two-step authentication and can turn it off for a
user who lost the authenticator and the backup codes. The secret is never shown."""
from django.contrib import admin
from django.db import transaction

from accounts.services import security_events
from accounts.services.context import RequestContext

from .models import RecoveryCode, TotpToken


@admin.register(TotpToken)
class TotpTokenAdmin(admin.ModelAdmin):
    list_display = ("account", "enabled", "verified", "created_at", "backup_codes")
    list_filter = ("enabled",)
    search_fields = ("account__uid", "account__normalized_email")
    fields = ("account", "enabled", "verified", "created_at", "backup_codes")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="backup codes left")
    def backup_codes(self, token):
        return RecoveryCode.objects.filter(account_id=token.account_id).count()

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._remove(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for token in queryset.select_for_update():
                self._remove(request, token)

    def _remove(self, request, token):
        account = token.account
        RecoveryCode.objects.filter(account=account).delete()
        token.delete()
        context = RequestContext(ip_address=request.META.get("REMOTE_ADDR") or None)
        security_events.record(account, "account.two_factor_removed", context, by="support")
