"""The ledger of opened blocks and bans (``accounts.CustomsBlock``), and the operators' clear.

Blocks live in the cache under keys made of the values they count on, so without an index an
operator who knows only a user's email could not find the ``ip_email`` block that locks the user
out, nor list what is blocked now. ``service._open`` records every block it opens here: one
insert when a block opens (never on a check that passes). Checks run before the services'
transactions, so the insert commits on its own even though the request then fails; were a check
ever made inside a caller's transaction, the row (in a savepoint) would go with its rollback.
Either way, and when the database is down, the block stands: it is in the cache, which stays the
truth; a row is listed only while its record is there.
"""
import logging
import time

from django.db import transaction
from django.db.models import Q

logger = logging.getLogger("fxa.customs")

LISTED_AT_MOST = 500


def _ms(seconds):
    return int(seconds * 1000)


def opened(key, record):
    """Note the block (or ban) ``record`` just stored under ``key``; expired rows go. Never raises."""
    from ..models import CustomsBlock

    now = _ms(time.time())
    try:
        with transaction.atomic():
            CustomsBlock.objects.filter(expires_at__lt=now).delete()
            CustomsBlock.objects.create(
                key=key, action=record.action, block_on=record.block_on, value=record.value,
                policy=record.policy, attempts=record.attempts, started_at=_ms(record.started_at),
                expires_at=_ms(record.started_at + record.duration),
            )
    except Exception:  # noqa: BLE001 - the block is in the cache; only its listing is lost
        logger.warning("Customs ledger: block %s not recorded", key, exc_info=True)


def keys_involving(values):
    """Cache keys of unexpired ledger rows on these values, alone or in a pair (``ip_email`` of
    the email from any IP); with no value at all, of every unexpired row."""
    from ..models import CustomsBlock

    rows = CustomsBlock.objects.filter(expires_at__gte=_ms(time.time()))
    wanted = {"ip": values.ip, "email": values.email, "uid": values.uid}
    wanted = {block_on: value for block_on, value in wanted.items() if value}
    if wanted:
        condition = Q()
        for block_on, value in wanted.items():
            condition |= Q(block_on=block_on, value=value)
            condition |= Q(value__startswith=f"{value}_") if block_on == "ip" else Q(value__endswith=f"_{value}")
        rows = rows.filter(condition)
    found = rows.order_by("-started_at").values_list("key", "block_on", "value")
    if not wanted:
        found = found[:LISTED_AT_MOST]
    return [key for key, block_on, value in found if _involves(block_on, value, wanted)][:LISTED_AT_MOST]


def _involves(block_on, value, wanted):
    if not wanted:
        return True
    if block_on in ("ip_email", "ip_uid"):
        # "<ip>_<email or uid>": an IP has no "_", an email may.
        ip, _, other = value.partition("_")
        return wanted.get("ip") == ip or wanted.get(block_on[3:]) == other
    return wanted.get(block_on) == value


def clear(*, ip=None, email=None, uid=None, by="an operator"):
    """Lift every block, ban and counter on these values: ``unblock(by_operator=True)``, and the
    blocks the ledger knows of that pair them with other values. Returns the records removed."""
    from . import service

    if not (ip or email or uid):
        raise ValueError("clear needs an ip, an email or a uid")
    removed = service.unblock(ip=ip, email=email, uid=uid, by_operator=True)
    values = service.Values(ip=ip, email=service.normalize_email(email) if email else None, uid=uid)
    try:
        cache = service._cache()
        removed += sum(1 for key in keys_involving(values) if cache.delete(key))
    except Exception:  # noqa: BLE001 - reported to the operator as a count
        logger.warning("Customs ledger: clearing the pairs of %s failed", values, exc_info=True)
    logger.warning("Customs: %s cleared %d record(s) of ip=%s email=%s uid=%s",
                   by, removed, ip, email, uid)
    return removed


def clear_key(key, *, by="an operator"):
    """Lift the one block or ban stored under ``key`` (a row of the operators' list)."""
    from django.conf import settings

    from . import service

    prefix = settings.CUSTOMS_KEY_PREFIX
    if not key.startswith((f"{prefix}:block:", f"{prefix}:ban:")):
        raise ValueError("not a customs block key")
    removed = int(bool(service._cache().delete(key)))
    logger.warning("Customs: %s cleared %s", by, key)
    return removed
