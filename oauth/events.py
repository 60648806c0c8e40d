"""Relying-party events (events.md §2-§3): who is told what about an account, as outbox rows.

Each function writes one ``WebhookDelivery`` per receiving client inside the caller's
transaction and queues their delivery when it commits (``oauth.webhooks``), so a change that
rolls back sends nothing and one that commits always sends.

Who receives: the clients in the account's ledger (``ClientUser``: it completed an authorization
with them) and every resource server, those with a webhook URL that want the event; for
``subscription-state-change`` the clients the subscriptions app names, each with its own
capabilities.

``accounts`` announces its changes with the signals of ``accounts/signals.py``, received here
(connected in ``OAuthConfig.ready``) rather than called: ``oauth`` builds on ``accounts``, and
the account services (and its nested two-step app) then need no knowledge of RPs or webhooks.
The profile server's changes are ``oauth``'s own and call ``profile_changed`` directly.
"""
from django.db import transaction
from django.db.models import Q

from accounts import signals as account_signals
from subscriptions.signals import capabilities_changed

from .models import Client, ClientUser, WebhookDelivery, now_ms

SCHEMA = "https://schemas.accounts.firefox.com/event/"

# accounts.signals' profile ``changes`` -> the profile-change payload's names (events.md §2);
# display name and avatar have no member: the RP re-fetches the profile.
PROFILE_FIELDS = {
    "email": "email",
    "locale": "locale",
    "metrics_enabled": "metricsEnabled",
    "totp_enabled": "totpEnabled",
    "account_disabled": "accountDisabled",
    "account_locked": "accountLocked",
}


def record_use(account_id, client):
    """The account completed an authorization with ``client``: it is in the client's ledger."""
    now = now_ms()
    ClientUser.objects.bulk_create(
        [ClientUser(account_id=account_id, client=client, first_used_at=now, last_used_at=now)],
        update_conflicts=True, unique_fields=["account", "client"], update_fields=["last_used_at"],
    )


def recipients(uid, event):
    """The clients that hear ``event`` about the account ``uid``: its RPs and the resource
    servers, with a webhook URL and wanting the event."""
    clients = Client.objects.filter(
        Q(users__account_id=uid) | Q(is_resource_server=True)
    ).exclude(webhook_url="").distinct()
    return [client for client in clients if client.wants_event(event)]


def _enqueue(uid, event, payloads):
    """One row per (client, payload), delivered once the caller's transaction commits."""
    from .webhooks import queue_deliveries

    rows = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(client=client, uid=uid, event=event, payload=payload)
         for client, payload in payloads]
    )
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: queue_deliveries(ids))
    return rows


def _to_recipients(uid, event, payload):
    return _enqueue(uid, event, [(client, payload) for client in recipients(uid, event)])


def password_change(uid, change_time):
    return _to_recipients(uid, "password-change", {"changeTime": change_time})


def profile_change(uid, **changes):
    payload = {"uid": uid}
    payload.update({PROFILE_FIELDS[name]: value for name, value in changes.items()
                    if name in PROFILE_FIELDS})
    return _to_recipients(uid, "profile-change", payload)


def delete_user(uid):
    """Told before the account's rows go: the ledger is what names its RPs (and goes with it)."""
    return _to_recipients(uid, "delete-user", {})


def metrics_change(uid, enabled):
    """metrics-opt-in/out, and profile-change with the new ``metricsEnabled`` (events.md §2)."""
    rows = _to_recipients(uid, "metrics-opt-in" if enabled else "metrics-opt-out", {})
    return rows + profile_change(uid, metrics_enabled=enabled)


def subscription_state_change(uid, capabilities_by_client, is_active, change_time):
    clients = Client.objects.filter(client_id__in=list(capabilities_by_client)).exclude(webhook_url="")
    return _enqueue(uid, "subscription-state-change", [
        (client, {"capabilities": list(capabilities_by_client[client.client_id]),
                  "isActive": is_active, "changeTime": change_time})
        for client in clients if client.wants_event("subscription-state-change")
    ])


# Receivers of the accounts and subscriptions signals.


def _on_password_changed(sender, account, change_time, **kwargs):
    password_change(account.uid, change_time)


def _on_profile_changed(sender, account, changes, **kwargs):
    profile_change(account.uid, **changes)


def _on_metrics_changed(sender, account, enabled, **kwargs):
    metrics_change(account.uid, enabled)


def _on_account_deleting(sender, account, **kwargs):
    delete_user(account.uid)


def _on_capabilities_changed(sender, account, capabilities_by_client, is_active, change_time,
                             **kwargs):
    """subscription-state-change to the named clients, and profile-change to the account's
    recipients (upstream sends it for subscription changes too: the profile shows them)."""
    subscription_state_change(account.uid, capabilities_by_client, is_active, change_time)
    profile_change(account.uid)


def connect():
    """Called once, by ``OAuthConfig.ready``."""
    uid = "oauth.events"
    account_signals.password_changed.connect(_on_password_changed, dispatch_uid=uid)
    account_signals.profile_changed.connect(_on_profile_changed, dispatch_uid=uid)
    account_signals.metrics_changed.connect(_on_metrics_changed, dispatch_uid=uid)
    account_signals.account_deleting.connect(_on_account_deleting, dispatch_uid=uid)
    capabilities_changed.connect(_on_capabilities_changed, dispatch_uid=uid)
