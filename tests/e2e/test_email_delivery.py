"""End to end: a real Celery worker, fed through Redis, delivers to an SMTP server on loopback."""
import re
import time

import pytest
import requests
from django.db import transaction
from django.utils import timezone

from emails.models import OutboundEmail
from emails.services import send_email
from emails.tasks import deliver
from tests import factories
from tests.smtp import TEMPFAIL_DOMAIN

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _wait_for_row(email, done, stack, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        email.refresh_from_db()
        if done(email):
            return email
        assert time.monotonic() < deadline, (
            f"email {email.pk} is {email.status} after {email.attempts} attempt(s) "
            f"({email.last_error}):\n{stack.worker.output()}"
        )
        time.sleep(0.1)


def test_worker_sends_a_code_that_the_test_reads_from_the_received_message(live_stack):
    account = factories.account("live-code@example.com").account
    with transaction.atomic():  # the flows' way: queued at commit, to the stack's worker
        email = send_email("verifyLoginCode", account.email, account=account, locale="en-US",
                           context={"code": "314159"})

    (message,) = live_stack.smtp.wait_for("live-code@example.com", "verifyLoginCode")
    assert message["X-Signin-Verify-Code"] == "314159"
    assert message["X-Template-Name"] == "verifyLoginCode"
    assert message["X-Uid"] == account.uid
    assert message["From"] == "Accounts <accounts@sink.example>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "314159" in text and "314159" in html
    _wait_for_row(email, lambda row: row.status == "sent", live_stack)


def test_task_queued_by_hand_delivers_a_link_to_the_live_server(live_stack):
    account = factories.account("live-link@example.com").account
    email = OutboundEmail.objects.create(
        template="verify", to=[account.email], uid=account.uid, metrics_enabled=False,
        context={"code": account.email_code}, next_attempt_at=timezone.now(),
    )
    deliver.apply_async(args=[email.pk], queue=live_stack.queue)

    (message,) = live_stack.smtp.wait_for("live-link@example.com", "verify")
    # The worker builds links from its own PUBLIC_URL: the live server's.
    assert message["X-Link"] == (
        f"{live_stack.url}/verify_email?uid={account.uid}&code={account.email_code}"
    )
    assert message["X-Verify-Code"] == account.email_code


def test_smtp_server_down_is_retried_and_delivered_exactly_once_when_back(live_stack):
    account = factories.account("live-retry@example.com").account
    live_stack.smtp.stop()
    try:
        with transaction.atomic():
            email = send_email("unblockCode", account.email, account=account,
                               context={"unblockCode": "RETRY234"})
        _wait_for_row(email, lambda row: row.attempts >= 1, live_stack)
        assert email.status == "queued"
        assert "Connection refused" in email.last_error or "ConnectionRefused" in email.last_error
    finally:
        live_stack.smtp.start()

    _wait_for_row(email, lambda row: row.status != "queued", live_stack)
    assert email.status == "sent"
    assert email.attempts >= 2  # the first attempt failed; a retry found the server back
    messages = live_stack.smtp.messages_to("live-retry@example.com", "unblockCode")
    assert len(messages) == 1
    assert messages[0]["X-Unblock-Code"] == "RETRY234"


def test_a_message_retried_until_its_code_expires_ends_expired_with_the_code_wiped(live_stack):
    """A temporary failure is retried (never "failed") until what the mail carries expires."""
    address = f"nobody@{TEMPFAIL_DOMAIN}"
    with transaction.atomic():
        email = send_email("passwordForgotOtp", address, context={"code": "27182818"}, valid_for=4)

    _wait_for_row(email, lambda row: row.status != "queued", live_stack)
    assert email.status == "expired"
    assert email.attempts >= 2
    assert "451" in email.last_error
    assert email.sealed == "" and "code" not in email.context
    assert live_stack.smtp.messages_to(address) == []


def test_send_unblock_code_route_mails_the_code_through_redis_and_the_worker(live_stack):
    user = factories.account("live-unblock@example.com")
    response = requests.post(live_stack.url + "/v1/account/login/send_unblock_code",
                             json={"email": user.email}, timeout=10)
    assert response.status_code == 200, response.text

    (message,) = live_stack.smtp.wait_for(user.email, "unblockCode")
    code = message["X-Unblock-Code"]
    assert re.fullmatch(r"[0-9A-Z]{8}", code)
    assert code in message.get_body(("plain",)).get_content()
    assert message["X-Report-SignIn-Link"] == (
        f"{live_stack.url}/report_signin?uid={user.uid}&unblockCode={code}"
        "&utm_medium=email&utm_campaign=fx-new-unblock&utm_content=fx-report"
    )
