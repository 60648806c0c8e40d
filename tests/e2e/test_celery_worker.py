"""A real Celery worker, fed through Redis, runs the periodic tasks that beat names in its schedule
(sent by those names, as beat sends them) against the shared database."""
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import SessionToken, now_ms
from emails.models import OutboundEmail
from fxa_project.celery import app as celery_app
from tests import factories
from tests.helpers import token_key

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def run_scheduled(entry, stack):
    """Send the task of a CELERY_BEAT_SCHEDULE entry by its name to the stack's worker."""
    assert not celery_app.conf.task_always_eager
    celery_app.send_task(settings.CELERY_BEAT_SCHEDULE[entry]["task"], queue=stack.queue)


def wait_until(condition, stack, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"the worker did not {what}:\n{stack.worker.output()}"
        time.sleep(0.2)


def test_worker_prunes_expired_session_tokens_and_keeps_fresh_ones(live_stack):
    user = factories.account("prune@example.com")
    lifetime_ms = settings.SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME * 1000
    expired = factories.session(user, created_at=now_ms() - lifetime_ms - 3_600_000)
    expired_key = token_key(expired)

    run_scheduled("prune-expired-tokens", live_stack)

    wait_until(lambda: not SessionToken.objects.filter(pk=expired_key).exists(), live_stack, "prune")
    assert SessionToken.objects.filter(pk=user.session_key).exists()


def test_worker_sweep_delivers_a_message_whose_task_was_lost(live_stack):
    """A row left queued with no task (the broker was down at commit, or the task was lost):
    the sweep queues it again and the worker delivers it, once."""
    address = "lost-task@example.com"
    overdue = timezone.now() - timedelta(seconds=settings.EMAIL_REQUEUE_AFTER + 60)
    email = OutboundEmail.objects.create(
        template="passwordForgotOtp", to=[address], context={"code": "31415926"},
        next_attempt_at=overdue,
    )

    run_scheduled("requeue-stale-emails", live_stack)

    (message,) = live_stack.smtp.wait_for(address, "passwordForgotOtp")
    assert message["X-Password-Forgot-Otp"] == "31415926"
    wait_until(lambda: OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.SENT,
               live_stack, "mark the message sent")
    assert OutboundEmail.objects.get(pk=email.pk).attempts == 1
