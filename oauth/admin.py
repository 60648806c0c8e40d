"""Django admin for OAuth clients and tokens.

django-oauth-toolkit registers the (swapped) models itself, with the admin classes named in
``settings.OAUTH2_PROVIDER`` (these). As with ``manage.py oauth_client``, a confidential client's
secret is shown once, when the client is added or its secret rotated; only its hash is kept.
"""
from django.contrib import admin, messages

from . import crypto


class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "client_id", "client_type", "trusted", "can_grant", "disabled", "created")
    list_filter = ("client_type", "trusted", "can_grant", "ppid_enabled", "jwt_access_tokens",
                   "disabled")
    search_fields = ("name", "client_id")
    fields = (
        "name", "client_id", "client_type", "redirect_uris", "allowed_scopes", "image_uri",
        "trusted", "can_grant", "ppid_enabled", "ppid_rotating", "jwt_access_tokens", "disabled",
        "webhook_url", "created", "updated",
    )
    readonly_fields = ("client_id", "created", "updated")
    actions = ["rotate_secret"]

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
