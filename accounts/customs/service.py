"""The customs service: every rate limit, block and ban of the server (customs.md §1-§4).

``check(action, context, email=…, uid=…, token=…)`` is called once per action, from the service
that does it, before its transaction. It refuses with ``Blocked`` (429 errno 114, or 400 errno
125 for a blocklisted address) or returns. Counting is django-ratelimit's (``get_usage``: one
counter per rule and value in a fixed window, in the shared cache); customs adds upstream's
grammar, block and ban records that outlast the window, the three policies and the unblock path.

How a check decides, for the rules of ``action`` (or ``default``):
0. a caller on the operators' blocklist (``blocklist.py``: an in-process copy, no round trip) is
   refused with 400 errno 125 before any rule, ignore lists included;
1. one cache read fetches the open block of every rule and the ban of every value;
2. if any is open (or the caller's IP, address, uid… is banned, whatever the action), the
   request is refused and nothing is counted: a caller who is already
   refused cannot push the other counters (an attacker locked out on ``ip_email`` must not
   reach the ``email`` limit that would lock the owner out everywhere);
3. otherwise every rule counts the attempt; one over its maximum opens a block (``block``), a
   ban on the value (``ban``), or only a metric (``report``), and its counter starts again.
The refusal with the longest wait wins. Cache errors fail open: logged and counted, never a 500.
"""
import logging
import math
import re
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.cache import caches
from django_ratelimit import ALL
from django_ratelimit.core import _get_window, _make_cache_key, get_usage
from prometheus_client import Counter

from ..errors import AppError, Errno
from . import blocklist, ledger
from .actions import ACTIONS
from .rules import BLOCK_ON, DEFAULT_ACTION, parse_rules

logger = logging.getLogger("fxa.customs")

CHECKS = Counter(
    "fxa_customs_checks", "Customs checks by action and decision.", ["action", "decision"]
)

# Counters are per rule, whatever the HTTP method (django-ratelimit's sentinel for "all").
_METHOD = ALL


class Blocked(AppError):
    """A request customs refuses. ``unblockable``: an unblock code from the mail lifts it."""

    unblockable = False
    action = None

    @classmethod
    def too_many(cls, action, retry_after, *, unblockable=False):
        error = cls.throttled(retry_after)
        if unblockable:
            error.extra.update(verificationMethod="email-captcha", verificationReason="login")
        error.action, error.unblockable = action, unblockable
        return error

    @classmethod
    def request_blocked(cls, action):
        error = cls(Errno.REQUEST_BLOCKED)
        error.action = action
        return error


@dataclass(frozen=True)
class Values:
    """The properties a check counts on (rules.BLOCK_ON); None where the caller has none."""

    ip: str | None = None
    email: str | None = None
    uid: str | None = None
    token: str | None = None

    @property
    def ip_email(self):
        return f"{self.ip}_{self.email}" if self.ip and self.email else None

    @property
    def ip_uid(self):
        return f"{self.ip}_{self.uid}" if self.ip and self.uid else None

    def of(self, block_on):
        return getattr(self, block_on)


@dataclass(frozen=True)
class BlockRecord:
    """An open block or ban, as stored in the cache (and listed to operators)."""

    action: str
    block_on: str
    value: str
    policy: str
    started_at: float  # epoch seconds
    duration: int
    attempts: int

    @property
    def retry_after(self):
        return max(1, math.ceil(self.started_at + self.duration - time.time()))


# Rules and configuration.

@lru_cache(maxsize=4)
def _parse(text):
    return parse_rules(text)


def rules_text(setting=None):
    """The rules the CUSTOMS_RULES setting names: its file's text (read once per process), or the
    setting itself."""
    setting = settings.CUSTOMS_RULES if setting is None else setting
    if not setting or ":" in setting:
        return setting or ""
    return _read(setting)


@lru_cache(maxsize=4)
def _read(path):
    return Path(path).read_text()


def ruleset():
    """``{action: rules}`` of the configured rules (empty when customs is off)."""
    return _parse(rules_text())


def rules_for(action):
    """The rules of ``action``: its own, or the ``default`` ones counted under its name."""
    return _rules_for(rules_text(), action)


@lru_cache(maxsize=256)
def _rules_for(text, action):
    rules = _parse(text)
    if action in rules:
        return rules[action]
    return tuple(replace(rule, action=action) for rule in rules.get(DEFAULT_ACTION, ()))


