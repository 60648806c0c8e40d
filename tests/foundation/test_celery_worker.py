"""A real Celery worker, fed through Redis, runs the token-pruning task against the shared database."""
import time

import pytest
from django.conf import settings

from accounts.models import SessionToken, now_ms
from accounts.tasks import prune_expired_tokens
from accounts.tokens import create_session_token
from tests.helpers import make_account

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_worker_prunes_expired_session_tokens_and_keeps_fresh_ones(live_stack):
    user = make_account("prune@example.com")
    lifetime_ms = settings.SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME * 1000
    _, expired = create_session_token(user.account, created_at=now_ms() - lifetime_ms - 3_600_000)
    fresh = SessionToken.objects.get(account=user.account, created_at__gte=now_ms() - lifetime_ms)

    assert not prune_expired_tokens.app.conf.task_always_eager
    prune_expired_tokens.apply_async(queue=live_stack.queue)

    deadline = time.monotonic() + 30
    while SessionToken.objects.filter(pk=expired.pk).exists():
        assert time.monotonic() < deadline, f"the worker did not prune:\n{live_stack.worker.output()}"
        time.sleep(0.2)
    assert SessionToken.objects.filter(pk=fresh.pk).exists()
