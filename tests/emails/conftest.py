"""Fixtures for the emails tests: accounts made directly, an SMTP sink, a live stack that uses it."""
import secrets

import pytest

from accounts.models import Account, now_ms
from tests.smtp import TEMPFAIL_DOMAIN, SmtpSink

__all__ = ["TEMPFAIL_DOMAIN"]


def create_account(address="reader@example.com", *, metrics=True):
    """An Account row made directly, so no (mail-sending) account flow runs."""
    account = Account.objects.create(
        uid=secrets.token_hex(16),
        email=address,
        normalized_email=address.lower(),
        email_code=secrets.token_hex(16),
        email_verified=True,
        ka=secrets.token_hex(32),
        wrap_wrap_kb=secrets.token_hex(32),
        auth_salt=secrets.token_hex(32),
        verify_hash=secrets.token_hex(32),
        verifier_set_at=now_ms(),
        metrics_opt_out_at=None if metrics else now_ms(),
    )
    return account


@pytest.fixture
def account(db):
    return create_account()


@pytest.fixture(scope="module")
def smtp_sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def mail_stack(django_db_setup, django_db_blocker, smtp_sink):
    """gunicorn + a Celery worker that deliver through ``smtp_sink``, with fast, short retries."""
    from django.db import connection

    from tests.live import LiveStack

    stack = LiveStack(
        connection.settings_dict,
        extra_env={
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_sink.port),
            "EMAIL_TIMEOUT": "5",
            "EMAIL_RETRY_BACKOFF": "1",
            "EMAIL_RETRY_BACKOFF_MAX": "2",
            "EMAIL_MAX_ATTEMPTS": "3",
            "DEFAULT_FROM_EMAIL": "Accounts <accounts@sink.example>",
        },
        workers=1,
    ).start()
    yield stack
    stack.stop()


@pytest.fixture
def stack_queue(mail_stack):
    """Tasks queued by this test process (send_email's on-commit hook) go to the stack's worker."""
    from fxa_project.celery import app

    previous = app.conf.task_default_queue
    app.conf.task_default_queue = mail_stack.queue
    yield mail_stack.queue
    app.conf.task_default_queue = previous
