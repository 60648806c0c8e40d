"""Shared fixtures: a test database per run, and the live server + Celery worker stack."""
import os
import re

import pytest

from fxa_project.celery import app as celery_app


TEST_DATABASE_PREFIX = "test_fxa_run"


def _drop_abandoned_test_databases(settings_dict):
    """Drop test databases left by runs that died before cleaning up (their pid is gone)."""
    import psycopg

    dsn = dict(
        host=settings_dict.get("HOST") or "127.0.0.1",
        port=settings_dict.get("PORT") or 5432,
        user=settings_dict.get("USER") or "postgres",
        dbname="postgres",
        autocommit=True,
    )
    with psycopg.connect(**dsn) as connection:
        names = [row[0] for row in connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (TEST_DATABASE_PREFIX + "%",)
        )]
        for name in names:
            match = re.fullmatch(TEST_DATABASE_PREFIX + r"(\d+)", name)
            if match and not os.path.exists(f"/proc/{match.group(1)}"):
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Each test run gets its own PostgreSQL database, so concurrent runs never collide."""
    from django.conf import settings

    default = settings.DATABASES["default"]
    if default["ENGINE"].endswith("postgresql"):
        _drop_abandoned_test_databases(default)
        default.setdefault("TEST", {})["NAME"] = f"{TEST_DATABASE_PREFIX}{os.getpid()}"


@pytest.fixture(autouse=True)
def _tasks_run_in_process(request):
    """In-process tests run Celery tasks eagerly; end-to-end tests use a real worker instead."""
    if request.node.get_closest_marker("e2e"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(scope="session")
def live_stack(django_db_setup, django_db_blocker):
    """gunicorn + a Celery worker over the test database and Redis, for the whole session."""
    from django.db import connection

    from tests.live import LiveStack

    stack = LiveStack(connection.settings_dict).start()
    yield stack
    stack.stop()
