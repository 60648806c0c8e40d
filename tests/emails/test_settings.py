"""Mail configuration: the development mailbox without SMTP, SMTP with EMAIL_HOST; the beat job."""
import json
import os
import subprocess
import sys

from django.conf import settings

from emails.tasks import requeue_stale_emails
from fxa_project.celery import app as celery_app

PROBE = (
    "import json, fxa_project.settings as s; print(json.dumps([s.EMAIL_BACKEND, "
    "s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_RETRY_BACKOFF, s.EMAIL_MAX_AGE, s.EMAIL_SEALING_KEY]))"
)


def _configuration(**overrides):
    env = {key: value for key, value in os.environ.items()
           if key not in ("EMAIL_HOST", "REDIS_URL", "CELERY_BROKER_URL")}
    env.update(SECRET_KEY="test", **overrides)
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_default_is_the_dev_mailbox_with_tasks_in_process():
    backend, eager, backoff, max_age, sealing_keys = _configuration()
    assert backend == "emails.backends.DevMailboxBackend"
    assert eager is True
    assert (backoff, max_age) == (10, 3 * 24 * 3600)
    assert sealing_keys == []  # derived from SECRET_KEY


def test_smtp_and_retry_settings_come_from_the_environment():
    backend, eager, backoff, max_age, sealing_keys = _configuration(
        EMAIL_HOST="smtp.example.com", REDIS_URL="redis://127.0.0.1:6379/9",
        EMAIL_RETRY_BACKOFF="1.5", EMAIL_MAX_AGE="3600", EMAIL_SEALING_KEY="new-key, old-key",
    )
    assert backend == "django.core.mail.backends.smtp.EmailBackend"
    assert eager is False
    assert (backoff, max_age) == (1.5, 3600)
    assert sealing_keys == ["new-key", "old-key"]  # newest first


def test_beat_names_only_registered_tasks_and_requeues_stale_mail():
    """Beat sends tasks by name: a name that no task has is dropped by the worker, silently.
    (tests/e2e/test_celery_worker.py runs the scheduled tasks through a real worker.)"""
    celery_app.loader.import_default_modules()  # what a worker imports at start (autodiscovery)
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule <= set(celery_app.tasks)
    assert requeue_stale_emails.name in schedule
