"""Operator blocklists of IP addresses, CIDR ranges and email domains (v1's ``ipBlocklist``,
customs.md §6): a listed caller is refused every check with 400 errno 125, before any rule.

The entries live in the database (``accounts.BlocklistEntry``); every process keeps a compiled
copy, so a check costs no database query and, in the common case, no cache round trip: at most
every CUSTOMS_BLOCKLIST_REFRESH seconds the copy reads one version key from the cache, and only
when that changed does it read the table again. Saving or deleting an entry (admin, command,
ORM) drops this process's copy at once and bumps the version when the change commits, so the
other processes follow within the refresh interval. Any failure (database or cache down) keeps
the copy there is: the blocklist fails open, like the rest of customs.
"""
import ipaddress
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger("fxa.customs")

KINDS = ("ip", "cidr", "email_domain")
_LABEL = re.compile(r"^[^\W_](?:[\w-]{0,61}[^\W_])?$")
_UNSET = object()


def normalize_value(kind, value):
    """``value`` as stored for ``kind``; ``ValueError`` says what is wrong with it."""
    value = (value or "").strip()
    if kind == "ip":
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError(f"not an IP address: {value!r}") from None
    if kind == "cidr":
        try:
            return str(ipaddress.ip_network(value))
        except ValueError:
            try:
                network = ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(f"not a CIDR range (such as 192.0.2.0/24): {value!r}") from None
            raise ValueError(f"{value} has host bits set; the range is {network}") from None
    if kind == "email_domain":
        domain = value.lower().lstrip("@").rstrip(".")
        labels = domain.split(".")
        if not domain or len(domain) > 253 or not all(_LABEL.match(label) for label in labels):
            raise ValueError(f"not a mail domain (such as example.com): {value!r}")
        return domain
    raise ValueError(f"the kind must be one of {', '.join(KINDS)}")


@dataclass(frozen=True)
class Compiled:
    """The blocklist of one version, ready for lookups: networks by (IP version, prefix length),
    so an address costs one set lookup per prefix length in use, whatever the list's size."""

    networks: dict = field(default_factory=dict)  # (version, prefixlen) -> {network int: entry}
    domains: frozenset = frozenset()

    @classmethod
    def of(cls, entries):
        networks, domains = {}, set()
        for kind, value in entries:
            if kind == "email_domain":
                domains.add(value)
                continue
            try:
                network = ipaddress.ip_network(value, strict=False)
            except ValueError:
                logger.warning("Customs blocklist: skipped unusable %s entry %r", kind, value)
                continue
            networks.setdefault((network.version, network.prefixlen), {})[
                int(network.network_address)] = f"{kind} {value}"
        return cls(networks, frozenset(domains))

    def __bool__(self):
        return bool(self.networks or self.domains)

    def match(self, ip, email):
        """The entry (``"cidr 10.0.0.0/8"``) that refuses this caller, or None."""
        if ip and self.networks:
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                address = None
            if address is not None and address.version == 6 and address.ipv4_mapped:
                address = address.ipv4_mapped
            if address is not None:
                number, bits = int(address), address.max_prefixlen
                for (version, prefixlen), listed in self.networks.items():
                    if version == address.version:
                        masked = number >> (bits - prefixlen) << (bits - prefixlen)
                        if masked in listed:
                            return listed[masked]
        if email and self.domains and "@" in email:
            domain = email.rpartition("@")[2].strip().lower().rstrip(".")
            labels = domain.split(".")
            # The domain and every parent: a listed example.com refuses mail.example.com too.
            for start in range(len(labels)):
                if ".".join(labels[start:]) in self.domains:
                    return f"email_domain {'.'.join(labels[start:])}"
        return None


@dataclass
class _State:
    compiled: Compiled = field(default_factory=Compiled)
    version: object = _UNSET  # the cache's version token the copy was read under
    checked_at: float = float("-inf")  # time.monotonic() of the last look at the version


_state = _State()
_lock = threading.Lock()


def _cache():
    return caches[settings.RATELIMIT_USE_CACHE]


def version_key():
    return f"{settings.CUSTOMS_KEY_PREFIX}:blocklist:version"


def match(ip, email):
    """The blocklist entry that refuses this caller, or None. Never raises."""
    return current().match(ip, email)


def current():
    """This process's compiled blocklist, refreshed when it is older than the refresh interval
    and the version in the cache moved."""
    state = _state
    if time.monotonic() - state.checked_at < settings.CUSTOMS_BLOCKLIST_REFRESH:
        return state.compiled
    with _lock:
        if time.monotonic() - _state.checked_at >= settings.CUSTOMS_BLOCKLIST_REFRESH:
            _refresh()
        return _state.compiled


def _refresh():
    _state.checked_at = time.monotonic()
    try:
        version = _cache().get(version_key())
    except Exception:  # noqa: BLE001 - the cache is down: keep the copy there is
        logger.warning("Customs blocklist: the version cannot be read; keeping the copy", exc_info=True)
        if _state.version is not _UNSET:
            return
        version = None
    if version is not None and version == _state.version:
        return
    try:
        compiled = Compiled.of(_entries())
    except Exception:  # noqa: BLE001 - the database is down: keep the copy there is, retry later
        logger.warning("Customs blocklist: the entries cannot be read; keeping the copy", exc_info=True)
        return
    if version is None:
        # First reader since the cache lost the key: give the entries just read a version. If a
        # change's bump got there first, this copy may predate it: read again at the next look.
        token = uuid.uuid4().hex
        try:
            version = token if _cache().add(version_key(), token, timeout=None) else None
        except Exception:  # noqa: BLE001
            version = None
    _state.compiled, _state.version = compiled, version


def _entries():
    from ..models import BlocklistEntry

    return list(BlocklistEntry.objects.values_list("kind", "value"))


def reset():
    """Forget this process's copy: the next check reads the entries again."""
    with _lock:
        _state.compiled, _state.version, _state.checked_at = Compiled(), _UNSET, float("-inf")


def changed():
    """Entries changed: this process reads them at its next check; the others once the change
    commits (a new version in the cache)."""
    reset()
    transaction.on_commit(_bump)


def _bump():
    try:
        _cache().set(version_key(), uuid.uuid4().hex, timeout=None)
    except Exception:  # noqa: BLE001 - the other processes catch up once the key is gone or moves
        logger.warning("Customs blocklist: the new version cannot be published", exc_info=True)


def _on_change(sender, **kwargs):
    changed()


post_save.connect(_on_change, sender="accounts.BlocklistEntry", dispatch_uid="customs-blocklist-save")
post_delete.connect(_on_change, sender="accounts.BlocklistEntry", dispatch_uid="customs-blocklist-delete")


def add(kind, value, *, note="", by=""):
    """List ``value`` (validated and normalised); returns (entry, created)."""
    from ..models import BlocklistEntry

    value = normalize_value(kind, value)
    entry, created = BlocklistEntry.objects.get_or_create(
        kind=kind, value=value, defaults={"note": note, "created_by": by}
    )
    if created:
        logger.warning("Customs blocklist: %s added %s %s (%s)", by or "an operator", kind, value, note)
    return entry, created


def remove(kind, value, *, by=""):
    """Unlist ``value``; returns whether it was listed."""
    from ..models import BlocklistEntry

    value = normalize_value(kind, value)
    deleted, _ = BlocklistEntry.objects.filter(kind=kind, value=value).delete()
    if deleted:
        logger.warning("Customs blocklist: %s removed %s %s", by or "an operator", kind, value)
    return bool(deleted)
