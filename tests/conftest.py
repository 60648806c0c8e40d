"""Shared fixtures: API clients, factories and the live server + Celery worker stack."""
import pytest

from fxa_project.celery import app as celery_app


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
