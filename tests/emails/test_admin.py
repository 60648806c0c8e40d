"""Support staff see the outbox in Django admin, filter failed messages and re-send them."""
import pytest
from django.core import mail
from django.utils import timezone

from emails.models import OutboundEmail

pytestmark = pytest.mark.django_db


def _row(account, status, **fields):
    return OutboundEmail.objects.create(
        template="unblockCode", to=[account.email], uid=account.uid, status=status,
        context={"unblockCode": "ABCD2345"}, next_attempt_at=timezone.now(), **fields,
    )


def test_failed_messages_are_filterable_and_show_their_error(admin_client, account):
    failed = _row(account, "failed", attempts=8, last_error="SMTPServerDisconnected: gone")
    _row(account, "sent")
    page = admin_client.get("/admin/emails/outboundemail/?status__exact=failed")
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    detail = admin_client.get(f"/admin/emails/outboundemail/{failed.pk}/change/")
    assert detail.status_code == 200
    assert b"SMTPServerDisconnected: gone" in detail.content
    assert b"ABCD2345" not in detail.content  # codes are credentials


def test_resend_action_delivers_failed_messages_and_leaves_sent_ones(admin_client, account):
    failed = _row(account, "failed", attempts=8, last_error="boom")
    sent = _row(account, "sent", attempts=1)
    response = admin_client.post(
        "/admin/emails/outboundemail/",
        {"action": "resend", "_selected_action": [failed.pk, sent.pk]},
        follow=True,
    )
    assert response.status_code == 200
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == ("sent", 1, "")
    assert (sent.status, sent.attempts) == ("sent", 1)
    assert len(mail.outbox) == 1 and mail.outbox[0].extra_headers["X-Unblock-Code"] == "ABCD2345"
