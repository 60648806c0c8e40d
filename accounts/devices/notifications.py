"""The push notifications upstream sends to an account's devices (auth-api-responses.md §16).

Each function picks the devices, builds the ``{version: 1, command, data}`` message and queues one
Celery task per device when the caller's transaction commits, so nothing is sent for a change that
rolled back. Call them inside the transaction of the change; when the change deletes devices
(password change, account destroy, disconnecting a device), capture the targets *before* deleting:
upstream notifies the devices as they were.
"""
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from kombu.exceptions import KombuError

from .display import parse_user_agent
from .models import Device

logger = logging.getLogger("fxa.push")

PAYLOAD_VERSION = 1
DEVICE_CONNECTED = "fxaccounts:device_connected"
DEVICE_DISCONNECTED = "fxaccounts:device_disconnected"
PROFILE_UPDATED = "fxaccounts:profile_updated"
PASSWORD_CHANGED = "fxaccounts:password_changed"
PASSWORD_RESET = "fxaccounts:password_reset"
ACCOUNT_DESTROYED = "fxaccounts:account_destroyed"
COMMAND_RECEIVED = "fxaccounts:command_received"

# Seconds the push service keeps an undelivered notification (upstream lib/push.js).
TTL_DEVICE_DISCONNECTED = 5 * 3600
TTL_PASSWORD_CHANGED = 6 * 3600
TTL_PASSWORD_RESET = TTL_PASSWORD_CHANGED
TTL_ACCOUNT_DESTROYED = TTL_DEVICE_DISCONNECTED
TTL_COMMAND_RECEIVED = TTL_PASSWORD_CHANGED

SYNC_COLLECTIONS = ["addons", "bookmarks", "history", "forms", "prefs", "tabs", "passwords", "clients"]


def _message_schema(command, data=None, required=()):
    schema = {
        "type": "object",
        "required": ["version", "command"] + (["data"] if data is not None else []),
        "properties": {"version": {"type": "integer"}, "command": {"enum": [command]}},
        "additionalProperties": False,
    }
    if data is not None:
        schema["properties"]["data"] = {
            "type": "object", "required": list(required), "properties": data,
            "additionalProperties": False,
        }
    return schema


_STRING = {"type": "string"}
# What clients may send with /account/devices/notify (upstream docs/pushpayloads.schema.json).
PUSH_PAYLOAD_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "type": "object",
    "anyOf": [
        _message_schema(DEVICE_CONNECTED, {"deviceName": _STRING}, ["deviceName"]),
        _message_schema(DEVICE_DISCONNECTED, {"id": _STRING}, ["id"]),
        _message_schema(PROFILE_UPDATED),
        _message_schema("sync:collection_changed", {
            "collections": {"type": "array", "minItems": 1, "uniqueItems": True,
                            "items": {"enum": SYNC_COLLECTIONS}},
            "reason": {"type": "string", "enum": ["sendtab", "firstsync"]},
        }, ["collections"]),
        _message_schema(PASSWORD_CHANGED),
        _message_schema(PASSWORD_RESET),
        _message_schema(ACCOUNT_DESTROYED, {"uid": _STRING}, ["uid"]),
        _message_schema(COMMAND_RECEIVED, {
            "command": _STRING, "index": {"type": "integer"}, "sender": _STRING, "url": _STRING,
        }, ["command", "index", "url"]),
    ],
}

# Firefox for iOS shows a poor fallback for messages it does not handle; upstream sends it only these.
IOS_COMMANDS = frozenset({COMMAND_RECEIVED, DEVICE_CONNECTED, DEVICE_DISCONNECTED})

# The broker refusing a task: kombu's own errors, or the socket error of a dead connection.
BROKER_ERRORS = (KombuError, OSError)
QUEUE_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


@dataclass(frozen=True)
class Target:
    """A device's push subscription, captured when the notification is decided."""

    device_id: str
    endpoint: str
    public_key: str | None
    auth_key: str | None
    os: str | None = None


