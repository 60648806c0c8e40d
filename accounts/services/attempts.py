"""A cap on wrong codes per account (second factors, emailed reset codes), until the server has
a rate-limiting service.

Upstream's customs limits ``verifyTotpCode``, ``verifyRecoveryCode`` and the MFA code checks;
without any limit a 6-digit code (three valid in a million with the window) falls to a few
minutes of guessing. Here ``MAX_FAILURES`` wrong codes of one kind within ``WINDOW`` seconds make
further attempts for that account answer 429 errno 114 until the window ends. Counted in the
cache (Redis in production), keyed by uid: new sessions do not reset it.
"""
from django.core.cache import cache

from ..errors import AppError

MAX_FAILURES = 10
WINDOW = 15 * 60  # seconds


def _key(account, kind):
    return f"twofactor-failures:{kind}:{account.pk}"


def check(account, kind):
    """429 errno 114 when the account already had too many wrong codes of this kind."""
    if (cache.get(_key(account, kind)) or 0) >= MAX_FAILURES:
        raise AppError.throttled(WINDOW)


def record_failure(account, kind):
    key = _key(account, kind)
    cache.add(key, 0, timeout=WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW)
