"""An account's TOTP authenticator and its backup authentication codes (upstream's ``totp`` and
``recoveryCodes`` tables)."""
from django.db import models

from accounts.fields import EncryptedTextField
from accounts.models import Account, now_ms


class TotpToken(models.Model):
    """The account's TOTP authenticator: at most one, pending until set up, then enabled.

    A *pending* row (``enabled`` false) holds the secret handed out by /totp/create while the user
    sets up an app; it lives ``PENDING_LIFETIME_MS`` (upstream keeps it in Redis for an hour).
    The secret itself must be readable to compute codes, so it is stored encrypted (upstream
    keeps it in clear).
    """

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, primary_key=True, related_name="totp_token",
        db_column="uid",
    )
    shared_secret = EncryptedTextField()
    epoch = models.IntegerField(default=0)
    verified = models.BooleanField(default=False)
    enabled = models.BooleanField(default=False)
    created_at = models.BigIntegerField(default=now_ms)
    # When /totp/setup/verify proved the pending secret (the newer setup flow), ms.
    setup_verified_at = models.BigIntegerField(null=True, blank=True)
    # The latest time step whose code was accepted: a code is good once (RFC 6238 §5.2).
    last_used_step = models.BigIntegerField(null=True, blank=True)
    # A new authenticator being set up while this one stays enabled (/totp/replace/start), until a
    # code of it is confirmed (/totp/replace/confirm) or it is older than PENDING_LIFETIME_MS.
    replacement_secret = EncryptedTextField(blank=True, default="")
    replacement_created_at = models.BigIntegerField(null=True, blank=True)

    PENDING_LIFETIME_MS = 60 * 60 * 1000

    class Meta:
        verbose_name = "TOTP authenticator"

    def __str__(self):
        state = "enabled" if self.enabled else "pending"
        return f"TOTP ({state}) of {self.account_id}"

    def is_live_pending(self, now):
        return not self.enabled and self.created_at >= now - self.PENDING_LIFETIME_MS

    def has_live_replacement(self, now):
        return bool(self.replacement_secret) and (
            self.replacement_created_at >= now - self.PENDING_LIFETIME_MS
        )


class RecoveryCode(models.Model):
    """One backup authentication code. Only a keyed hash bound to the uid is stored."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="recovery_codes", db_column="uid"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.BigIntegerField(default=now_ms)

    class Meta:
        verbose_name = "backup authentication code"
        constraints = [
            models.UniqueConstraint(fields=["account", "code_hash"], name="unique_recovery_code")
        ]

    def __str__(self):
        return f"Backup authentication code of {self.account_id}"
