"""Everything connected to an account, as one list: devices, OAuth clients and web sessions.

``/account/attached_clients`` merges three lists as upstream's ConnectedServicesFactory does
(auth-api-responses.md §7.4): one entry per device, then the OAuth authorizations (merged into
the device that holds their refresh token), then the sessions (merged into their device). The
OAuth app plugs its authorizations in through ``oauth_clients`` (the port module); until then the
list has none.

A sessionToken id authenticates (``Bearer fxs_<id>``), so session ids never leave the server (nor
are they stored: rows are keyed by their SHA-256): entries name a session by an opaque handle bound
to the account (upstream's newest ``sessionTokenHandle``), which
``/account/attached_client/destroy`` resolves back.
"""
from django.db import transaction
from django.utils.crypto import constant_time_compare

from accounts import hashing
from accounts.errors import AppError, Errno
from accounts.models import SessionToken, now_ms
from accounts.services import security_events
from accounts.tokens import stored_id

from . import notifications, services
from .display import parse_user_agent, relative_time
from .models import Device
from .oauth_clients import oauth_clients

MAX_ATTACHED_CLIENTS = 500


def session_token_handle(session):
    """An opaque, account-bound name for a session: usable to destroy it, not to authenticate."""
    return hashing.digest(hashing.SESSION_TOKEN_HANDLE, f"{session.account_id}:{session.token_id}")


def live_sessions(account):
    """The account's sessions that have not expired (a session with a device does not expire)."""
    return (
        SessionToken.objects.filter(account=account)
        .unexpired()
        .select_related("device")
        .order_by("-last_access_time", "token_id")
    )


def _blank():
    return {
        "client_id": None, "device_id": None, "session_token_id": None, "refresh_token_id": None,
        "is_current_session": False, "device_type": None, "name": None, "created_time": None,
        "last_access_time": None, "scope": None, "location": {}, "user_agent": "", "os": None,
    }


def _earliest(*times):
    return min((t for t in times if t is not None), default=None)


def _latest(*times):
    return max((t for t in times if t is not None), default=None)


def attached_clients(current_session, filter_idle_timestamp=None):
    """GET /account/attached_clients: at most 500 entries, most recently used first."""
    account = current_session.account
    entries, by_session, by_refresh_token = [], {}, {}
    for device in services.account_devices(account, filter_idle_timestamp):
        entry = {
            **_blank(),
            "device_id": device.id,
            "device_type": services.display_type(device),
            "name": device.name,
            "created_time": device.created_at,
            "last_access_time": device.last_access,
        }
        entries.append(entry)
        if device.session_token_id:
            by_session[device.session_token_id] = entry
        if device.refresh_token_id:
            by_refresh_token[device.refresh_token_id] = entry

    for grant in oauth_clients().authorizations(account):
        entry = by_refresh_token.get(grant.refresh_token_id) if grant.refresh_token_id else None
        if entry is None:
            entry = {**_blank(), "created_time": grant.created_time}
            entries.append(entry)
        entry["refresh_token_id"] = grant.refresh_token_id
        entry["client_id"] = grant.client_id
        entry["scope"] = list(grant.scope)
        entry["created_time"] = _earliest(entry["created_time"], grant.created_time)
        entry["last_access_time"] = _latest(entry["last_access_time"], grant.last_access_time)
        entry["name"] = entry["name"] or grant.client_name
        if entry["device_id"] and not entry["device_type"]:
            entry["device_type"] = "mobile"

    for session in live_sessions(account):
        entry = by_session.get(session.token_id)
        if entry is None and getattr(session, "device", None) is not None:
            continue  # its device was left out as idle (filterIdleDevicesTimestamp)
        if entry is None:
            entry = {**_blank(), "created_time": session.created_at}
            entries.append(entry)
        user_agent = parse_user_agent(session.user_agent)
        entry["session_token_id"] = session_token_handle(session)
        entry["is_current_session"] = session.token_id == current_session.token_id
        entry["created_time"] = _earliest(entry["created_time"], session.created_at)
        entry["last_access_time"] = _latest(entry["last_access_time"], session.last_access_time)
        entry["scope"] = None  # a session can grant itself any scope
        entry["os"] = user_agent.os
        entry["user_agent"] = user_agent.browser_label
        entry["name"] = entry["name"] or user_agent.synthesized_name

    entries.sort(key=lambda entry: entry["last_access_time"] or 0, reverse=True)
    now = now_ms()
    result = []
    for entry in entries[:MAX_ATTACHED_CLIENTS]:
        if entry["device_id"] and not entry["device_type"]:
            entry["device_type"] = "desktop"
        # Newest clients read the handle under upstream's new name, older ones under the old.
        entry["session_token_handle"] = entry["session_token_id"]
        _format_times(entry, now)
        result.append(entry)
    return result