def normalize_email(email):
    """Lower case; for CUSTOMS_EMAIL_ALIAS_DOMAINS no +tag (and, at Gmail, no dots)."""
    local, _, domain = email.strip().lower().rpartition("@")
    if not local:
        return email.strip().lower()
    if domain in settings.CUSTOMS_EMAIL_ALIAS_DOMAINS:
        local = local.split("+", 1)[0]
        if domain in ("gmail.com", "googlemail.com"):
            local = local.replace(".", "")
    return f"{local}@{domain}"


def _values(context, *, ip=None, email=None, uid=None, token=None):
    """The properties of a call: the client IP from ``context`` unless given, the email
    normalised."""
    ip = ip or (context.ip_address if context is not None else None)
    return Values(ip=ip, email=normalize_email(email) if email else None, uid=uid, token=token)


def _ignored(values, raw_email):
    if values.uid and values.uid in settings.CUSTOMS_IGNORE_UIDS:
        return True
    if raw_email and any(re.search(pattern, raw_email) for pattern in settings.CUSTOMS_IGNORE_EMAILS):
        return True
    ignored_ips = _ignored_ips(tuple(settings.CUSTOMS_IGNORE_IPS))
    return bool(values.ip) and ignored_ips.match(values.ip, None) is not None


@lru_cache(maxsize=8)
def _ignored_ips(entries):
    """CUSTOMS_IGNORE_IPS compiled as the blocklist's networks are (one matcher for both)."""
    return blocklist.Compiled.of(("cidr", entry) for entry in entries)


# Cache keys.

def _cache():
    return caches[settings.RATELIMIT_USE_CACHE]


def _safe(value):
    return quote(value, safe="@._+-")


def block_key(rule, value):
    return f"{settings.CUSTOMS_KEY_PREFIX}:block:{rule.block_on}={_safe(value)}:{rule.action}:{rule.id}"


def ban_key(block_on, value):
    return f"{settings.CUSTOMS_KEY_PREFIX}:ban:{block_on}={_safe(value)}"


def _group(rule):
    return f"{rule.action}:{rule.id}"


def _rate(rule):
    return (rule.max_attempts, rule.window)


def _counter_key(rule, value):
    """django-ratelimit's key for the rule's counter of ``value`` in the current window."""
    return _make_cache_key(_group(rule), _get_window(value, rule.window), _rate(rule), value, _METHOD)


def _count(rule, value):
    """One more attempt; the usage (count, limit, should_limit) or None when the cache failed."""
    return get_usage(
        None, group=_group(rule), key=lambda group, request: value, rate=_rate(rule),
        method=_METHOD, increment=True,
    )


# The check.

def check(action, context=None, *, ip=None, email=None, uid=None, token=None, unblockable=False):
    """Count ``action`` for the caller, or raise ``Blocked``.

    ``context`` (a RequestContext) gives the client IP unless ``ip`` is given. Properties that a
    rule counts on but the call does not have are skipped for that rule. ``unblockable``: the
    caller can take an unblock code (sign-in), so a refusal says ``verificationMethod`` when
    ``unblockEmail`` still allows one.
    """
    values = _values(context, ip=ip, email=email, uid=uid, token=token)
    _refuse_blocklisted(action, values.ip, email)
    rules = rules_for(action)
    if not rules:
        return
    if _ignored(values, email):
        CHECKS.labels(action, "ignored").inc()
        return
    try:
        refusal = _decide(action, rules, values)
        if refusal is not None and unblockable and refusal.policy != "ban":
            unblockable = not _exhausted("unblockEmail", values)
    except Exception:  # noqa: BLE001 - the cache is down: fail open, never a 500
        logger.warning("Customs check %s failed open", action, exc_info=True)
        CHECKS.labels(action, "error").inc()
        return
    if refusal is None:
        CHECKS.labels(action, "allowed").inc()
        return
    CHECKS.labels(action, "banned" if refusal.policy == "ban" else "blocked").inc()
    raise Blocked.too_many(action, refusal.retry_after, unblockable=unblockable and refusal.policy != "ban")


def _refuse_blocklisted(action, ip, email):
    """400 errno 125 for a caller the operators listed; any failure lets the check go on."""
    try:
        entry = blocklist.match(ip, email)
    except Exception:  # noqa: BLE001 - fail open, as the rules do
        logger.warning("Customs blocklist lookup for %s failed open", action, exc_info=True)
        return
    if entry is not None:
        logger.info("Customs blocklist refused %s: %s", action, entry)
        CHECKS.labels(action, "blocklisted").inc()
        raise Blocked.request_blocked(action)


def _applicable(rules, values):
    return [(rule, values.of(rule.block_on)) for rule in rules if values.of(rule.block_on)]


