"""Accounts, their email addresses, auth-server tokens and security events.

Binary protocol values are stored as lowercase hex strings and times as integer milliseconds since
the epoch, as upstream stores and exposes them. ``uid`` (32 hex) keys every relation.
"""
import time
from functools import cached_property

from django.conf import settings
from django.db import models

from . import ports
from .fields import EncryptedTextField


def now_ms():
    return int(time.time() * 1000)


class VerificationMethod(models.IntegerChoices):
    """How a session was verified (upstream's stored integers and wire names)."""

    EMAIL = 0, "email"
    EMAIL_2FA = 1, "email-2fa"
    TOTP_2FA = 2, "totp-2fa"
    RECOVERY_CODE = 3, "recovery-code"
    SMS_2FA = 4, "sms-2fa"


# Methods that prove possession of a second factor ("otp" in AMR terms).
SECOND_FACTOR_METHODS = frozenset(
    {VerificationMethod.TOTP_2FA, VerificationMethod.RECOVERY_CODE, VerificationMethod.SMS_2FA}
)


class Account(models.Model):
    uid = models.CharField(max_length=32, primary_key=True)
    # The sign-up address with its original case: clients stretch the v1 password with it, so it
    # never changes, even when the primary address does (onepw.md §2.1).
    email = models.CharField(max_length=255)
    normalized_email = models.CharField(max_length=255, db_index=True)
    email_code = EncryptedTextField()  # the link code, and the HOTP secret of the mailed codes
    # Mirrors the primary Email row's is_verified: read on every session-authenticated request.
    email_verified = models.BooleanField(default=False)
    ka = models.CharField(max_length=64)
    wrap_wrap_kb = models.CharField(max_length=64)
    wrap_wrap_kb_version2 = models.CharField(max_length=64, null=True, blank=True)
    auth_salt = models.CharField(max_length=64)
    client_salt = models.CharField(max_length=128, null=True, blank=True)
    verify_hash = models.CharField(max_length=64)
    verify_hash_version2 = models.CharField(max_length=64, null=True, blank=True)
    verifier_version = models.PositiveSmallIntegerField(default=1)
    verifier_set_at = models.BigIntegerField()
    keys_changed_at = models.BigIntegerField(null=True, blank=True)
    profile_changed_at = models.BigIntegerField(null=True, blank=True)
    created_at = models.BigIntegerField(default=now_ms)
    locale = models.CharField(max_length=255, blank=True, default="")
    metrics_opt_out_at = models.BigIntegerField(null=True, blank=True)
    locked_at = models.BigIntegerField(null=True, blank=True)
    disabled_at = models.BigIntegerField(null=True, blank=True)
    at_least_18_at_reg = models.BooleanField(null=True, blank=True)
    # The profile server's displayName (oauth.md §10); "" when unset.
    display_name = models.CharField(max_length=256, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} ({self.uid})"

    @property
    def metrics_enabled(self):
        return self.metrics_opt_out_at is None

    @property
    def has_password(self):
        return self.verifier_set_at > 0

    @cached_property
    def two_step_enabled(self):
        """Whether TOTP is on (session authentication preloads this with the session's row)."""
        return ports.has_enabled_totp(self)

    @property
    def authenticator_assurance_level(self):
        """The level every session must reach for gated routes: 2 with two-step authentication."""
        return 2 if self.two_step_enabled else 1

    @property
    def primary_email(self):
        return self.emails.get(is_primary=True)

    def mail_recipients(self):
        """Where mail about the account goes: the primary address, then the verified secondary
        ones (upstream's to + cc)."""
        rows = self.emails.order_by("-is_primary", "created_at", "pk")
        return [row.email for row in rows if row.is_primary or row.is_verified]


