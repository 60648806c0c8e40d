"""Capabilities from product and plan metadata (reference subscriptions.md §2.1, §3): pure
functions over metadata dicts, no Django."""

ALL_CLIENTS = "*"  # the bare ``capabilities`` key: granted to every RP


def from_metadata(metadata):
    """``{client_id | "*": {capability, ...}}`` of one metadata dict; client ids lower-cased."""
    granted = {}
    for key, value in (metadata or {}).items():
        if not key.startswith("capabilities"):
            continue
        prefix, _, client_id = key.partition(":")
        if prefix != "capabilities":
            continue
        client = client_id.strip().lower() if client_id else ALL_CLIENTS
        names = {name.strip() for name in str(value).split(",") if name.strip()}
        if client and names:
            granted.setdefault(client, set()).update(names)
    return granted


def merge(*maps):
    merged = {}
    for granted in maps:
        for client, names in granted.items():
            merged.setdefault(client, set()).update(names)
    return merged


def of_plan(product_metadata, plan_metadata):
    """§3.1 step 2: the union of what the product and the plan grant."""
    return merge(from_metadata(product_metadata), from_metadata(plan_metadata))


def for_client(granted, client_id):
    """§3.2: what one RP sees, ``"*"`` included; sorted."""
    return sorted(granted.get(ALL_CLIENTS, set()) | granted.get(client_id.lower(), set()))


def every_capability(granted):
    """What a session caller (our own pages) sees: everything."""
    return sorted(set().union(*granted.values())) if granted else []


def by_client(granted, client_ids):
    """``{client_id: sorted capabilities}`` for ``client_ids``, the bare ones folded into each;
    clients left with nothing are left out."""
    seen = {client: for_client(granted, client) for client in client_ids}
    return {client: names for client, names in seen.items() if names}


def strip(metadata):
    """Metadata as clients may see it (§2.1): no ``capabilities*`` and no ``promotionCodes``."""
    return {key: value for key, value in (metadata or {}).items()
            if not key.lower().startswith("capabilities") and key.lower() != "promotioncodes"}
