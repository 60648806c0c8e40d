"""OAuth clients, authorization codes, access and refresh tokens, on django-oauth-toolkit's models.

DOT's abstract models are kept for their shape and admin; FxA's needs replace the parts that
differ: 16-hex client ids, client secrets stored as SHA-256 hex (upstream's ``hashedSecret``, not
DOT's slow password hasher: secrets are 32 random bytes, so a fast hash is enough) with a previous
secret for rotation, tokens owned by an ``Account`` (not a Django user) and stored only as the
SHA-256 of the token (``token_id``), refresh tokens that produce many access tokens.
"""
import time
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from oauth2_provider.models import (
    AbstractAccessToken,
    AbstractApplication,
    AbstractGrant,
    AbstractRefreshToken,
)

from accounts import hashing
from accounts.models import Account

from . import crypto

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


def generate_client_id():
    return crypto.random_hex(8)


def validate_client_url(url):
    """Redirect and webhook URLs: https, or plain http on a loopback host (local development).

    URNs (``urn:ietf:wg:oauth:2.0:oob:…``) are what native clients register; allowed too.
    """
    if url.startswith("urn:"):
        return
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and (parts.hostname or "").lower() in LOOPBACK_HOSTS:
        return
    raise ValidationError(f"{url!r} must be https (http only on 127.0.0.1/localhost)")


def validate_webhook_url(url):
    """A webhook URL: what ``validate_client_url`` accepts, but a URL (no URN)."""
    if url.startswith("urn:"):
        raise ValidationError(f"{url!r} must be an https URL")
    validate_client_url(url)


# The events an RP may receive (events.md §2), by the last part of their schemas URI.
WEBHOOK_EVENTS = (
    "delete-user", "password-change", "profile-change", "subscription-state-change",
    "metrics-opt-out", "metrics-opt-in",
)