def _open_records(cache, applicable, values):
    """The open blocks of these rules, and the bans of every value the caller has (a banned IP
    is refused everything), read in one round trip."""
    keys = [block_key(rule, value) for rule, value in applicable]
    keys += [ban_key(block_on, values.of(block_on)) for block_on in BLOCK_ON if values.of(block_on)]
    found = cache.get_many(keys)
    return [BlockRecord(**record) for record in found.values()]


def _decide(action, rules, values):
    cache = _cache()
    applicable = _applicable(rules, values)
    records = _open_records(cache, applicable, values)
    if records:
        return max(records, key=lambda record: record.retry_after)
    refusals = []
    for rule, value in applicable:
        usage = _count(rule, value)
        if usage is None or not usage["should_limit"]:
            continue
        if rule.policy == "report":
            logger.info("Customs rule %s:%s exceeded by %s (report only)", action, rule.id, value)
            CHECKS.labels(action, "reported").inc()
            continue
        refusals.append(_open(cache, rule, value, usage["count"]))
    return max(refusals, key=lambda record: record.retry_after) if refusals else None


def _open(cache, rule, value, attempts):
    """Store the block (or ban) ``rule`` earned for ``value``, and restart its counter."""
    record = BlockRecord(
        action=rule.action, block_on=rule.block_on, value=value, policy=rule.policy,
        started_at=time.time(), duration=rule.duration, attempts=attempts,
    )
    key = ban_key(rule.block_on, value) if rule.policy == "ban" else block_key(rule, value)
    cache.set(key, record.__dict__, timeout=rule.duration)
    cache.delete(_counter_key(rule, value))
    ledger.opened(key, record)
    logger.warning("Customs %s %s=%s on %s for %d s", rule.policy, rule.block_on, value,
                   rule.action, rule.duration)
    return record


def _exhausted(action, values):
    """Whether ``action`` would refuse these values now (an open block, or a full counter)."""
    cache = _cache()
    applicable = _applicable(rules_for(action), values)
    if _open_records(cache, applicable, values):
        return True
    counters = cache.get_many([_counter_key(rule, value) for rule, value in applicable])
    return any(
        counters.get(_counter_key(rule, value), 0) >= rule.max_attempts for rule, value in applicable
    )


# Lifting blocks.

def unblock(context=None, *, ip=None, email=None, uid=None, by_operator=False):
    """Clear the counters and blocks of every rule keyed on the given values.

    Self-service (an unblock code used, a password reset) clears what is keyed on the email, the
    uid and their pairs with the IP; the bare IP's counters survive, shared as they are behind a
    NAT, and bans stay. ``by_operator`` clears the IP's and the bans too. Returns the number of
    records removed.
    """
    values = _values(context, ip=ip, email=email, uid=uid)
    wanted = {"email", "uid", "ip_email", "ip_uid"} | ({"ip", "token"} if by_operator else set())
    keys = []
    for action_rules in ruleset().values():
        for rule in action_rules:
            value = values.of(rule.block_on)
            if rule.block_on in wanted and value:
                keys += [block_key(rule, value), _counter_key(rule, value)]
                if by_operator:
                    keys.append(ban_key(rule.block_on, value))
    try:
        cache = _cache()
        removed = sum(1 for key in set(keys) if cache.delete(key))
    except Exception:  # noqa: BLE001 - nothing to clear while the cache is down
        logger.warning("Customs unblock failed", exc_info=True)
        return 0
    CHECKS.labels("unblock", "cleared").inc()
    return removed


def open_records(*, ip=None, email=None, uid=None, with_keys=False):
    """The blocks and bans open now on these values (for operators): every rule of every action
    (``default`` rules under each action they stand for), and those the ledger knows of that pair
    a value with one not given; with no value, every open one the ledger knows. ``with_keys``:
    ``(cache key, record)`` pairs, for clearing one."""
    values = _values(None, ip=ip, email=email, uid=uid)
    try:
        keys = set(ledger.keys_involving(values))
    except Exception:  # noqa: BLE001 - the database is down: what the values name is still found
        logger.warning("Customs ledger unreadable; listing by the values given only", exc_info=True)
        keys = set()
    for action in (set(ruleset()) | set(ACTIONS)) - {DEFAULT_ACTION}:
        for rule in rules_for(action):
            if values.of(rule.block_on):
                keys.add(block_key(rule, values.of(rule.block_on)))
    keys |= {ban_key(block_on, values.of(block_on)) for block_on in BLOCK_ON if values.of(block_on)}
    found = _cache().get_many(list(keys))
    entries = sorted(((key, BlockRecord(**record)) for key, record in found.items()),
                     key=lambda entry: (entry[1].action, entry[1].block_on, entry[1].value))
    return entries if with_keys else [record for _, record in entries]
