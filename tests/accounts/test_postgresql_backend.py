"""accounts.postgresql: the CONN_HEALTH_CHECKS check is made on an idle connection only."""
import pytest
from django.db import connections

from accounts.postgresql import base

pytestmark = pytest.mark.django_db

connection = connections["default"]  # the wrapper itself, not django.db.connection's proxy


@pytest.fixture
def checks(monkeypatch):
    """The health checks (``is_usable`` calls) the connection makes; it is always usable."""
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL backend")
    connection.ensure_connection()
    monkeypatch.setattr(connection, "health_check_enabled", True)
    made = []
    monkeypatch.setattr(connection, "is_usable", lambda: made.append(True) or True)
    return made


def start_request():
    connection.health_check_done = False
    connection.close_if_health_check_failed()


def test_the_backend_is_in_use():
    assert isinstance(connection, base.DatabaseWrapper)


def test_a_connection_used_within_the_second_is_not_checked(checks):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    start_request()
    assert checks == [] and connection.health_check_done


def test_an_idle_connection_is_checked(checks, monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    monkeypatch.setattr(connection, "_last_used", connection._last_used - base.RECENTLY_USED_SECONDS)
    start_request()
    assert checks == [True] and connection.health_check_done