class Email(models.Model):
    """An address of an account: exactly one primary, plus secondary addresses."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="emails", db_column="uid"
    )
    email = models.CharField(max_length=255)
    normalized_email = models.CharField(max_length=255, unique=True)
    email_code = EncryptedTextField()  # the link code, and the HOTP secret of the mailed codes
    is_verified = models.BooleanField(default=False)
    is_primary = models.BooleanField(default=False)
    verified_at = models.BigIntegerField(null=True, blank=True)
    created_at = models.BigIntegerField(default=now_ms)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(is_primary=True), name="one_primary_email"
            )
        ]

    def __str__(self):
        return self.email


class AuthServerToken(models.Model):
    """Columns every auth-server token has (onepw.md §4). Neither the token nor the id that names
    it (the Bearer and Hawk credential) is stored: ``token_id`` is the id's SHA-256
    (``tokens.stored_id``), and the Hawk key derived from the token is encrypted."""

    token_id = models.CharField(max_length=64, primary_key=True)
    auth_key = EncryptedTextField()
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="%(class)ss", db_column="uid"
    )
    created_at = models.BigIntegerField(default=now_ms)

    bearer_prefix = None  # the ``Bearer <prefix>_<tokenId>`` form of this token type

    class Meta:
        abstract = True

    def __str__(self):
        return f"{type(self).__name__} {self.token_id[:8]}… of {self.account_id}"


class SessionTokenQuerySet(models.QuerySet):
    """Expiry, as upstream: a session without a device record lives
    SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME seconds from its creation; one with a device does not
    expire (``device`` is the reverse relation accounts.devices declares: a lookup, no import)."""

    @staticmethod
    def expiry_cutoff():
        """Device-less sessions created before this time (ms) have expired."""
        return now_ms() - settings.SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME * 1000

    def expired(self):
        return self.filter(created_at__lt=self.expiry_cutoff(), device__isnull=True)

    def unexpired(self):
        return self.filter(
            models.Q(created_at__gte=self.expiry_cutoff()) | models.Q(device__isnull=False)
        )


class SessionToken(AuthServerToken):
    """A sessionToken."""

    objects = SessionTokenQuerySet.as_manager()

    last_access_time = models.BigIntegerField(default=now_ms)
    auth_at = models.BigIntegerField(default=now_ms)
    user_agent = models.CharField(max_length=255, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # Present while the session awaits confirmation (upstream's unverifiedTokens row); mailed as
    # the sign-in link's code, so kept readable, and encrypted: compared in Python, never queried.
    token_verification_id = EncryptedTextField(null=True, blank=True)
    must_verify = models.BooleanField(default=False)
    verification_method = models.PositiveSmallIntegerField(
        choices=VerificationMethod.choices, null=True, blank=True
    )
    verified_at = models.BigIntegerField(null=True, blank=True)

    bearer_prefix = "fxs"

    @property
    def token_verified(self):
        return self.token_verification_id is None

    @property
    def verification_method_name(self):
        if self.verification_method is None:
            return None
        return VerificationMethod(self.verification_method).label

    @property
    def authenticator_assurance_level(self):
        return 2 if self.verification_method in SECOND_FACTOR_METHODS else 1

    @property
    def amr(self):
        methods = ["pwd", "email"]
        if self.verification_method in SECOND_FACTOR_METHODS:
            methods.append("otp")
        return methods

    @property
    def auth_at_seconds(self):
        return (self.auth_at or self.created_at) // 1000

    def is_expired(self):
        """Whether the session is past its lifetime (a query only for a session that old)."""
        if self.created_at >= SessionTokenQuerySet.expiry_cutoff():
            return False
        return SessionToken.objects.filter(pk=self.pk).expired().exists()


class KeyFetchToken(AuthServerToken):
    """A single-use keyFetchToken with the key bundle computed when it was issued."""

    key_bundle = models.CharField(max_length=192)
    # Shared with the session it was issued with: verifying that session verifies this token.
    token_verification_id = EncryptedTextField(null=True, blank=True)

    bearer_prefix = "fxk"

    @property
    def token_verified(self):
        return self.token_verification_id is None


class SecurityEvent(models.Model):
    """The account's audit log (GET /v1/securityEvents), named as upstream names events."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="security_events", db_column="uid"
    )
    name = models.CharField(max_length=64)
    verified = models.BooleanField(default=False)
    created_at = models.BigIntegerField(default=now_ms, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    token_id = models.CharField(max_length=64, null=True, blank=True)
    additional_info = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.account_id})"


class PasswordChangeToken(AuthServerToken):
    """A passwordChangeToken: proof of the old password, spent by /password/change/finish."""

    bearer_prefix = "fxpc"


class EmailBounce(models.Model):
    """A bounce or complaint reported for an address (upstream's ``emailBounces`` table).

    Recorded from the delivery provider's notifications (``POST /v1/emails/bounces``) or by
    support staff; ``accounts.services.bounces.check`` reads them before mail is sent.
    """

    class Type(models.TextChoices):
        HARD = "hard", "Hard bounce (Permanent)"
        SOFT = "soft", "Soft bounce (Transient)"
        COMPLAINT = "complaint", "Complaint"

    email = models.CharField(max_length=255)
    normalized_email = models.CharField(max_length=255, editable=False)
    bounce_type = models.CharField(max_length=16, choices=Type.choices)
    # The provider's sub-type verbatim (SES: General, NoEmail, Suppressed, MailboxFull, abuse…).
    bounce_sub_type = models.CharField(max_length=64, blank=True, default="")
    created_at = models.BigIntegerField(default=now_ms)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["normalized_email", "-created_at"], name="email_bounce_lookup")]

    def save(self, *args, **kwargs):
        self.normalized_email = self.email.lower()
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.get_bounce_type_display()} of {self.email}"


