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
