"""Support tooling for the auth server's data: accounts, sessions, security events, bounces,
and customs (the blocklist, the open blocks and bans).

Every action that changes an account calls the service the API uses (deleting an account is
``delete_account``, signing a session out ``end_session``), so devices are told and events
recorded as for a client's request.

Credentials never reach a page: key material, verifiers and email codes are shown as "set"
placeholders, and a session's tokenId (which authenticates as ``Bearer fxs_<tokenId>``) is shown,
linked and selected only by its first 16 hex characters.
"""
import ipaddress
import json
import logging
import re
from datetime import datetime, timezone
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .customs import ledger, open_records
from .errors import localized_wait
from .models import (
    Account, BlocklistEntry, CustomsBlock, Email, EmailBounce, SecurityEvent, SessionToken,
)
from .services import accounts, bounces, sessions, verification
from .services.context import RequestContext

customs_logger = logging.getLogger("fxa.customs")

TOKEN_REFERENCE_LENGTH = 16
TOKEN_REFERENCE = re.compile(rf"^[0-9a-f]{{{TOKEN_REFERENCE_LENGTH}}}$")


def format_ms(value):
    """A stored millisecond timestamp as a readable UTC time."""
    if value is None:
        return "-"
    return datetime.fromtimestamp(value / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _staff_context(request):
    return RequestContext(ip_address=request.META.get("REMOTE_ADDR") or None)


def _staff(request):
    """Who did it, for the services' records: support staff, and which staff user."""
    return f"support (admin user {request.user.get_username()})"


def _redacted(value):
    return f"set ({len(value)} hex)" if value else "-"


class EmailInline(admin.TabularInline):
    """The account's addresses; changed through the API (or the actions), not edited here."""

    model = Email
    fields = ("email", "is_primary", "is_verified", "verified", "created")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-is_primary", "created_at")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="verified at")
    def verified(self, row):
        return format_ms(row.verified_at)

    @admin.display(description="added")
    def created(self, row):
        return format_ms(row.created_at)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("uid", "primary_address", "email", "email_verified", "created", "disabled")
    list_filter = ("email_verified",)
    # Any address finds the account: the sign-up address and every primary/secondary one.
    search_fields = ("=uid", "normalized_email", "emails__normalized_email")
    inlines = [EmailInline]
    actions = ["mark_primary_email_verified", "clear_email_bounces"]
    fieldsets = (
        (None, {"fields": ("uid", "email", "email_verified", "locale", "sessions_link")}),
        ("Profile", {"fields": ("display_name", "avatar_link")}),
        ("Times", {"fields": (
            "created", "verifier_set", "keys_changed", "profile_changed", "metrics_opt_out",
            "locked", "disabled_at_display",
        )}),
        ("Password and keys (read-only)", {"fields": (
            "verifier_version", "auth_salt", "client_salt", "verify_hash_display",
            "verify_hash_version2_display", "wrap_wrap_kb_display", "wrap_wrap_kb_version2_display",
            "ka_display", "email_code_display",
        )}),
    )
    readonly_fields = (
        "uid", "email", "email_verified", "sessions_link", "created", "verifier_set",
        "keys_changed", "profile_changed", "metrics_opt_out", "locked", "disabled_at_display",
        "verifier_version", "auth_salt", "client_salt", "verify_hash_display",
        "verify_hash_version2_display", "wrap_wrap_kb_display", "wrap_wrap_kb_version2_display",
        "ka_display", "email_code_display", "display_name", "avatar_link",
    )

    def get_queryset(self, request):
        primary = Email.objects.filter(account=OuterRef("pk"), is_primary=True).values("email")[:1]
        return super().get_queryset(request).annotate(primary_address_value=Subquery(primary))

    def has_add_permission(self, request):
        return False  # accounts are created by clients through /v1/account/create

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # The read-only audit log goes with its account.
        perms_needed.discard(SecurityEvent._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def save_model(self, request, obj, form, change):
        accounts.save_by_support(obj, form.changed_data)

    def delete_model(self, request, obj):
        accounts.delete_account(obj, _staff_context(request), by=_staff(request))

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for account in queryset:
                accounts.delete_account(account, _staff_context(request), by=_staff(request))

    @admin.display(description="primary address")
    def primary_address(self, account):
        return account.primary_address_value

    @admin.display(description="created", ordering="created_at")
    def created(self, account):
        return format_ms(account.created_at)

    @admin.display(description="disabled", boolean=True)
    def disabled(self, account):
        return bool(account.disabled_at)

    @admin.display(description="sessions")
    def sessions_link(self, account):
        url = reverse("admin:accounts_sessiontoken_changelist") + f"?account={account.uid}"
        return format_html('<a href="{}">{} session(s)</a>', url, account.sessiontokens.count())

    @admin.display(description="avatar")
    def avatar_link(self, account):
        avatar = account.avatars.only("id").first()
        if avatar is None:
            return "-"
        url = f"{settings.PUBLIC_URL}/a/{avatar.id}"
        return format_html('<a href="{}"><img src="{}" alt="avatar" width="64" height="64"></a>',
                           url, url)

    @admin.display(description="password set at")
    def verifier_set(self, account):
        return format_ms(account.verifier_set_at or None)

    @admin.display(description="keys changed at")
    def keys_changed(self, account):
        return format_ms(account.keys_changed_at)

    @admin.display(description="profile changed at")
    def profile_changed(self, account):
        return format_ms(account.profile_changed_at)

    @admin.display(description="metrics opted out at")
    def metrics_opt_out(self, account):
        return format_ms(account.metrics_opt_out_at)

    @admin.display(description="locked at")
    def locked(self, account):
        return format_ms(account.locked_at)

    @admin.display(description="disabled at")
    def disabled_at_display(self, account):
        return format_ms(account.disabled_at)

    @admin.display(description="verifyHash")
    def verify_hash_display(self, account):
        return _redacted(account.verify_hash)

    @admin.display(description="verifyHashVersion2")
    def verify_hash_version2_display(self, account):
        return _redacted(account.verify_hash_version2)

    @admin.display(description="wrapWrapKb")
    def wrap_wrap_kb_display(self, account):
        return _redacted(account.wrap_wrap_kb)

    @admin.display(description="wrapWrapKbVersion2")
    def wrap_wrap_kb_version2_display(self, account):
        return _redacted(account.wrap_wrap_kb_version2)

    @admin.display(description="kA")
    def ka_display(self, account):
        return _redacted(account.ka)

    @admin.display(description="emailCode")
    def email_code_display(self, account):
        return _redacted(account.email_code)

    @admin.action(description="Mark the primary email address verified", permissions=["change"])
    def mark_primary_email_verified(self, request, queryset):
        marked = 0
        for account in queryset.filter(email_verified=False):
            verification.verify_account(account, None)
            marked += 1
        self.message_user(request, f"{marked} account(s) marked verified.", messages.SUCCESS)

    @admin.action(description="Clear the email bounces of all their addresses", permissions=["change"])
    def clear_email_bounces(self, request, queryset):
        addresses = set(
            Email.objects.filter(account__in=queryset).values_list("normalized_email", flat=True)
        ) | set(queryset.values_list("normalized_email", flat=True))
        cleared = bounces.clear(
            EmailBounce.objects.filter(normalized_email__in=addresses), _staff_context(request)
        )
        self.message_user(request, f"{cleared} bounce record(s) cleared.", messages.SUCCESS)


@admin.register(SessionToken)
class SessionTokenAdmin(admin.ModelAdmin):
    """Sessions, listed per account (``?account=<uid>`` or a search); deleting one signs it out."""

    list_display = (
        "token", "account", "user_agent", "ip_address", "created", "last_access", "verified",
    )
    list_display_links = None  # no change page (see get_urls)
    list_select_related = ("account",)
    search_fields = ("=account__uid", "account__normalized_email", "account__emails__normalized_email")
    actions = ["sign_out"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        # The list only: a per-session page (change, delete, history) would carry the session's key
        # (its id's SHA-256: no credential, but a stable handle) in URLs that proxies log, and
        # without one, pages listing sessions (an account's deletion) cannot link it.
        return [url for url in super().get_urls() if (url.name or "").endswith("_changelist")]

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Its confirmation page lists the selected objects' primary keys.
        actions.pop("delete_selected", None)
        return actions

    def action_checkbox(self, session):
        checkbox = super().action_checkbox(session)
        # Still the HTML Django rendered, with only the (hex) value shortened: safe to mark so.
        return mark_safe(checkbox.replace(
            f'value="{session.pk}"', f'value="{session.pk[:TOKEN_REFERENCE_LENGTH]}"'
        ))

    def response_action(self, request, queryset):
        """Selected sessions arrive as tokenId prefixes; the action gets the sessions."""
        references = [
            reference for reference in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            if TOKEN_REFERENCE.match(reference)
        ]
        condition = Q(pk__in=[])
        for reference in references:
            condition |= Q(pk__startswith=reference)
        data = request.POST.copy()
        data.setlist(helpers.ACTION_CHECKBOX_NAME, list(queryset.filter(condition).values_list("pk", flat=True)))
        request.POST = data
        return super().response_action(request, queryset)

    @admin.display(description="session")
    def token(self, session):
        return f"{session.pk[:TOKEN_REFERENCE_LENGTH]}…"

    @admin.display(description="created", ordering="created_at")
    def created(self, session):
        return format_ms(session.created_at)

    @admin.display(description="last access", ordering="last_access_time")
    def last_access(self, session):
        return format_ms(session.last_access_time)

    @admin.display(description="verified", boolean=True)
    def verified(self, session):
        return session.token_verified

    @admin.action(description="Sign out the selected sessions", permissions=["delete"])
    def sign_out(self, request, queryset):
        with transaction.atomic():
            signed_out = list(queryset.select_related("account"))
            for session in signed_out:
                sessions.end_session(session.account, session, _staff_context(request), by="support")
        self.message_user(request, f"{len(signed_out)} session(s) signed out.", messages.SUCCESS)


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """The accounts' audit log, read-only."""

    list_display = ("name", "account", "verified", "created", "ip_address")
    list_filter = ("name", "verified")
    list_select_related = ("account",)
    search_fields = ("=account__uid", "account__normalized_email", "name")
    # token_id is left out: a hash that only links events to one session, of no use to staff.
    fields = ("account", "name", "verified", "created", "ip_address", "info")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="created", ordering="created_at")
    def created(self, event):
        return format_ms(event.created_at)

    @admin.display(description="additional info")
    def info(self, event):
        return format_html("<pre>{}</pre>", json.dumps(event.additional_info, indent=2, sort_keys=True))


@admin.register(EmailBounce)
class EmailBounceAdmin(admin.ModelAdmin):
    """Bounces and complaints; support staff clear them (``emails.clearBounces``) to unblock mail."""

    list_display = ("email", "bounce_type", "bounce_sub_type", "created")
    list_filter = ("bounce_type",)
    search_fields = ("normalized_email",)
    fields = ("email", "bounce_type", "bounce_sub_type")

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else ()

    @admin.display(description="created", ordering="created_at")
    def created(self, bounce):
        return format_ms(bounce.created_at)

    def delete_model(self, request, obj):
        bounces.clear([obj], _staff_context(request))

    def delete_queryset(self, request, queryset):
        bounces.clear(queryset, _staff_context(request))


@admin.register(BlocklistEntry)
class BlocklistEntryAdmin(admin.ModelAdmin):
    """The customs blocklist: listed IPs, CIDR ranges and mail domains are refused every check
    (400 errno 125). Saving or deleting an entry reaches every process within
    CUSTOMS_BLOCKLIST_REFRESH seconds (``accounts/customs/blocklist.py``)."""

    list_display = ("kind", "value", "note", "created", "created_by")
    list_filter = ("kind",)
    search_fields = ("value", "note")
    fields = ("kind", "value", "note")

    def get_readonly_fields(self, request, obj=None):
        # Another value is another entry: delete this one and add that.
        return ("kind", "value") if obj is not None else ()

    @admin.display(description="added", ordering="created_at")
    def created(self, entry):
        return format_ms(entry.created_at)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user.get_username()
        super().save_model(request, obj, form, change)
        customs_logger.warning("Customs blocklist: %s %s %s %s (%s)", _staff(request),
                               "changed" if change else "added", obj.kind, obj.value, obj.note)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        customs_logger.warning("Customs blocklist: %s removed %s %s", _staff(request), obj.kind, obj.value)

    def delete_queryset(self, request, queryset):
        entries = [str(entry) for entry in queryset]
        super().delete_queryset(request, queryset)
        customs_logger.warning("Customs blocklist: %s removed %s", _staff(request), ", ".join(entries))


@admin.register(CustomsBlock)
class CustomsBlockAdmin(admin.ModelAdmin):
    """Rate limiting (upstream's admin-panel page): the blocks and bans open now, found by ip,
    email and/or uid (or all that the ledger knows of), and "clear"; clearing needs the delete
    permission of this model."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        # One page; the ledger rows are no objects to edit (the cache holds the records).
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.rate_limiting_view), name=name)]

    def rate_limiting_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        source = request.POST if request.method == "POST" else request.GET
        query = {name: source.get(name, "").strip() for name in ("ip", "email", "uid")}
        problems = _customs_query_problems(query)
        values = {name: value or None for name, value in query.items()}
        if request.method == "POST":
            if not self.has_delete_permission(request):
                raise PermissionDenied
            if problems:
                for problem in problems:
                    self.message_user(request, problem, messages.ERROR)
            elif request.POST.get("key"):
                try:
                    removed = ledger.clear_key(request.POST["key"], by=_staff(request))
                except ValueError as error:
                    self.message_user(request, str(error), messages.ERROR)
                else:
                    self.message_user(request, f"{removed} record(s) cleared.", messages.SUCCESS)
            elif any(values.values()):
                removed = ledger.clear(**values, by=_staff(request))
                self.message_user(request, f"{removed} block(s), ban(s) and counter(s) cleared for "
                                  f"{_described(values)}.", messages.SUCCESS)
            else:
                self.message_user(request, "Enter an ip, an email or a uid to clear.", messages.ERROR)
            return redirect(f"{request.path}?{urlencode({k: v for k, v in query.items() if v})}")
        for problem in problems:
            self.message_user(request, problem, messages.ERROR)
        entries = [] if problems else open_records(**values, with_keys=True)
        rows = [{
            "key": key, "action": record.action, "block_on": record.block_on, "value": record.value,
            "policy": record.policy, "attempts": record.attempts,
            "started": format_ms(record.started_at * 1000), "retry_after": record.retry_after,
            "retry_after_localized": localized_wait(record.retry_after),
        } for key, record in entries]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Rate limiting: active blocks and bans",
            "query": query,
            "searched": any(values.values()),
            "rows": rows,
            "can_clear": self.has_delete_permission(request),
            "blocklist_url": reverse("admin:accounts_blocklistentry_changelist"),
        }
        return TemplateResponse(request, "admin/accounts/customsblock/rate_limiting.html", context)


def _customs_query_problems(query):
    problems = []
    if query["ip"]:
        try:
            ipaddress.ip_address(query["ip"])
        except ValueError:
            problems.append(f"Not an IP address: {query['ip']}")
    if query["uid"] and not re.fullmatch(r"[0-9a-f]{32}", query["uid"]):
        problems.append("A uid is 32 lowercase hex characters.")
    return problems


def _described(values):
    return ", ".join(f"{name} {value}" for name, value in values.items() if value)