class UnblockCode(models.Model):
    """The account's sign-in unblock code (auth-api-responses.md §12): at most one, replaced by a
    new one. Only a keyed hash of the 8-character code is stored: a database leak must not hand
    out codes that bypass the sign-in rate limits."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, primary_key=True, related_name="unblock_code",
        db_column="uid",
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.BigIntegerField(default=now_ms)

    def __str__(self):
        return f"UnblockCode of {self.account_id}"


class PasswordForgotToken(AuthServerToken):
    """A passwordForgotToken (onepw.md §4.3): at most one per account, 24 h, 3 tries at its code.

    Only a SHA-256 of the passCode (16 random bytes, 32 hex) is stored: with 128 bits of entropy
    a plain hash is enough, and a database leak does not hand out codes.
    """

    pass_code_hash = models.CharField(max_length=64)
    tries = models.PositiveSmallIntegerField(default=3)
    # When the account's second factor (a TOTP or backup code, /totp/verify*) was proven with this
    # token, ms; a two-step account's reset needs it before /password/forgot/verify_code.
    totp_verified_at = models.BigIntegerField(null=True, blank=True)

    bearer_prefix = "fxpf"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account"], name="one_password_forgot_token")
        ]


class AccountResetToken(AuthServerToken):
    """An accountResetToken (15 min), spent by /account/reset; at most one per account."""

    bearer_prefix = "fxar"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account"], name="one_account_reset_token")
        ]


class RecoveryKey(models.Model):
    """The account recovery key's server half (onepw.md §7): the client-encrypted kB bundle.

    The recoveryKeyId is stored as its SHA-256 (as upstream's newer schema keeps a hash): it is
    the proof of knowing the key that /recoveryKey/{id} and /recoveryKey/verify ask for.
    """

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, primary_key=True, related_name="recovery_key",
        db_column="uid",
    )
    recovery_key_id_hash = models.CharField(max_length=64)
    recovery_data = models.TextField()
    enabled = models.BooleanField(default=True)
    hint = models.CharField(max_length=255, null=True, blank=True)
    created_at = models.BigIntegerField(default=now_ms)

    def __str__(self):
        return f"RecoveryKey of {self.account_id}"


class Avatar(models.Model):
    """An uploaded profile picture (the profile server's avatar, oauth.md §10), re-encoded on upload.

    An account has at most one: an upload replaces it. Served publicly at ``/a/<id>``.
    """

    id = models.CharField(max_length=32, primary_key=True)
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="avatars", db_column="uid"
    )
    image = models.BinaryField()
    content_type = models.CharField(max_length=32)
    created_at = models.BigIntegerField(default=now_ms)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Avatar {self.id} of {self.account_id}"


class BlocklistEntry(models.Model):
    """An IP address, CIDR range or email domain that customs refuses outright (400 errno 125).

    Managed in the admin and with ``manage.py customs blocklist``; ``accounts/customs/blocklist.py``
    keeps a compiled copy in each process, so no check reads this table.
    """

    class Kind(models.TextChoices):
        IP = "ip", "IP address"
        CIDR = "cidr", "CIDR range"
        EMAIL_DOMAIN = "email_domain", "email domain"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Normalised by clean(): an address or network as ipaddress writes it, a lower-case domain.
    value = models.CharField(max_length=255)
    note = models.CharField(max_length=255, blank=True, help_text="Why it is listed.")
    created_at = models.BigIntegerField(default=now_ms)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        verbose_name_plural = "blocklist entries"
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="one_blocklist_entry")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.value}"

    def clean(self):
        from django.core.exceptions import ValidationError

        from .customs.blocklist import normalize_value

        try:
            self.value = normalize_value(self.kind, self.value)
        except ValueError as error:
            raise ValidationError({"value": str(error)}) from None


class CustomsBlock(models.Model):
    """The ledger of blocks and bans customs opened, so that operators can list them without
    knowing the IP and email a pair record is keyed on.

    An index only: the record in the cache is the truth (a row whose block was cleared or ran out
    is not listed, and rows are pruned once they expire). Written when a block opens, never on a
    check that passes.
    """

    key = models.TextField()  # the block's (or ban's) cache key
    action = models.CharField(max_length=64)
    block_on = models.CharField(max_length=16)
    value = models.CharField(max_length=400, db_index=True)
    policy = models.CharField(max_length=8)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.BigIntegerField()  # ms
    expires_at = models.BigIntegerField(db_index=True)  # ms

    class Meta:
        verbose_name = "rate-limit block"
        verbose_name_plural = "rate limiting: active blocks and bans"
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.policy} {self.block_on}={self.value} on {self.action}"
