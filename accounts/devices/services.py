"""Device use cases: register, list, destroy; the device command queue (upstream's pushbox).

Rules from auth-api-responses.md §7.2–7.3 and upstream's lib/devices.js, routes/devices-and-sessions.js
and lib/pushbox. Each use case runs in one transaction and queues its pushes on commit.
"""
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Coalesce

from accounts.compiled import CompiledLookup
from accounts.errors import AppError, Errno
from accounts.models import SessionToken, now_ms

from . import notifications
from .display import parse_user_agent, relative_time
from .models import Device, DeviceCommand
from .oauth_clients import oauth_clients

# Commands whose ttl defaults to something else than DEVICE_COMMAND_MAX_TTL (seconds).
DEFAULT_COMMAND_TTL = {"https://identity.mozilla.com/cmd/open-uri": 30 * 24 * 3600}

DEVICE_FIELDS = ("name", "type", "available_commands")
PUSH_FIELDS = ("push_callback", "push_public_key", "push_auth_key")


# Registration.


def register_device(owner, fields):
    """POST /account/device: create or update the one device record of the caller's token.

    ``fields`` holds the validated request fields that were sent (``id``, ``name``, ``type``, the
    push tuple, ``available_commands``). Without ``id`` the token's device is updated, or created
    if it has none. With ``id``: that device of the account (123 if unknown) is updated and bound
    to the caller's token, unless the token already has another device (124). Returns
    ``(device, created)``.
    """
    fields = dict(fields)
    device_id = fields.pop("id", None)
    with transaction.atomic():
        current = owner.current_device(for_update=True)
        device = current
        if device_id is not None and (current is None or current.id != device_id):
            device = Device.objects.select_for_update().filter(
                account=owner.account, pk=device_id
            ).first()
            if device is None:
                raise AppError(Errno.DEVICE_UNKNOWN)
            if current is not None:
                raise AppError.device_conflict(current.id)
        if device is None:
            return _create_device(owner, fields), True
        changed = _apply(device, fields)
        if not owner.owns(device):
            # upstream's updateDevice writes the caller's token on the record it names.
            for name, value in owner.ownership.items():
                setattr(device, name, value)
            changed = True
        if changed:  # clients send many updates that change nothing: don't write those
            device.save()
    return device, False


def _apply(device, fields):
    changed = False
    if "push_callback" in fields and fields["push_callback"] != device.push_callback:
        # A new endpoint works until its push service says otherwise.
        device.push_endpoint_expired = False
        changed = True
    for name in DEVICE_FIELDS + PUSH_FIELDS:
        if name in fields and getattr(device, name) != fields[name]:
            setattr(device, name, fields[name])
            changed = True
    return changed


def _create_device(owner, fields):
    device = Device(
        id=secrets.token_hex(16),
        account=owner.account,
        created_at=now_ms(),
        **owner.ownership,
    )
    _apply(device, fields)
    device.name = device.name or owner.client_name
    device.push_endpoint_expired = False
    try:
        with transaction.atomic():
            device.save(force_insert=True)
    except IntegrityError:
        # A concurrent request registered this token's device first.
        existing = owner.current_device()
        if existing is None:
            raise
        raise AppError.device_conflict(existing.id) from None
    if owner.token_verified:
        notifications.device_connected(owner.account.uid, device, display_name(device))
    return device


# Reading.


def display_name(device):
    """The device's name, or one synthesized from its session's user agent (upstream)."""
    if device.name or device.session_token is None:
        return device.name
    return parse_user_agent(device.session_token.user_agent).synthesized_name


def display_type(device):
    if device.type:
        return device.type
    if device.session_token is not None:
        ua_type = parse_user_agent(device.session_token.user_agent).device_type
        if ua_type:
            return ua_type
    # upstream assumes OAuth clients that register a device are mobile apps (mozilla/fxa#449).
    return "mobile" if device.refresh_token_id else "desktop"


def device_record(device, created=False):
    """The POST /account/device answer: the full record, defaults filled in."""
    record = {"id": device.id}
    if created:
        record["created_at"] = device.created_at
    record.update({"name": display_name(device), "type": display_type(device)})
    if device.push_callback is not None:
        record.update({
            "push_callback": device.push_callback,
            "push_public_key": device.push_public_key or "",
            "push_auth_key": device.push_auth_key or "",
        })
    record["push_endpoint_expired"] = device.push_endpoint_expired
    record["available_commands"] = device.available_commands
    return record


def _devices_with_last_access():
    return Device.objects.select_related("session_token").annotate(
        last_access=Coalesce("session_token__last_access_time", "last_access_time"))


# GET /account/devices is polled by every client: its query is compiled once (accounts/compiled.py).
_ACCOUNT_DEVICES = CompiledLookup(_devices_with_last_access(), "account_id")


def account_devices(account, filter_idle_timestamp=None):
    """The account's devices with ``last_access`` (the session's, or the refresh token device's)."""
    if not filter_idle_timestamp:
        return _ACCOUNT_DEVICES.all(account.pk)
    return list(_devices_with_last_access().filter(account=account, last_access__gt=filter_idle_timestamp))


