"""DRF authentication for auth-server tokens: ``Bearer <prefix>_<tokenId>`` and verified Hawk.

Each token type has its own class; a route lists the classes it accepts. A request whose
credentials name a token of another type, or an unknown token, is passed over (None), so a route
that accepts several types tries each; ``permissions.TokenRequired`` then answers 401 errno 110.

Unlike upstream (which stopped checking Hawk in 2024), Hawk requests are verified: the MAC over
upstream's normalized string (host and port from PUBLIC_URL, or the Host header), the payload
hash when one is sent, the timestamp within HAWK_TIMESTAMP_SKEW, and the nonce not seen before.
"""
import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.http.request import split_domain_port
from rest_framework.authentication import BaseAuthentication

from . import hawk, ports
from .compiled import CompiledLookup
from .errors import AppError, Errno
from .tokens import stored_id

logger = logging.getLogger("fxa.auth")
from .models import (
    AccountResetToken,
    KeyFetchToken,
    PasswordChangeToken,
    PasswordForgotToken,
    SessionToken,
    now_ms,
)

BEARER = re.compile(r"^Bearer (fx[a-z]{1,3})_([0-9a-f]{64})$")
HAWK_SCHEME = re.compile(r"^hawk\s", re.IGNORECASE)
LAST_ACCESS_RESOLUTION_MS = 60_000


class Credentials:
    __slots__ = ("scheme", "prefix", "token_id", "hawk")

    def __init__(self, scheme, token_id, prefix=None, hawk_attributes=None):
        self.scheme = scheme
        self.token_id = token_id
        self.prefix = prefix
        self.hawk = hawk_attributes


def read_credentials(request):
    """The request's token credentials (parsed once per request), or None."""
    django_request = request._request
    if hasattr(django_request, "_fxa_credentials"):
        return django_request._fxa_credentials
    header = django_request.META.get("HTTP_AUTHORIZATION", "")
    credentials = None
    match = BEARER.match(header)
    if match:
        credentials = Credentials("bearer", match.group(2), prefix=match.group(1))
    elif HAWK_SCHEME.match(header):
        try:
            attributes = hawk.parse_header(header)
        except hawk.HawkError:
            # Upstream answers an unreadable Hawk header as it answers an unknown token.
            raise AppError.token_not_found() from None
        credentials = Credentials("hawk", attributes["id"].lower(), hawk_attributes=attributes)
    django_request._fxa_credentials = credentials
    return credentials


def _signed_hosts(request):
    """Host/port pairs a client may have signed: the public URL first, then the Host header."""
    hosts = [(settings.PUBLIC_HOST, settings.PUBLIC_PORT)]
    domain, port = split_domain_port(request.get_host())
    pair = (domain, int(port) if port else (443 if request.is_secure() else 80))
    if pair not in hosts:
        hosts.append(pair)
    return hosts


def verify_hawk(request, attributes, auth_key_hex, token_id):
    django_request = request._request
    body = django_request.body if "hash" in attributes else None
    resource = django_request.META.get("RAW_URI") or django_request.get_full_path()
    try:
        hawk.verify_request(
            bytes.fromhex(auth_key_hex),
            attributes,
            django_request.method,
            resource,
            _signed_hosts(django_request),
            django_request.META.get("CONTENT_TYPE", ""),
            body,
        )
    except hawk.HawkError as exc:
        raise AppError(Errno.INVALID_REQUEST_SIGNATURE) from exc
    skew = settings.HAWK_TIMESTAMP_SKEW
    # Integer seconds: a float conversion would overflow on an absurd (yet signed) ts.
    if abs(int(time.time()) - int(attributes["ts"])) > skew:
        raise AppError.invalid_timestamp()
    if not _first_use_of_nonce(f"hawk-nonce:{token_id}:{attributes['ts']}:{attributes['nonce']}", skew):
        raise AppError(Errno.INVALID_NONCE)


