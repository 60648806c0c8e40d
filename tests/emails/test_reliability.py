"""Mail that is never lost, and rarely doubled: retried until what it carries expires, then
``expired``; the beat sweep sends what is due; every attempt is the same message (Message-ID)."""
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from prometheus_client import REGISTRY

from accounts.services import mail as account_mail
from accounts.services.context import RequestContext
from accounts.twofactor.services import step_up
from emails import services
from emails.models import OutboundEmail
from emails.services import send_email
from emails.tasks import deliver
from tests.emails.backends import (
    DownBackend,
    RecordingBackend,
    WorkerKilledAfterSend,
)

pytestmark = pytest.mark.django_db

OTP = "27182818"
OLD_RETRY_BUDGET = 10 + 20 + 40 + 80 + 160 + 300 + 300  # seconds: 8 attempts, the old default


class Clock:
    """``django.utils.timezone.now`` under the test's control."""

    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, seconds):
        self.now += timedelta(seconds=max(seconds, 0))

    def until(self, moment):
        self.advance((moment - self.now).total_seconds())


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = "tests.emails.backends.DownBackend"
    DownBackend.failures = 10 ** 9
    yield
    DownBackend.failures = 0


@pytest.fixture
def recording(settings):
    settings.EMAIL_BACKEND = "tests.emails.backends.RecordingBackend"
    RecordingBackend.failures = 0
    RecordingBackend.events = []
    RecordingBackend.on_close = None
    yield RecordingBackend
    RecordingBackend.on_close = None


def _otp_mail(account, captured, **kwargs):
    with captured(execute=True):
        email = send_email("passwordForgotOtp", account.email, account=account,
                           context={"code": OTP}, **kwargs)
    email.refresh_from_db()
    return email


def _count(template, status):
    return REGISTRY.get_sample_value("fxa_emails_total", {"template": template, "status": status}) or 0


@pytest.mark.usefixtures("smtp_down")
def test_smtp_down_longer_than_the_old_retry_budget_still_delivers_once_back(
    account, clock, django_capture_on_commit_callbacks
):
    started = clock.now
    email = _otp_mail(account, django_capture_on_commit_callbacks, valid_for=24 * 3600)
    assert (email.status, email.attempts) == ("queued", 1)
    for _ in range(30):
        clock.until(email.next_attempt_at)
        with pytest.raises(services.DeliveryDeferred) as deferred:
            services.deliver(email.pk)
        assert deferred.value.countdown <= 300  # EMAIL_RETRY_BACKOFF_MAX
        email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 31)
    assert (clock.now - started).total_seconds() > 5 * OLD_RETRY_BUDGET
    assert "ConnectionRefusedError" in email.last_error

    DownBackend.failures = 0  # SMTP is back
    clock.until(email.next_attempt_at)
    assert services.deliver(email.pk) == "sent"
    (message,) = mail.outbox
    assert message.extra_headers["X-Password-Forgot-Otp"] == OTP
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error, email.sealed) == ("sent", 32, "", "")


@pytest.mark.usefixtures("smtp_down")
def test_a_mail_past_its_expiry_becomes_expired_with_its_secrets_wiped(
    account, clock, django_capture_on_commit_callbacks
):
    expired_before = _count("passwordForgotOtp", "expired")
    email = _otp_mail(account, django_capture_on_commit_callbacks, valid_for=600)
    while email.status == "queued":
        assert email.next_attempt_at <= email.expires_at  # never a retry after the expiry
        clock.until(email.next_attempt_at)
        try:
            services.deliver(email.pk)
        except services.DeliveryDeferred:
            pass
        email.refresh_from_db()
    assert email.status == "expired"
    assert clock.now >= email.expires_at
    assert email.attempts > 4  # retried all along the code's 10 minutes
    assert (email.sealed, email.sealed_keys) == ("", ["code"])
    assert "ConnectionRefusedError" in email.last_error  # why it was never sent
    assert mail.outbox == []
    assert _count("passwordForgotOtp", "expired") == expired_before + 1