def _format_times(entry, now):
    for name in ("created_time", "last_access_time"):
        if entry[name] is not None:
            entry[f"{name}_formatted"] = relative_time(entry[name], now)


def list_sessions(current_session):
    """GET /account/sessions (deprecated): one entry per session, with its device's details."""
    now = now_ms()
    result = []
    for session in live_sessions(current_session.account):
        device = getattr(session, "device", None)
        user_agent = parse_user_agent(session.user_agent)
        entry = {
            "id": session_token_handle(session),
            "last_access_time": session.last_access_time,
            "created_time": session.created_at,
            "location": {},
            "user_agent": user_agent.browser_label,
            "os": user_agent.os,
            "device_id": device.id if device else None,
            "device_name": (device.name if device else "") or user_agent.synthesized_name,
            "device_available_commands": device.available_commands if device else None,
            "device_type": (device.type if device else "") or user_agent.device_type or "desktop",
            "device_callback_url": device.push_callback if device else None,
            "device_callback_public_key": device.push_public_key if device else None,
            "device_callback_auth_key": device.push_auth_key if device else None,
            "device_callback_is_expired": bool(device and device.push_endpoint_expired),
            "is_device": device is not None,
            "is_current_device": session.token_id == current_session.token_id,
        }
        _format_times(entry, now)
        result.append(entry)
    return result


def _find_session(account, handle):
    """The account's session named by ``handle`` (or, from clients that know it, by its id)."""
    as_id = stored_id(handle)
    for session in SessionToken.objects.filter(account=account).select_related("device"):
        if constant_time_compare(session_token_handle(session), handle) or constant_time_compare(
            session.token_id, as_id
        ):
            return session
    return None


def destroy_attached_client(current_session, context, *, client_id=None, session_handle=None,
                            session_field="sessionTokenId", refresh_token_id=None, device_id=None):
    """POST /account/attached_client/destroy: disconnect exactly the entry the fields name.

    ``deviceId``: that device and the token holding it (the other fields, when sent, must match
    it); ``refreshTokenId``/``clientId``: the OAuth grant; a session handle: that session, with its
    device if it has one.
    """
    account = current_session.account
    with transaction.atomic():
        if device_id:
            device = Device.objects.select_for_update().filter(account=account, pk=device_id).first()
            if device is None:
                raise AppError(Errno.DEVICE_UNKNOWN)
            if session_handle and not (
                device.session_token is not None
                and (session_handle == session_token_handle(device.session_token)
                     or stored_id(session_handle) == device.session_token_id)
            ):
                raise AppError.invalid_parameter([session_field])
            if refresh_token_id and device.refresh_token_id != refresh_token_id:
                raise AppError.invalid_parameter(["refreshTokenId"])
            if device.session_token_id:
                security_events.record(account, "session.destroy", context,
                                       token_id=device.session_token_id)
            services.disconnect(device)
        elif refresh_token_id or client_id:
            if session_handle:
                raise AppError.invalid_parameter([session_field])
            oauth_clients().revoke(account, client_id=client_id, refresh_token_id=refresh_token_id)
        else:
            session = _find_session(account, session_handle)
            if session is None:
                raise AppError.invalid_parameter([session_field])
            notifications.session_destroyed(session)
            SessionToken.objects.filter(pk=session.pk).delete()
            security_events.record(account, "session.destroy", context, token_id=session.token_id)
