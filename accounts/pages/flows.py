"""The front-door pages: sign-up, sign-in, their codes, password reset and the landing pages.

Each is a template and an ES module (``static/js/pages/<page>.js``) that does the work over /v1,
exactly as a third-party client would: the password is stretched in the browser and never sent.
The view only renders; the page's query (OAuth parameters, service, email…) is read by the script.
"""
from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

# page name -> the paths it answers at (content-server.md §2). Pages of the sign-in family answer
# under /oauth/ too: RPs and Firefox link to those, with the OAuth parameters in the query.
FLOW_PAGES = {
    "index": ["", "oauth"],
    # The unblock step is a state of the sign-in page: it needs the password the page holds.
    "signin": ["signin", "force_auth", "signin_unblock"],
    "signup": ["signup"],
    "confirm_signup_code": ["confirm_signup_code"],
    "signin_token_code": ["signin_token_code"],
    "signin_totp_code": ["signin_totp_code"],
    "signin_recovery_code": ["signin_recovery_code", "signin_recovery_choice"],
    "signin_bounced": ["signin_bounced"],
    "signin_confirmed": ["signin_confirmed", "signin_verified"],
    "signup_confirmed": ["signup_confirmed", "signup_verified"],
    "signup_confirmed_sync": ["signup_confirmed_sync"],
    "cannot_create_account": ["cannot_create_account"],
    "connect_another_device": ["connect_another_device"],
    "reset_password": ["reset_password"],
    "confirm_reset_password": ["confirm_reset_password"],
    "confirm_totp_reset_password": ["confirm_totp_reset_password"],
    "confirm_backup_code_reset_password": ["confirm_backup_code_reset_password"],
    "account_recovery_confirm_key": ["account_recovery_confirm_key"],
    "complete_reset_password": ["complete_reset_password", "account_recovery_reset_password"],
    "reset_password_verified": [
        "reset_password_verified", "reset_password_with_recovery_key_verified",
    ],
    # Served by oauth.views.PermissionsPage (routed ahead of these): it renders the client too.
    "oauth_permissions": ["signin_permissions", "signup_permissions"],
}
# Pages outside the sign-in family (no /oauth/ twin).
# Settings pages are named settings_<section> (content-server.md §2); each section's pages are
# listed under its own comment.
ACCOUNT_PAGES = {
    # Main page, profile, connected services, activity, deletion
    "settings": ["settings"],
    "settings_recent_activity": ["settings/recent_activity"],
    "settings_delete_account": ["settings/delete_account"],
    "account_deleted": ["account_deleted"],  # the goodbye page: no session left, no settings page
    "settings_avatar": ["settings/avatar"],
    "settings_display_name": ["settings/display_name"],
    # Emails and account recovery key
    "settings_emails": ["settings/emails"],
    "settings_emails_verify": ["settings/emails/verify"],
    "settings_account_recovery": ["settings/account_recovery"],
    # Password and two-step authentication
    "settings_change_password": ["settings/change_password"],
    "settings_create_password": ["settings/create_password"],
    "settings_two_step_authentication": ["settings/two_step_authentication"],
    "settings_two_step_authentication_change": ["settings/two_step_authentication/change"],
    "settings_two_step_authentication_replace_codes": [
        "settings/two_step_authentication/replace_codes",
    ],
}

# Old and linked-to settings paths that land on a page above (content-server.md §2): Firefox links
# to /settings/avatar/change, and the mails to /settings/clients.
SETTINGS_REDIRECTS = {
    "settings/avatar/change": "/settings/avatar",
    "settings/clients": "/settings#connected-services",
}


@method_decorator(never_cache, name="dispatch")
class FlowPage(TemplateView):
    """A page whose module does the work; the template is ``pages/<page>.html``."""

    page = None

    def get_template_names(self):
        return [f"pages/{self.page}.html"]

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "page": self.page}

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        # The query can carry an email, a code or a token (the reset link): keep it from other sites.
        response["Referrer-Policy"] = "no-referrer"
        return response


def settings_redirect(request, target):
    """A settings path kept for its links: the page it moved to, with the query carried."""
    query = request.META.get("QUERY_STRING")
    path, _, anchor = target.partition("#")
    location = settings.PUBLIC_URL + path + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")
    return HttpResponseRedirect(location)


def change_password(request):
    """/.well-known/change-password (the W3C well-known URL password managers open): the
    settings page, which sends a signed-out user to sign in first."""
    return HttpResponseRedirect(f"{settings.PUBLIC_URL}/settings/change_password")
