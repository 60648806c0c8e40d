"""Overload protection for the server-side scrypt (upstream's ``scrypt.maxPending``).

Each scrypt takes ~0.25 s of a core and 64 MiB. Past the cores, more at once only makes every
one slower and the process bigger, so a process runs at most ``SCRYPT_MAX_CONCURRENT`` of them;
up to ``SCRYPT_MAX_PENDING`` more requests wait their turn (first come, first served), each at
most ``SCRYPT_MAX_WAIT`` seconds; any other is refused at once with 503 errno 201 and a
``Retry-After`` of ``SCRYPT_MAX_WAIT`` (by then everyone queued ahead has run or given up).
Upstream counts running and waiting hashes together in one ``maxPending`` (0: no limit); here
the two are separate, because a threaded worker really runs ``SCRYPT_MAX_CONCURRENT`` at once.

``slot()`` is re-entrant within a thread: a request that derives two verifiers (key stretching
v2) holds one place for both, so it is never refused half-way through.
"""
import logging
import math
import os
import threading
from contextlib import contextmanager

from django.conf import settings
from prometheus_client import Counter

from ..errors import AppError

logger = logging.getLogger("fxa.scrypt")

REFUSED = Counter(
    "fxa_scrypt_refused", "Requests refused 503/201 because scrypt was saturated.", ["reason"]
)


class Gate:
    """At most ``max_concurrent`` holders at once, and a bounded, FIFO-ish queue of waiters."""

    def __init__(self, max_concurrent):
        self.max_concurrent = max_concurrent
        self.running = 0
        self.waiting = 0
        self._condition = threading.Condition()

    def acquire(self, max_pending, max_wait):
        """Take a place, waiting at most ``max_wait`` seconds; AppError.server_busy if none."""
        with self._condition:
            # A newcomer queues behind the waiters rather than overtaking one just woken up.
            if self.running < self.max_concurrent and not self.waiting:
                self.running += 1
                return
            if self.waiting >= max_pending:
                raise _busy("queue_full", max_wait)
            self.waiting += 1
            try:
                free = self._condition.wait_for(
                    lambda: self.running < self.max_concurrent, timeout=max_wait
                )
            finally:
                self.waiting -= 1
            if not free:
                raise _busy("timeout", max_wait)
            self.running += 1

    def release(self):
        with self._condition:
            self.running -= 1
            self._condition.notify()


def _busy(reason, max_wait):
    REFUSED.labels(reason).inc()
    logger.warning("scrypt saturated (%s): answering 503", reason)
    return AppError.server_busy(max(1, math.ceil(max_wait)))


_lock = threading.Lock()
_gates = {}
_held = threading.local()


def max_concurrent():
    """The configured concurrency: SCRYPT_MAX_CONCURRENT, or the core count when unset."""
    return settings.SCRYPT_MAX_CONCURRENT or os.cpu_count() or 1


def gate():
    """This process's gate for the configured concurrency (one per value, so that a changed
    setting, as in tests, takes effect while earlier holders still release into theirs)."""
    limit = max_concurrent()
    with _lock:
        if limit not in _gates:
            _gates[limit] = Gate(limit)
        return _gates[limit]


@contextmanager
def slot():
    """Run the body (one or more scrypts) in a place of the gate, or raise server_busy."""
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    current = gate()
    current.acquire(settings.SCRYPT_MAX_PENDING, settings.SCRYPT_MAX_WAIT)
    _held.depth = 1
    try:
        yield
    finally:
        _held.depth = 0
        current.release()
