"""Django admin for OAuth clients and tokens.

django-oauth-toolkit registers the (swapped) models itself, with the admin classes named in
``settings.OAUTH2_PROVIDER`` (these). As with ``manage.py oauth_client``, a confidential client's
secret is shown once, when the client is added or its secret rotated; only its hash is kept.
"""
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html

from . import crypto, webhooks
from .models import WebhookDelivery


class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "client_id", "client_type", "trusted", "can_grant", "disabled", "created")
    list_filter = ("client_type", "trusted", "can_grant", "ppid_enabled", "jwt_access_tokens",
                   "disabled", "is_resource_server")
    search_fields = ("name", "client_id")
    fields = (
        "name", "client_id", "client_type", "redirect_uris", "allowed_scopes", "image_uri",
        "trusted", "can_grant", "ppid_enabled", "ppid_rotating", "jwt_access_tokens", "disabled",
        "webhook_url", "is_resource_server", "webhook_events", "deliveries_link", "created",
        "updated",
    )
    readonly_fields = ("client_id", "deliveries_link", "created", "updated")
    actions = ["rotate_secret"]

    @admin.display(description="webhook deliveries")
    def deliveries_link(self, client):
        if client.pk is None:
            return "-"
        url = reverse("admin:oauth_webhookdelivery_changelist") + f"?client__id__exact={client.pk}"
        pending = client.webhook_deliveries.filter(status=WebhookDelivery.PENDING).count()
        return format_html('<a href="{}">{} pending</a>', url, pending)

    def _show_secret(self, request, client, secret):
        self.message_user(
            request, f"Client secret of {client.name} ({client.client_id}), shown only now: {secret}",
            messages.WARNING,
        )

    def save_model(self, request, obj, form, change):
        secret = None
        if not obj.public_client and not obj.client_secret:
            secret = crypto.random_hex()
            obj.set_secret(secret)
        super().save_model(request, obj, form, change)
        if secret:
            self._show_secret(request, obj, secret)

    @admin.action(description="Rotate the secret (the previous one stays valid)")
    def rotate_secret(self, request, queryset):
        for client in queryset:
            if client.public_client:
                continue
            secret = crypto.random_hex()
            client.set_secret(secret)
            client.save(update_fields=["client_secret", "client_secret_previous", "updated"])
            self._show_secret(request, client, secret)


class FailingClientFilter(admin.SimpleListFilter):
    """The deliveries of clients whose pending rows have failed at least once."""

    title = "failing clients"
    parameter_name = "failing"

    def lookups(self, request, model_admin):
        return [("yes", "failing clients only")]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        failing = (WebhookDelivery.objects.values("client")
                   .annotate(failed=Count("pk", filter=Q(status=WebhookDelivery.PENDING,
                                                          attempts__gt=0)))
                   .filter(failed__gt=0).values("client"))
        return queryset.filter(client__in=failing)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "client", "uid", "status", "attempts", "last_status",
                    "next_attempt_at", "created_at")
    list_select_related = ("client",)
    list_filter = ("status", "event", FailingClientFilter, "client")
    search_fields = ("=uid", "client__client_id", "client__name")
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    actions = ["retry_now", "drop"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry now (pending again, with a fresh retention)")
    def retry_now(self, request, queryset):
        count = webhooks.retry_now(queryset)
        self.message_user(request, f"{count} deliver(ies) queued again.", messages.SUCCESS)

    @admin.action(description="Drop (never send)")
    def drop(self, request, queryset):
        count = webhooks.drop(queryset)
        self.message_user(request, f"{count} pending deliver(ies) dropped.", messages.SUCCESS)


class _TokenAdmin(admin.ModelAdmin):
    list_display = ("__str__", "application", "account", "scope", "created")
    list_select_related = ("application", "account")
    list_filter = ("application",)
    search_fields = ("account__uid", "account__email", "application__client_id")
    raw_id_fields = ("account",)
    exclude = ("token_id", "code")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AccessTokenAdmin(_TokenAdmin):
    exclude = ("token_id",)


class RefreshTokenAdmin(_TokenAdmin):
    exclude = ("token_id",)


class AuthorizationCodeAdmin(_TokenAdmin):
    exclude = ("code", "keys_jwe")
