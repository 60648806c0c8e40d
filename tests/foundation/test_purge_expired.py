"""``manage.py purge_expired``: what has expired or aged out goes, in batches; the rest stays;
--dry-run counts only. Also run daily by Celery beat (accounts.tasks.purge_expired)."""
import secrets
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.devices.models import Device, DeviceCommand
from accounts.models import (
    PasswordChangeToken,
    SecurityEvent,
    SessionToken,
    UnblockCode,
    now_ms,
)
from accounts.tasks import purge_expired
from oauth.models import AccessToken
from tests import factories

pytestmark = pytest.mark.django_db

DAY_MS = 24 * 3600 * 1000


def purge(*args):
    out = StringIO()
    call_command("purge_expired", *args, stdout=out)
    return out.getvalue()


def _token(model, account, age_ms):
    return model.objects.create(token_id=secrets.token_hex(32), auth_key=secrets.token_hex(32),
                                account=account, created_at=now_ms() - age_ms)


@pytest.fixture
def rows(settings):
    """Two of each kind, one past its lifetime or retention ("old") and one not ("new")."""
    settings.SECURITY_EVENT_RETENTION_DAYS = 30
    user = factories.account("purge@example.com")
    account = user.account
    lifetime_ms = settings.SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME * 1000
    old_session = _token(SessionToken, account, lifetime_ms + 1000)
    # A session with a device never expires, however old.
    with_device = _token(SessionToken, account, lifetime_ms + 1000)
    device = Device.objects.create(id=secrets.token_hex(16), account=account, session_token=with_device)
    change_ms = settings.PASSWORD_CHANGE_TOKEN_LIFETIME * 1000
    made = {
        "old": [
            old_session,
            _token(PasswordChangeToken, account, change_ms + 1000),
            SecurityEvent.objects.create(account=account, name="account.login",
                                         created_at=now_ms() - 31 * DAY_MS),
            DeviceCommand.objects.create(device=device, index=1, command="c", expires_at=now_ms() - 1),
            AccessToken.objects.create(
                token_id=secrets.token_hex(32), application=factories.oauth_client()[0],
                account=account, scope="profile", expires=timezone.now() - timedelta(seconds=1)),
        ],
        "new": [
            with_device,
            SessionToken.objects.get(pk=user.session_key),
            _token(PasswordChangeToken, account, change_ms - 60_000),
            SecurityEvent.objects.create(account=account, name="account.login",
                                         created_at=now_ms() - 29 * DAY_MS),
            DeviceCommand.objects.create(device=device, index=2, command="c",
                                         expires_at=now_ms() + 60_000),
        ],
    }
    UnblockCode.objects.create(account=account, code_hash="0" * 64, created_at=now_ms() - 2 * 3600_000)
    return made


def _exists(row):
    return type(row).objects.filter(pk=row.pk).exists()


def test_dry_run_counts_and_deletes_nothing(rows):
    out = purge("--dry-run")
    assert "sessionTokens without a device (SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME): 1 to delete" in out
    assert "passwordChangeTokens: 1 to delete" in out
    assert "unblock codes: 1 to delete" in out
    assert "security events older than 30 days (SECURITY_EVENT_RETENTION_DAYS): 1 to delete" in out
    assert "6 row(s) would be deleted (dry run)." in out
    assert all(_exists(row) for row in rows["old"] + rows["new"])
    assert UnblockCode.objects.exists()


def test_what_expired_goes_and_the_rest_stays(rows):
    out = purge()
    assert "6 row(s) deleted." in out
    assert not any(_exists(row) for row in rows["old"])
    assert all(_exists(row) for row in rows["new"])
    assert not UnblockCode.objects.exists()
    assert purge().endswith("0 row(s) deleted.\n")


def test_batches_show_progress(settings):
    account = factories.account("batches@example.com").account
    lifetime_ms = settings.SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME * 1000
    for _ in range(3):
        _token(SessionToken, account, lifetime_ms + 1000)
    out = purge("--batch-size", "2")
    assert "(SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME): 2/3…" in out
    assert "(SESSION_TOKEN_WITHOUT_DEVICE_LIFETIME): 3 deleted" in out


def test_a_retention_of_zero_keeps_security_events(rows, settings):
    settings.SECURITY_EVENT_RETENTION_DAYS = 0
    assert "security events" not in purge()
    assert SecurityEvent.objects.filter(created_at__lt=now_ms() - 30 * DAY_MS).exists()


def test_celery_beat_runs_the_same_purge(rows):
    purge_expired.delay()
    assert not any(_exists(row) for row in rows["old"])
    assert all(_exists(row) for row in rows["new"])
