"""Django admin for OAuth clients and tokens.

django-oauth-toolkit registers the (swapped) models itself, with the admin classes named in
``settings.OAUTH2_PROVIDER`` (these). Secrets are never shown: they are created and rotated with
``manage.py oauth_client``.
"""
from django.contrib import admin


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
