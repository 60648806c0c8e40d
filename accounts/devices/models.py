"""Device records and their command queue.

A device belongs to the token that registered it: a sessionToken (deleted with it, by cascade) or,
once the OAuth app exists, an OAuth refresh token (``refresh_token_id``; the OAuth app deletes the
devices of a revoked token with ``services.forget_refresh_token``). Commands belong to their target
device and go with it. Times are milliseconds, ids lowercase hex, as upstream exposes them.
"""
from django.db import models

from accounts.models import Account, SessionToken, now_ms


class Device(models.Model):
    id = models.CharField(max_length=32, primary_key=True)
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="devices", db_column="uid"
    )
    session_token = models.OneToOneField(
        SessionToken, on_delete=models.CASCADE, null=True, blank=True, related_name="device"
    )
    refresh_token_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    name = models.CharField(max_length=255, blank=True, default="")
    type = models.CharField(max_length=16, blank=True, default="")
    created_at = models.BigIntegerField(default=now_ms)
    # Session devices report their session's lastAccessTime; this column serves refresh-token
    # devices, whose authentication class keeps it current.
    last_access_time = models.BigIntegerField(default=now_ms)
    push_callback = models.CharField(max_length=255, null=True, blank=True)
    push_public_key = models.CharField(max_length=88, null=True, blank=True)
    push_auth_key = models.CharField(max_length=24, null=True, blank=True)
    push_endpoint_expired = models.BooleanField(default=False)
    available_commands = models.JSONField(default=dict, blank=True)
    # The index of the newest command queued for this device (per-device, increasing).
    last_command_index = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(session_token__isnull=False, refresh_token_id__isnull=True)
                | models.Q(session_token__isnull=True, refresh_token_id__isnull=False),
                name="device_has_one_owner",
            )
        ]

    def __str__(self):
        return f"{self.name or 'Device'} ({self.id})"

    @property
    def can_receive_push(self):
        return bool(self.push_callback) and not self.push_endpoint_expired


class DeviceCommand(models.Model):
    """A command queued for a device by /account/devices/invoke_command (upstream's pushbox)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="commands")
    index = models.PositiveBigIntegerField()
    command = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    # The sending device's id; None when the sender's token has no device record.
    sender = models.CharField(max_length=32, null=True, blank=True)
    created_at = models.BigIntegerField(default=now_ms)
    expires_at = models.BigIntegerField(db_index=True)

    class Meta:
        ordering = ["device", "index"]
        constraints = [
            models.UniqueConstraint(fields=["device", "index"], name="device_command_index"),
        ]

    def __str__(self):
        return f"{self.command} #{self.index} for {self.device_id}"

    def as_message(self):
        """The stored record as /account/device/commands returns it."""
        data = {"command": self.command, "payload": self.payload}
        if self.sender:
            data["sender"] = self.sender
        return {"index": self.index, "data": data}
