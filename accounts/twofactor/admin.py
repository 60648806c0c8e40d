"""Support staff see whether an account has two-step authentication and can turn it off for a
user who lost the authenticator and the backup codes (through the TOTP service, as /totp/destroy:
event and notice mail). The secret is never shown."""
from django.contrib import admin
from django.db import transaction

from accounts.services.context import RequestContext

from .models import RecoveryCode, TotpToken
from .services import totp


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
        self._remove(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for token in queryset.select_related("account"):
                self._remove(request, token)

    def _remove(self, request, token):
        """The service of /totp/destroy (event, backup codes, the removal notice in the
        account's language)."""
        account = token.account
        context = RequestContext(ip_address=request.META.get("REMOTE_ADDR") or None,
                                 locale=account.locale)
        totp.remove_for_support(account, context)
