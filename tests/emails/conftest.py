"""Fixtures for the emails tests: accounts made directly, an SMTP sink, a live stack that uses it."""
import email
import secrets
import threading
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller

from accounts.models import Account, now_ms
from tests.live import free_port

# Recipients at this domain get "451 try again later" from the sink: a transient failure.
TEMPFAIL_DOMAIN = "tempfail.example"


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


class SinkHandler:
    """Keeps every message received, parsed; refuses TEMPFAIL_DOMAIN recipients with a 451."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().endswith("@" + TEMPFAIL_DOMAIN):
            return "451 4.3.0 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


class SmtpSink:
    """An SMTP server on loopback that tests can stop (connections refused) and start again."""

    def __init__(self):
        self.port = free_port()
        self.handler = SinkHandler()
        self.controller = None

    def start(self):
        if self.controller is None:
            self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
            self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages_to(self, address, template=None):
        with self.handler.lock:
            return [m for m in self.handler.messages if address in m["To"]
                    and template in (None, m["X-Template-Name"])]

    def wait_for(self, address, template=None, timeout=20):
        deadline = time.monotonic() + timeout
        while not self.messages_to(address, template):
            assert time.monotonic() < deadline, f"no {template or ''} message to {address} within {timeout}s"
            time.sleep(0.1)
        return self.messages_to(address, template)


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
