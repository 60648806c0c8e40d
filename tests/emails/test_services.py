"""send_email: queued in the caller's transaction, delivered once on commit, never lost."""
import functools

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from emails import services
from emails.models import MailboxMessage, OutboundEmail
from emails.services import send_email
from emails.tasks import deliver, requeue_stale_emails
from fxa_project.celery import app as celery_app
from tests.emails.backends import DownBackend
from tests.live import free_port

pytestmark = pytest.mark.django_db

CODE = "123456"


def _send(account, template="verifyLoginCode", **context):
    return send_email(template, account.email, account=account, locale="en",
                      context=context or {"code": CODE})


def test_nothing_is_sent_when_the_transaction_rolls_back(account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                _send(account)
                raise RuntimeError("the change failed")
    assert callbacks == []
    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()


def test_committed_message_is_delivered_once(account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            email = _send(account)
            assert mail.outbox == []  # not before the commit
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [account.email]
    assert message.from_email == "Mozilla accounts <accounts@localhost>"
    assert message.extra_headers["X-Signin-Verify-Code"] == CODE
    assert message.extra_headers["X-Template-Name"] == "verifyLoginCode"
    assert message.extra_headers["X-Uid"] == account.uid
    assert CODE in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and CODE in html

    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("sent", 1, "")
    assert email.sent_at is not None
    assert "code" not in email.context  # credentials are never in the stored context
    assert (email.sealed, email.sealed_keys) == ("", ["code"])  # and the seal is gone once sent
    assert message.extra_headers["Message-ID"] == email.message_id

    # A duplicate task (re-queue, broker redelivery) does not send it again.
    deliver.apply(args=[email.pk])
    assert len(mail.outbox) == 1


def test_several_recipients_get_one_message(account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_email("postRemoveSecondary", [account.email, "other@example.com"], account=account,
                   context={"secondaryEmail": "gone@example.com"})
    assert len(mail.outbox) == 1
    assert (mail.outbox[0].to, mail.outbox[0].cc) == ([account.email], ["other@example.com"])


def test_bad_calls_fail_in_the_caller(account):
    with pytest.raises(ValueError):
        send_email("noSuchTemplate", account.email, account=account)
    with pytest.raises(ValueError):
        send_email("verifyLoginCode", account.email, account=account, context={"code": "12"})
    with pytest.raises(ValueError):
        send_email("verify", [], account=account, context={"code": "a" * 32})
    assert not OutboundEmail.objects.exists()


def test_uid_defaults_to_the_account_s(account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_email("verify", account.email, account=account, context={"code": account.email_code})
    link = mail.outbox[0].extra_headers["X-Link"]
    assert f"uid={account.uid}&code={account.email_code}" in link
    assert "utm_campaign=fx-welcome" in link  # metrics enabled on this account


class DeadBroker:
    """While active, tasks are really published, to a broker that refuses connections."""

    def __init__(self):
        self.connection = celery_app.connection_for_write(f"redis://127.0.0.1:{free_port()}/0")
        self.eager = celery_app.conf.task_always_eager

    def __enter__(self):
        celery_app.conf.task_always_eager = False
        celery_app.send_task = functools.partial(type(celery_app).send_task, celery_app,
                                                 connection=self.connection)
        return self

    def __exit__(self, *exc_info):
        del celery_app.send_task
        celery_app.conf.task_always_eager = self.eager
        self.connection.release()


@pytest.fixture
def dead_broker():
    with DeadBroker() as broker:
        yield broker


def test_broker_down_keeps_the_committed_change_and_the_requeue_task_delivers_later(
    account, django_capture_on_commit_callbacks
):
    """A change the client is told succeeded is committed; its mail waits in the outbox."""
    with DeadBroker():
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                email = _send(account)

    email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 0)
    assert mail.outbox == []

    # The broker is back. Not stale yet: the re-queue leaves it alone.
    assert requeue_stale_emails.apply().get() == 0
    OutboundEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=timezone.now() - timezone.timedelta(minutes=10)
    )
    assert requeue_stale_emails.apply().get() == 1
    email.refresh_from_db()
    assert email.status == "sent"
    assert len(mail.outbox) == 1 and mail.outbox[0].extra_headers["X-Signin-Verify-Code"] == CODE


@pytest.mark.usefixtures("dead_broker")
def test_requeue_while_the_broker_is_still_down_keeps_the_row(account):
    email = OutboundEmail.objects.create(
        template="verifyLoginCode", to=[account.email], uid=account.uid, context={"code": CODE},
        next_attempt_at=timezone.now() - timezone.timedelta(hours=1),
    )
    assert services.requeue_stale() == 0
    email.refresh_from_db()
    assert email.status == "queued"


def test_smtp_down_is_retried_then_delivered(account, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.emails.backends.DownBackend"
    DownBackend.failures = 2
    with django_capture_on_commit_callbacks(execute=True):
        email = _send(account)
    email.refresh_from_db()
    # In-process (eager), a deferred row is not retried on the spot: it waits for its retry.
    assert (email.status, email.attempts) == ("queued", 1)
    assert deliver.apply(args=[email.pk]).get() == "queued"
    assert deliver.apply(args=[email.pk]).get() == "sent"
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 3)
    assert len(mail.outbox) == 1


def test_permanent_rejection_fails_at_once(account, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.emails.backends.RejectingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        email = _send(account)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 1)
    assert "550" in email.last_error


def test_retry_delay_is_exponential_and_capped(settings):
    settings.EMAIL_RETRY_BACKOFF = 10
    settings.EMAIL_RETRY_BACKOFF_MAX = 300
    assert [services.retry_delay(n) for n in range(1, 8)] == [10, 20, 40, 80, 160, 300, 300]


def test_deferred_attempt_schedules_the_next_one(account, settings):
    settings.EMAIL_BACKEND = "tests.emails.backends.DownBackend"
    DownBackend.failures = 1
    email = OutboundEmail.objects.create(
        template="verifyLoginCode", to=[account.email], context={"code": CODE},
        next_attempt_at=timezone.now(),
    )
    with pytest.raises(services.DeliveryDeferred) as deferred:
        services.deliver(email.pk)
    assert deferred.value.countdown == settings.EMAIL_RETRY_BACKOFF
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 1)
    assert email.next_attempt_at > timezone.now()


def test_dev_mailbox_receives_the_message_as_embedded_default(
    account, settings, client, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "emails.backends.DevMailboxBackend"
    settings.DEV_MAILBOX_ENABLED = True
    with django_capture_on_commit_callbacks(execute=True):
        _send(account, "unblockCode", unblockCode="ABCD2345")
    stored = MailboxMessage.objects.get()
    assert stored.headers["X-Unblock-Code"] == "ABCD2345"
    assert stored.headers["X-Report-SignIn-Link"].startswith(settings.PUBLIC_URL + "/report_signin?")
    assert "ABCD2345" in stored.text_body and "ABCD2345" in stored.html_body
    page = client.get(f"/__mail__/{stored.pk}/")
    assert page.status_code == 200 and b"ABCD2345" in page.content


def test_a_message_that_cannot_be_built_fails_without_retrying(account):
    email = OutboundEmail.objects.create(
        template="verifyLoginCode", to=[account.email], context={},  # the code is missing
        next_attempt_at=timezone.now(),
    )
    deliver.apply(args=[email.pk])
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 1)
    assert "ValueError" in email.last_error and "code" in email.last_error
    assert mail.outbox == []
