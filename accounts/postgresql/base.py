"""Django's PostgreSQL backend (settings.DATABASES), with the CONN_HEALTH_CHECKS check made only
on a connection that has been idle.

Django checks a persistent connection with a ``SELECT 1`` before a request first uses it: on a
busy server that is a second round trip for every request of one query (a token lookup). A
connection that ran a query in the last second is taken to be alive; one idle for longer (where
a database restart or an idle timeout went unnoticed) is still checked. A connection that fails
mid-request is checked and dropped at the end of the request either way (Django's
``errors_occurred``).
"""
import time

from django.db.backends.postgresql import base

RECENTLY_USED_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    _last_used = float("-inf")

    def create_cursor(self, name=None):
        self._last_used = time.monotonic()
        return super().create_cursor(name)

    def close_if_health_check_failed(self):
        if self.connection is not None and time.monotonic() - self._last_used < RECENTLY_USED_SECONDS:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
