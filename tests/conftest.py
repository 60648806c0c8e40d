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
    """In-process tests run Celery tasks eagerly; end-to-end tests use a real worker instead.

    An end-to-end test's stack is set up before its other fixtures, so that the tasks they queue
    (the mail of an account they make) already go to the stack's worker."""
    if request.node.get_closest_marker("e2e"):
        if "live_stack" in request.fixturenames:
            request.getfixturevalue("live_stack")
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True, scope="session")
def _answers_match_the_openapi_document():
    """Every /v1 JSON answer the test client receives is checked against /openapi.json."""
    from django.test import Client

    from tests import openapi_check

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "request", openapi_check.checking_request)
        yield


@pytest.fixture(autouse=True)
def _fresh_customs():
    """Every test starts with no customs counters or blocks, under the default rules: the
    suite's thousands of sign-ins from 127.0.0.1 are not one attacker's."""
    from tests.helpers import clear_customs

    clear_customs()


class LiveStacks:
    """The live stacks of this test process. The default one lives for the session; one with
    other options, until a test asks for yet other options (so at most two run at a time)."""

    def __init__(self):
        self.default = None
        self.other = None
        self.other_options = None

    def get(self, extra_env=None, worker=True):
        from tests.live import start_live_stack

        options = (tuple(sorted((extra_env or {}).items())), worker)
        if options == ((), True):
            if self.default is None:
                self.default = start_live_stack()
            return self.default
        if options != self.other_options:
            self.stop_other()
            self.other = start_live_stack(extra_env, worker=worker)
            self.other_options = options
        return self.other

    def stop_other(self):
        if self.other is not None:
            self.other.stop()
        self.other = self.other_options = None

    def stop(self):
        self.stop_other()
        if self.default is not None:
            self.default.stop()


@pytest.fixture(scope="session")
def _live_stacks(django_db_setup, django_db_blocker):
    stacks = LiveStacks()
    yield stacks
    stacks.stop()


@pytest.fixture
def live_stack(request, _live_stacks):
    """gunicorn + a Celery worker + an SMTP sink (``live_stack.smtp``) over the test database and
    Redis (see tests/live.py).

    ``@pytest.mark.live_stack(extra_env={...}, worker=False)`` asks for a stack with other
    settings. While the test runs, the tasks this process queues go to the stack's worker;
    afterwards the worker must be done with the queued mail, and the processes' logs are printed
    (pytest shows them when the test failed). Every /v1 JSON answer that this process receives
    from the stack through requests is checked against /openapi.json (tests/openapi_check.py).
    """
    import requests

    from tests import openapi_check

    marker = request.node.get_closest_marker("live_stack")
    stack = _live_stacks.get(**(marker.kwargs if marker else {}))
    with stack.receiving_tasks(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(requests.Session, "send", openapi_check.checking_send(stack.url))
        yield stack
        try:
            stack.wait_for_mail_delivered()
        finally:
            print(stack.logs())


# localstripe (tests/localstripe_server.py), the Stripe API of the subscription tests and of the
# live stacks of the subscription end-to-end tests: one server per test process, on loopback.


@pytest.fixture(scope="session")
def localstripe_url():
    from tests.helpers import free_port, running_localstripe

    with running_localstripe(free_port()) as url:
        yield url