def test_the_sweep_expires_what_is_past_its_expiry_and_leaves_the_rest(account, clock):
    short = send_email("passwordForgotOtp", account.email, context={"code": OTP}, valid_for=60)
    long = send_email("unblockCode", account.email, account=account,
                      context={"unblockCode": "ABCD2345"}, valid_for=3600)
    clock.advance(61)
    assert services.requeue_stale() == 0  # nothing overdue: the other row's task is still due
    short.refresh_from_db()
    long.refresh_from_db()
    assert (short.status, short.sealed) == ("expired", "")
    assert long.status == "queued" and long.sealed
    assert mail.outbox == []


def test_the_sweep_sends_a_due_row_whose_retry_was_lost(
    account, settings, clock, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.emails.backends.DownBackend"
    DownBackend.failures = 1
    # The first attempt fails; its Celery retry is never run (in-process here, as if lost).
    email = _otp_mail(account, django_capture_on_commit_callbacks)
    assert (email.status, email.attempts) == ("queued", 1)
    clock.until(email.next_attempt_at)
    assert services.requeue_stale() == 0  # due, but its retry may still come
    clock.advance(settings.EMAIL_REQUEUE_AFTER + 1)
    assert services.requeue_stale() == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


def test_the_sweep_goes_through_every_overdue_row(account, clock, monkeypatch):
    monkeypatch.setattr(services, "SWEEP_BATCH", 3)
    monkeypatch.setattr(services, "queue_delivery", lambda email_id: True)  # the broker takes them
    rows = [send_email("postVerify", account.email, account=account) for _ in range(7)]
    clock.advance(3600)
    assert services.requeue_stale() == 7
    assert all(row.next_attempt_at < clock.now for row in rows)


def test_the_message_id_is_the_same_for_every_attempt(
    account, recording, django_capture_on_commit_callbacks
):
    recording.failures = 1  # a 421: the first attempt is deferred
    email = _otp_mail(account, django_capture_on_commit_callbacks)
    assert email.status == "queued"
    assert deliver.apply(args=[email.pk]).get() == "sent"
    attempts = [event[1] for event in recording.events if isinstance(event, tuple)]
    assert attempts == [email.message_id, email.message_id]
    assert mail.outbox[0].message()["Message-ID"] == email.message_id
    assert email.message_id.startswith("<") and email.message_id.endswith("@localhost>")
    other = send_email("postVerify", account.email, account=account)
    assert other.message_id != email.message_id


def test_the_row_is_recorded_sent_before_the_smtp_session_ends(
    account, recording, django_capture_on_commit_callbacks
):
    """QUIT comes after the status is written: a crash there cannot resend the message."""
    with django_capture_on_commit_callbacks(execute=False):
        email = send_email("passwordForgotOtp", account.email, context={"code": OTP})
    recording.on_close = lambda: OutboundEmail.objects.get(pk=email.pk).status
    assert services.deliver(email.pk) == "sent"
    assert recording.events == ["open", ("send", email.message_id), "close", "sent"]


def test_a_crash_after_the_server_took_the_message_resends_it_once_with_the_same_message_id(
    account, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        email = send_email("passwordForgotOtp", account.email, context={"code": OTP})
    settings.EMAIL_BACKEND = "tests.emails.backends.CrashAfterSendBackend"
    with pytest.raises(WorkerKilledAfterSend):
        services.deliver(email.pk)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 0)  # nothing recorded: rolled back
    assert email.open_seal() == {"code": OTP}

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.deliver(email.pk) == "sent"  # the redelivered task
    assert services.deliver(email.pk) is None  # and a further one, after the commit: nothing
    assert [message.message()["Message-ID"] for message in mail.outbox] == [email.message_id] * 2


def test_a_permanent_rejection_fails_at_once_and_wipes_the_seal(
    account, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.emails.backends.RejectingBackend"
    email = _otp_mail(account, django_capture_on_commit_callbacks)
    assert (email.status, email.attempts, email.sealed) == ("failed", 1, "")
    assert "550" in email.last_error


def test_send_email_takes_an_expiry(account):
    moment = timezone.now() + timedelta(minutes=5)
    email = send_email("postVerify", account.email, expires_at=moment)
    assert email.expires_at == moment.replace(microsecond=0)
    with pytest.raises(ValueError):
        send_email("postVerify", account.email, valid_for=0)
    assert OutboundEmail.objects.count() == 1


# --- the expiry of each kind of mail (accounts.services.mail) --------------------------------------

HEX = "ab" * 16


@pytest.mark.parametrize("template, context, lifetime", [
    ("unblockCode", {"unblockCode": "ABCD2345"}, 3600),
    ("recovery", {"code": HEX, "email": "reader@example.com", "token": "cd" * 32}, 24 * 3600),
    ("passwordForgotOtp", {"code": OTP}, 600),
    ("verify", {"code": HEX}, 3 * 24 * 3600),
    ("verifyLogin", {"code": HEX}, 3 * 24 * 3600),
    ("postVerify", {}, 3 * 24 * 3600),
])
def test_a_mail_expires_with_what_it_carries(account, template, context, lifetime):
    email = account_mail.send_email(template, account.email, account=account, context=context)
    left = (email.expires_at - timezone.now()).total_seconds()
    assert lifetime - 5 <= left <= lifetime


@pytest.mark.parametrize("template, context", [
    ("verifyShortCode", {"code": "123456"}),
    ("verifyLoginCode", {"code": "123456"}),
    ("verifySecondaryCode", {"code": "123456", "email": "second@example.com"}),
])
def test_an_email_otp_mail_expires_with_its_code_window(account, template, context):
    email = account_mail.send_email(template, account.email, account=account, context=context)
    left = (email.expires_at - timezone.now()).total_seconds()
    assert 600 - 5 <= left <= 1200  # to the end of the step after the current one


def test_the_mfa_step_up_code_mail_expires_with_the_code():
    from tests import factories

    user = factories.account("step-up@example.com")
    step_up.request_code(user.session, "email", RequestContext(ip_address="127.0.0.1"))
    email = OutboundEmail.objects.get(template="verifyAccountChange")
    left = (email.expires_at - timezone.now()).total_seconds()
    assert 600 - 5 <= left <= 600
    assert email.sealed_keys == ["code"]


# --- admin ----------------------------------------------------------------------------------------

def test_expired_mail_is_visible_in_admin_and_only_notices_can_be_re_sent(
    admin_client, account, clock
):
    code_mail = send_email("passwordForgotOtp", account.email, context={"code": OTP}, valid_for=60)
    notice = send_email("postVerify", account.email, account=account, valid_for=60)
    clock.advance(61)
    services.expire_due()
    page = admin_client.get("/admin/emails/outboundemail/?status__exact=expired")
    assert page.status_code == 200 and page.context["cl"].result_count == 2
    detail = admin_client.get(f"/admin/emails/outboundemail/{code_mail.pk}/change/")
    assert "(wiped)" in detail.content.decode()

    response = admin_client.post(
        "/admin/emails/outboundemail/",
        {"action": "resend", "_selected_action": [code_mail.pk, notice.pk]}, follow=True,
    )
    assert "cannot be re-sent" in response.content.decode()
    code_mail.refresh_from_db()
    notice.refresh_from_db()
    assert code_mail.status == "expired"
    assert notice.status == "sent" and notice.expires_at > clock.now
    assert [message.extra_headers["X-Template-Name"] for message in mail.outbox] == ["postVerify"]


def test_the_sweep_emails_command_runs_the_sweep_once(account, clock):
    from io import StringIO

    from django.core.management import call_command

    email = send_email("passwordForgotOtp", account.email, context={"code": OTP}, valid_for=60)
    clock.advance(61)
    out = StringIO()
    call_command("sweep_emails", stdout=out)
    assert out.getvalue().strip() == "1 message(s) expired, 0 queued again."
    email.refresh_from_db()
    assert email.status == "expired"


def test_a_secret_written_in_clear_behind_the_model_s_back_is_wiped_once_sent(account):
    email = send_email("postVerify", account.email, account=account)
    OutboundEmail.objects.filter(pk=email.pk).update(template="passwordForgotOtp",
                                                     context={"code": OTP})
    assert services.deliver(email.pk) == "sent"
    assert mail.outbox[0].extra_headers["X-Password-Forgot-Otp"] == OTP
    email.refresh_from_db()
    assert (email.context, email.sealed, email.sealed_keys) == ({}, "", ["code"])
