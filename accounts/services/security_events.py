"""Recording the account's security events (the audit log behind GET /v1/securityEvents)."""
from ..models import SecurityEvent


def record(account, name, context=None, *, verified=False, token_id=None, **additional_info):
    """Record one event; call it inside the transaction of the change it describes."""
    return SecurityEvent.objects.create(
        account=account,
        name=name,
        verified=verified,
        ip_address=context.ip_address if context else None,
        token_id=token_id,
        additional_info=additional_info,
    )


LISTED_EVENTS = 20  # upstream's limit for GET /securityEvents


def recent(account):
    """GET /securityEvents: the newest events first, at most LISTED_EVENTS."""
    events = SecurityEvent.objects.filter(account=account).order_by("-created_at", "-id")
    body = []
    for event in events[:LISTED_EVENTS]:
        item = {"name": event.name, "verified": event.verified, "createdAt": event.created_at}
        if event.ip_address:
            item["ipAddr"] = event.ip_address
        body.append(item)
    return body


def delete_all(account):
    """DELETE /securityEvents."""
    SecurityEvent.objects.filter(account=account).delete()