class ClientSecretField(models.CharField):
    """A client secret at rest: ``hashing.OAUTH_TOKEN``, SHA-256 hex of the secret's bytes
    (upstream's hashedSecret).

    Values are assigned already hashed (``Client.set_secret``): a 64-hex secret and its 64-hex
    hash cannot be told apart, so this field never guesses whether to hash.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    @staticmethod
    def hash(secret):
        return hashing.digest(hashing.OAUTH_TOKEN, secret)

    @staticmethod
    def matches(secret, hashed):
        return hashing.matches(hashing.OAUTH_TOKEN, secret, hashed)


def now_ms():
    return int(time.time() * 1000)


class Client(AbstractApplication):
    """An OAuth client (relying party)."""

    user = None  # FxA clients are provisioned by operators, not owned by a Django user.
    client_id = models.CharField(max_length=16, unique=True, default=generate_client_id, db_index=True)
    client_secret = ClientSecretField(help_text="SHA-256 hex of the secret; set with oauth_client.")
    client_secret_previous = ClientSecretField(
        help_text="SHA-256 hex of the previous secret, still accepted after a rotation."
    )
    image_uri = models.CharField(max_length=256, blank=True, default="")
    trusted = models.BooleanField(default=False, help_text="First-party: may request any scope.")
    can_grant = models.BooleanField(
        default=False, help_text="May use grant_type=fxa-credentials (with a session token)."
    )
    allowed_scopes = models.TextField(
        blank=True, default="", help_text="Space-separated scopes this client may request."
    )
    ppid_enabled = models.BooleanField(
        default=False, help_text="id_tokens carry a pairwise sub instead of the uid."
    )
    ppid_rotating = models.BooleanField(
        default=False,
        help_text="The pairwise sub changes every OAUTH_PPID_ROTATION_PERIOD (PPID clients only).",
    )
    jwt_access_tokens = models.BooleanField(
        default=False, help_text="Access tokens are RS256 JWTs (typ at+JWT) instead of opaque hex."
    )
    disabled = models.BooleanField(
        default=False,
        help_text="Temporarily refuse new authorizations and token grants (503, errno 202); "
        "codes already issued can still be redeemed.",
    )
    webhook_url = models.CharField(
        max_length=512, blank=True, default="",
        help_text="Where account events (Security Event Tokens) are POSTed; empty: none are sent.",
    )
    is_resource_server = models.BooleanField(
        default=False,
        help_text="Receives the events of every account (Sync, Relay), not only of its users.",
    )
    webhook_events = models.TextField(
        blank=True, default="",
        help_text="Space-separated event names it wants (e.g. delete-user password-change); "
        "empty: all of them.",
    )

    class Meta(AbstractApplication.Meta):
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.client_id})"

    @property
    def public_client(self):
        return self.client_type == self.CLIENT_PUBLIC

    @property
    def redirect_uri_list(self):
        return self.redirect_uris.split()

    @property
    def redirect_uri(self):
        uris = self.redirect_uri_list
        return uris[0] if uris else ""

    def set_secret(self, secret):
        """Store a (plaintext, 64-hex) secret hashed; the current one becomes the previous."""
        if self.client_secret:
            self.client_secret_previous = self.client_secret
        self.client_secret = ClientSecretField.hash(secret)

    def check_secret(self, secret):
        # Both compared every time: the answer takes as long whichever one matches.
        current = ClientSecretField.matches(secret, self.client_secret)
        previous = ClientSecretField.matches(secret, self.client_secret_previous)
        return current or previous

    def clean(self):
        errors = {}
        for field, check, values in (("redirect_uris", validate_client_url, self.redirect_uri_list),
                                     ("webhook_url", validate_webhook_url,
                                      [self.webhook_url] if self.webhook_url else [])):
            for value in values:
                try:
                    check(value)
                except ValidationError as error:
                    errors.setdefault(field, []).extend(error.messages)
        unknown = set(self.webhook_event_list) - set(WEBHOOK_EVENTS)
        if unknown:
            errors["webhook_events"] = [f"unknown events: {' '.join(sorted(unknown))}"]
        if errors:
            raise ValidationError(errors)

    @property
    def webhook_event_list(self):
        return self.webhook_events.split()

    def wants_event(self, event):
        return bool(self.webhook_url) and (not self.webhook_events or event in self.webhook_event_list)


class AuthorizationCode(AbstractGrant):
    """A single-use authorization code (stored as SHA-256 hex in ``code``) and its grant."""

    user = None
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="oauth_codes",
                                db_column="uid")
    auth_at = models.BigIntegerField(help_text="Seconds: when the user last authenticated.")
    amr = models.JSONField(default=list)
    aal = models.PositiveSmallIntegerField(default=1)
    offline = models.BooleanField(default=False)
    keys_jwe = models.TextField(blank=True, default="")
    session_token_id = models.CharField(max_length=64, blank=True, default="")
    profile_changed_at = models.BigIntegerField(null=True, blank=True)
    created_at = models.BigIntegerField(default=now_ms)

    class Meta(AbstractGrant.Meta):
        pass

    def __str__(self):
        return f"code {self.code[:8]}… for {self.application_id}"

    @classmethod
    def default_expiry(cls):
        return timezone.now() + timedelta(seconds=settings.OAUTH_CODE_TTL)


class RefreshToken(AbstractRefreshToken):
    """A refresh token (offline grants). Not rotated: each use mints an access token."""

    user = None
    token = None
    token_checksum = None
    access_token = None
    token_id = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="oauth_refresh_tokens",
                                db_column="uid")
    scope = models.TextField(blank=True, default="")
    created_at = models.BigIntegerField(default=now_ms)
    last_used_at = models.BigIntegerField(default=now_ms)
    profile_changed_at = models.BigIntegerField(null=True, blank=True)
    amr = models.JSONField(default=list)
    aal = models.PositiveSmallIntegerField(default=1)

    class Meta(AbstractRefreshToken.Meta):
        unique_together = ()
        indexes = []

    def __str__(self):
        return f"refresh token {self.token_id[:8]}… of {self.account_id}"

    # accounts/devices/owner.py reads these to bind a device to the token.
    @property
    def refresh_token_id(self):
        return self.token_id

    @property
    def client_name(self):
        return self.application.name


class AccessToken(AbstractAccessToken):
    """An opaque access token (64 hex), stored only as its SHA-256 (``token_id``)."""

    user = None
    token = None
    token_checksum = None
    id_token = None
    source_refresh_token = None
    token_id = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="oauth_access_tokens",
                                db_column="uid")
    refresh_token = models.ForeignKey(RefreshToken, on_delete=models.CASCADE, null=True, blank=True,
                                      related_name="access_tokens")
    created_at = models.BigIntegerField(default=now_ms)
    profile_changed_at = models.BigIntegerField(null=True, blank=True)

    class Meta(AbstractAccessToken.Meta):
        pass

    def __str__(self):
        return f"access token {self.token_id[:8]}… of {self.account_id}"

    @property
    def expires_at_ms(self):
        return int(self.expires.timestamp() * 1000)


class ClientUser(models.Model):
    """The ledger of who uses which relying party: an account completed an authorization with the
    client (a code issued, an fxa-credentials grant, a refresh). Only clients in an account's
    ledger (and the resource servers) hear about it; the rows go with the account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="oauth_client_uses",
                                db_column="uid")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="users")
    first_used_at = models.BigIntegerField(default=now_ms)
    last_used_at = models.BigIntegerField(default=now_ms)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "client"], name="oauth_clientuser_unique")
        ]

    def __str__(self):
        return f"{self.account_id} uses {self.client_id}"


def default_webhook_expiry():
    return timezone.now() + timedelta(seconds=settings.WEBHOOK_RETENTION)


class WebhookDelivery(models.Model):
    """One event for one client: the outbox row, written in the transaction of the change.

    The SET is signed at each attempt (a fresh ``jti`` and ``iat``); the row keeps what it says.
    ``uid`` is not a foreign key: a ``delete-user`` outlives its account. A deleted client takes
    its deliveries with it.
    """

    PENDING = "pending"
    DELIVERED = "delivered"
    DROPPED = "dropped"
    EXPIRED = "expired"
    STATUSES = [(PENDING, "pending"), (DELIVERED, "delivered"), (DROPPED, "dropped"),
                (EXPIRED, "expired")]

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="webhook_deliveries")
    uid = models.CharField(max_length=32, db_index=True)
    event = models.CharField(max_length=64, choices=[(name, name) for name in WEBHOOK_EVENTS])
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="HTTP status of the last attempt (none: no answer)."
    )
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=default_webhook_expiry)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="oauth_webhook_due")]

    def __str__(self):
        return f"{self.event} for {self.uid} to {self.client_id}"
