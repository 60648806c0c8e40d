"""Live stacks for the end-to-end tests: gunicorn serving the project, a Celery worker, and an SMTP
sink that receives the mail the worker sends.

Both processes are real, over the test database (PostgreSQL) and Redis, configured only through
the environment, exactly as in production. Each stack has its own Celery queue, so that
concurrent runs (and the stacks of one run) never take each other's tasks; while a test uses a
stack, the tasks this test process queues (the on-commit mail of an account made in-process)
go to that stack's queue too (``LiveStack.receiving_tasks``).

Tests get one with the ``live_stack`` fixture (tests/conftest.py), whose options are given with
the ``live_stack`` marker; ``start_live_stack(extra_env)`` makes one whose settings depend on the
test (the caller stops it).
"""
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from django.conf import settings

from oauth import crypto
from tests.helpers import free_port
from tests.smtp import SmtpSink

__all__ = ["LiveStack", "ManagedProcess", "OAUTH_SIGNING_KEY", "free_port", "start_live_stack"]

BASE_DIR = Path(settings.BASE_DIR)

# Tests run with DEBUG off, where no development key is generated: this run's key is given to the
# live servers (their environment, as in production) and to the in-process settings (the OAuth
# tests' fixture). Set at import, so that every child process inherits it.
OAUTH_SIGNING_KEY = os.environ.setdefault("OAUTH_SIGNING_KEY", crypto.generate_signing_key_pem())

# What every stack runs with: mail to its SMTP sink, and short delivery retries.
# Which countries pay in which currency (SUBSCRIPTIONS_CURRENCY_COUNTRIES) where Stripe is
# localstripe, whose cards are all French.
LOCALSTRIPE_CURRENCY_COUNTRIES = {"USD": ["US", "FR"], "EUR": ["FR", "DE"]}

DEFAULT_ENV = {
    "DEBUG": "false",
    "PYTHONUNBUFFERED": "1",
    "EMAIL_TIMEOUT": "5",
    "EMAIL_RETRY_BACKOFF": "1",
    "EMAIL_RETRY_BACKOFF_MAX": "2",
    "DEFAULT_FROM_EMAIL": "Accounts <accounts@sink.example>",
    # localstripe issues every card in France; its tests' plans are mostly in dollars.
    "SUBSCRIPTIONS_CURRENCY_COUNTRIES": json.dumps(LOCALSTRIPE_CURRENCY_COUNTRIES),
}


def database_url(settings_dict):
    user = settings_dict.get("USER") or "postgres"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings_dict['NAME']}"


class ManagedProcess:
    """A child process whose output goes to a file that failures can show."""

    def __init__(self, name, command, env):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"fxa-{name}-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def output(self):
        return Path(self.log.name).read_text(errors="replace")[-5000:]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)


class LiveStack:
    """gunicorn (``url``) + a Celery worker reading ``queue`` + the SMTP sink ``smtp``."""

    def __init__(self, db_settings, extra_env=None, workers=2):
        self.smtp = SmtpSink()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.queue = f"fxa-test-{uuid.uuid4().hex[:12]}"
        self.env = {
            **os.environ,
            **DEFAULT_ENV,
            "DATABASE_URL": database_url(db_settings),
            "PUBLIC_URL": self.url,
            "CELERY_QUEUE": self.queue,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.smtp.port),
            "OAUTH_SIGNING_KEY": OAUTH_SIGNING_KEY,
            **(extra_env or {}),
        }
        self.workers = workers
        self.processes = []
        self.worker = None

    @property
    def api_url(self):
        """The base URL of the /v1 API, as clients are configured with it."""
        return self.url + "/v1"

    def start(self, with_worker=True):
        self.smtp.start()
        self.server = self._spawn(
            "gunicorn",
            # The production configuration (threaded workers, time-outs, no control socket).
            [sys.executable, "-m", "gunicorn", "-c", "python:fxa_project.gunicorn", "fxa_project.wsgi",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--timeout", "60"],
        )
        if with_worker:
            self.start_worker()
        self._wait_until_serving()
        return self

    def start_worker(self, env=None):
        """A (new) Celery worker on this stack's queue, with ``env`` on top of the stack's
        environment (the fault tests start one after killing the last)."""
        self.worker = self._spawn(
            "celery",
            [sys.executable, "-m", "celery", "-A", "fxa_project", "worker", "-Q", self.queue,
             "--pool", "solo", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat"],
            env=env,
        )
        return self.worker

    def _spawn(self, name, command, env=None):
        process = ManagedProcess(name, command, {**self.env, **(env or {})})
        self.processes.append(process)
        return process

    def _wait_until_serving(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.process.poll() is not None:
                break
            try:
                if requests.get(self.url + "/__lbheartbeat__", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        output = self.server.output()
        self.stop()
        raise RuntimeError(f"the live server did not start:\n{output}")

    @contextlib.contextmanager
    def receiving_tasks(self):
        """Tasks this test process queues meanwhile go to this stack's worker."""
        from fxa_project.celery import app

        previous = app.conf.task_default_queue
        app.conf.task_default_queue = self.queue
        try:
            yield self
        finally:
            app.conf.task_default_queue = previous

    def wait_for_mail_delivered(self, timeout=30):
        """Wait until the worker is done with every queued message (sent, failed or expired):
        a test's tables must not be flushed under a delivery in progress."""
        from emails.models import OutboundEmail

        if self.worker is None:
            return
        deadline = time.monotonic() + timeout
        while OutboundEmail.objects.filter(status=OutboundEmail.QUEUED).exists():
            assert time.monotonic() < deadline, (
                f"the worker did not deliver the queued mail:\n{self.worker.output()}"
            )
            time.sleep(0.2)

    def logs(self):
        """The tail of each process's output, for a failing test's report."""
        return "\n".join(f"--- {process.name} log (tail) ---\n{process.output()}"
                         for process in self.processes)

    def stop(self):
        for process in self.processes:
            process.stop()
        self.processes = []
        self.smtp.stop()
        self._forget_queue()

    def _forget_queue(self):
        """Remove the queue, and the routing sets kombu keeps for it, from Redis: every stack has
        a queue of its own, and they would add up run after run."""
        import redis

        try:
            redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(
                self.queue, f"_kombu.binding.{self.queue}", f"_kombu.binding_permanent.{self.queue}"
            )
        except redis.RedisError:
            pass  # Redis is gone already: nothing is left in it either


def start_live_stack(extra_env=None, *, worker=True, workers=2):
    """A started LiveStack over the test database with ``extra_env`` on top of the defaults;
    the caller stops it (``stack.stop()``)."""
    from django.db import connection

    return LiveStack(connection.settings_dict, extra_env=extra_env, workers=workers).start(
        with_worker=worker
    )