def list_devices(owner, filter_idle_timestamp=None):
    """GET /account/devices"""
    now = now_ms()
    return [
        {
            "id": device.id,
            "is_current_device": owner.owns(device),
            "last_access_time": device.last_access,
            "last_access_time_formatted": relative_time(device.last_access, now),
            "location": {},
            "name": display_name(device),
            "type": display_type(device),
            "push_callback": device.push_callback,
            "push_public_key": device.push_public_key,
            "push_auth_key": device.push_auth_key,
            "push_endpoint_expired": device.push_endpoint_expired,
            "available_commands": device.available_commands,
        }
        for device in account_devices(owner.account, filter_idle_timestamp)
    ]


# Destroying.


def destroy_device(owner, device_id):
    """POST /account/device/destroy: the device and the token that holds it (123 if unknown)."""
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(
            account=owner.account, pk=device_id
        ).first()
        if device is None:
            raise AppError(Errno.DEVICE_UNKNOWN)
        disconnect(device)
    return device


def disconnect(device):
    """Delete a device with its token and queued commands; its peers (and itself) are told.

    Call inside a transaction.
    """
    notifications.device_disconnected(device)
    if device.session_token_id is not None:
        SessionToken.objects.filter(pk=device.session_token_id).delete()  # cascades to the device
    else:
        device.delete()
        oauth_clients().revoke(device.account, refresh_token_id=device.refresh_token_id)


def forget_refresh_token(refresh_token_id):
    """The OAuth app's hook when a refresh token is revoked: its device goes with it."""
    _, deleted = Device.objects.filter(refresh_token_id=refresh_token_id).delete()
    return deleted.get(Device._meta.label, 0)


# The command queue.


def invoke_command(owner, target_id, command, payload, ttl=None):
    """POST /account/devices/invoke_command: queue ``command`` for a device of the account.

    The target must list the command in its availableCommands (157). The record keeps ``ttl``
    seconds (default per command, capped at DEVICE_COMMAND_MAX_TTL) and gets the target's next
    index; the target is pushed ``command_received`` with the URL to fetch it.
    """
    sender = owner.current_device()
    with transaction.atomic():
        target = Device.objects.select_for_update().filter(
            account=owner.account, pk=target_id
        ).first()
        if target is None:
            raise AppError(Errno.DEVICE_UNKNOWN)
        if command not in target.available_commands:
            raise AppError(Errno.DEVICE_COMMAND_UNAVAILABLE)
        if ttl is None:
            ttl = DEFAULT_COMMAND_TTL.get(command)
        stored_ttl = settings.DEVICE_COMMAND_MAX_TTL if ttl is None else min(
            ttl, settings.DEVICE_COMMAND_MAX_TTL
        )
        target.last_command_index += 1
        target.save(update_fields=["last_command_index"])
        now = now_ms()
        queued = DeviceCommand.objects.create(
            device=target,
            index=target.last_command_index,
            command=command,
            payload=payload,
            sender=sender.id if sender else None,
            created_at=now,
            expires_at=now + stored_ttl * 1000,
        )
        notified = notifications.command_received(
            target, command, queued.sender, queued.index, notifications.command_url(queued.index), ttl
        )
    body = {"enqueued": True, "notified": bool(notified)}
    if not notified:
        # upstream's push error codes; the push itself is sent by the worker.
        if not target.push_callback:
            body["notify_error"] = "noCallback"
        elif target.push_endpoint_expired:
            body["notify_error"] = "expiredCallback"
        else:
            body["notify_error"] = "noKeys"
    return body


def fetch_commands(owner, index=None, limit=100):
    """GET /account/device/commands: the caller's unexpired commands from ``index`` on.

    Commands stay queued after being read (they expire); clients page with ``index + 1`` while
    ``last`` is false.
    """
    device = owner.current_device()
    if device is None:
        return {"index": 0, "last": True, "messages": []}
    live = DeviceCommand.objects.filter(device=device, expires_at__gt=now_ms())
    page = live.order_by("index")
    if index:
        page = page.filter(index__gte=index)
    messages = list(page[:limit]) if limit else []
    newest = live.aggregate(newest=Max("index"))["newest"] or 0
    last_index = messages[-1].index if messages else 0
    return {
        "index": last_index,
        "last": not messages or last_index == newest,
        "messages": [message.as_message() for message in messages],
    }


def expired_commands():
    return DeviceCommand.objects.filter(expires_at__lte=now_ms())


def prune_expired_commands():
    deleted, _ = expired_commands().delete()
    return deleted


# Notifications requested by clients.


def notify_devices(owner, payload, *, to="all", excluded=(), ttl=0, endpoint_action=None):
    """POST /account/devices/notify: push a (validated) payload to some of the account's devices."""
    devices = account_devices(owner.account)
    if to == "all":
        devices = [device for device in devices if device.id not in set(excluded)]
    else:
        devices = [device for device in devices if device.id in set(to)]
    recipients = notifications.targets(devices)
    if endpoint_action == "accountVerify":
        return notifications.send(recipients)
    return notifications.deliver(recipients, payload, ttl)