def targets(devices):
    """The devices that can be pushed to: a pushCallback that has not expired."""
    return [
        Target(
            device.id,
            device.push_callback,
            device.push_public_key or None,
            device.push_auth_key or None,
            parse_user_agent(device.session_token.user_agent).os if device.session_token else None,
        )
        for device in devices
        if device.can_receive_push
    ]


def account_targets(account_uid, exclude=(), exclude_session=None):
    """The account's devices that can be pushed to, but those ``exclude`` names (device ids) and
    the device of the sessionToken ``exclude_session`` (an id)."""
    devices = Device.objects.filter(account_id=account_uid).select_related("session_token")
    return targets(
        device for device in devices
        if device.id not in exclude
        and (exclude_session is None or device.session_token_id != exclude_session)
    )


def send(recipients, command=None, data=None, ttl=0):
    """Queue ``{version, command, data}`` (or a push without payload when ``command`` is None)."""
    message = None
    if command is not None:
        message = {"version": PAYLOAD_VERSION, "command": command}
        if data is not None:
            message["data"] = data
    return deliver(recipients, message, ttl)


def deliver(recipients, message, ttl=0):
    """Queue ``message`` (a JSON object, or None for no payload) as it is, for each recipient."""
    command = message.get("command") if message is not None else None
    chosen = []
    for target in recipients:
        if target.os == "iOS" and command not in IOS_COMMANDS:
            continue
        if message is not None and not (target.public_key and target.auth_key):
            logger.info("Push to device %s skipped: a payload but no keys", target.device_id)
            continue
        chosen.append(target)
    if chosen:
        # robust: once the change is committed, a push that cannot be queued must not fail it.
        transaction.on_commit(lambda: _queue(chosen, message, ttl), robust=True)
    return chosen


def _queue(chosen, message, ttl):
    from .tasks import deliver_push

    for target in chosen:
        try:
            deliver_push.apply_async(
                args=[target.device_id, target.endpoint, target.public_key, target.auth_key,
                      message, ttl],
                retry_policy=QUEUE_RETRY_POLICY,
            )
        except BROKER_ERRORS:
            # Pushes are best effort (upstream logs and carries on); commands stay queued anyway.
            logger.exception("Could not queue a push to device %s", target.device_id)


def device_connected(account_uid, device, device_name):
    """A new device: the account's other devices learn its name."""
    return send(account_targets(account_uid, exclude={device.id}), DEVICE_CONNECTED,
                {"deviceName": device_name})


def device_disconnected(device):
    """Call before deleting ``device``: every device of the account is told, the removed one too."""
    return send(account_targets(device.account_id), DEVICE_DISCONNECTED, {"id": device.id},
                TTL_DEVICE_DISCONNECTED)


def session_destroyed(session):
    """Call before deleting a sessionToken: its device, if it had one, is disconnected."""
    device = Device.objects.filter(session_token_id=session.pk).first()
    return device_disconnected(device) if device is not None else []


def command_received(device, command, sender, index, url, ttl=None):
    data = {"command": command, "index": index, "url": url}
    if sender:
        data["sender"] = sender
    return send(targets([device]), COMMAND_RECEIVED, data,
                TTL_COMMAND_RECEIVED if ttl is None else ttl)


def password_changed(recipients):
    return send(recipients, PASSWORD_CHANGED, ttl=TTL_PASSWORD_CHANGED)


def password_reset(recipients):
    return send(recipients, PASSWORD_RESET, ttl=TTL_PASSWORD_RESET)


def account_destroyed(account_uid, recipients):
    return send(recipients, ACCOUNT_DESTROYED, {"uid": account_uid}, TTL_ACCOUNT_DESTROYED)


def profile_updated(account_uid):
    return send(account_targets(account_uid), PROFILE_UPDATED)


def account_updated(account_uid, reason):
    """``accountVerify`` (email confirmed) or ``accountConfirm`` (sign-in confirmed): no payload."""
    if reason not in ("accountVerify", "accountConfirm"):
        raise ValueError(f"unknown account update {reason!r}")
    return send(account_targets(account_uid))


def command_url(index):
    """Where the target device fetches one command (the push's ``url``)."""
    return f"{settings.PUBLIC_URL}/v1/account/device/commands?index={index}&limit=1"
