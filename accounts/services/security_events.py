"""Recording the account's security events (the audit log behind GET /v1/securityEvents)."""
from django.db import transaction
from prometheus_client import Counter

from ..models import SecurityEvent

# Sign-ups (account.create), sign-ins (account.login, account.login.failure) and the rest.
EVENTS = Counter("fxa_account_events", "Security events recorded, by name.", ["event"])


def record(account, name, context=None, *, verified=False, token_id=None, **additional_info):
    """Record one event; call it inside the transaction of the change it describes."""
    event = SecurityEvent.objects.create(
        account=account,
        name=name,
        verified=verified,
        ip_address=context.ip_address if context else None,
        token_id=token_id,
        additional_info=additional_info,
    )
    transaction.on_commit(EVENTS.labels(name).inc)  # a change rolled back did not happen
    return event


LISTED_EVENTS = 20  # upstream's limit for GET /securityEvents


def recent(account):
    """GET /securityEvents: the newest events first, at most LISTED_EVENTS."""
    events = SecurityEvent.objects.filter(account=account).order_by("-created_at", "-id")
    body = []
    for event in events[:LISTED_EVENTS]:
        item = {"name": event.name, "verified": event.verified, "created_at": event.created_at}
        if event.ip_address:
            item["ip_address"] = event.ip_address
        body.append(item)
    return body


def delete_all(account):
    """DELETE /securityEvents."""
    SecurityEvent.objects.filter(account=account).delete()