def _first_use_of_nonce(key, skew):
    """cache.add is atomic (SET NX on Redis): of two requests with one nonce, only one gets in.

    With the cache down the request is let through, logged: the MAC and timestamp still hold,
    and upstream keeps no nonce cache at all, so an outage costs replay protection within the
    skew window rather than every signed request.
    """
    try:
        return cache.add(key, 1, timeout=2 * skew + 1)
    except Exception:  # noqa: BLE001 - whatever the cache client raises when Redis is down
        logger.warning("Hawk nonce cache unavailable; replay check skipped", exc_info=True)
        return True


class TokenAuthentication(BaseAuthentication):
    """Authenticates with one type of token; subclasses name the model."""

    model = None
    _lookups = {}

    def authenticate(self, request):
        credentials = read_credentials(request)
        if credentials is None:
            return None
        if credentials.scheme == "bearer" and credentials.prefix != self.model.bearer_prefix:
            return None
        token = self.lookup(stored_id(credentials.token_id))
        if token is None:
            return None
        if credentials.scheme == "hawk":
            view = request.parser_context.get("view")
            if getattr(view, "payload_required", False) and "hash" not in credentials.hawk:
                message = "Missing required payload hash"
                raise AppError(Errno.INVALID_REQUEST_SIGNATURE, message=message)
            verify_hawk(request, credentials.hawk, token.auth_key, token.token_id)
        self.accept(token)
        return (token.account, token)

    def lookup(self, key):
        """The token stored under ``key`` (``stored_id`` of the presented id) with its account
        (``queryset()``, compiled once per class)."""
        lookup = self._lookups.get(type(self))
        if lookup is None:
            lookup = self._lookups[type(self)] = CompiledLookup(self.queryset())
        return lookup.get(key)

    def queryset(self):
        return self.model.objects.select_related("account")

    def accept(self, token):
        """Hook for per-type checks and bookkeeping once a token is authenticated."""

    def authenticate_header(self, request):
        return "Hawk"


class SessionTokenAuthentication(TokenAuthentication):
    model = SessionToken

    def queryset(self):
        # The account's two-step state rides along: the assurance level is read on most routes.
        return super().queryset().annotate(account_two_step=ports.has_enabled_totp_expression())

    def accept(self, token):
        if hasattr(token, "account_two_step"):  # absent when a subclass loaded the token itself
            token.account.two_step_enabled = token.account_two_step
        if token.is_expired():
            SessionToken.objects.filter(pk=token.pk).delete()
            raise AppError.token_expired()
        now = now_ms()
        # Recorded at a coarse resolution so that reads do not each cost a write.
        if now - token.last_access_time > LAST_ACCESS_RESOLUTION_MS:
            SessionToken.objects.filter(pk=token.pk).update(last_access_time=now)
            token.last_access_time = now


class KeyFetchTokenAuthentication(TokenAuthentication):
    model = KeyFetchToken


class PasswordChangeTokenAuthentication(TokenAuthentication):
    model = PasswordChangeToken

    def accept(self, token):
        if now_ms() - token.created_at > settings.PASSWORD_CHANGE_TOKEN_LIFETIME * 1000:
            PasswordChangeToken.objects.filter(pk=token.pk).delete()
            raise AppError.token_expired()


class ExpiringTokenAuthentication(TokenAuthentication):
    """A token type with a fixed lifetime (``lifetime_setting``, seconds): an expired token is
    deleted and answered 401 errno 110 "The authentication token has expired"."""

    lifetime_setting = None

    def accept(self, token):
        if now_ms() - token.created_at > getattr(settings, self.lifetime_setting) * 1000:
            self.model.objects.filter(pk=token.pk).delete()
            raise AppError.token_expired()


class PasswordForgotTokenAuthentication(ExpiringTokenAuthentication):
    model = PasswordForgotToken
    lifetime_setting = "PASSWORD_FORGOT_TOKEN_LIFETIME"


class AccountResetTokenAuthentication(ExpiringTokenAuthentication):
    model = AccountResetToken
    lifetime_setting = "ACCOUNT_RESET_TOKEN_LIFETIME"
