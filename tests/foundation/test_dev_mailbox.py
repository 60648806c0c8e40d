"""The development mailbox stores sent mail and shows it at /__mail__/ only when enabled."""
import pytest
from django.core.mail import EmailMultiAlternatives

from emails.models import MailboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(settings):
    settings.EMAIL_BACKEND = "emails.backends.DevMailboxBackend"
    settings.DEV_MAILBOX_ENABLED = True


def _send():
    message = EmailMultiAlternatives(
        subject="Confirm your account",
        body="Your code is 123456",
        from_email="accounts@example.com",
        to=["reader@example.com"],
        headers={"X-Template-Name": "verify"},
    )
    message.attach_alternative("<p>Your code is <b>123456</b></p>", "text/html")
    message.send()
    return MailboxMessage.objects.get()


@pytest.mark.usefixtures("mailbox")
def test_sent_message_is_stored_with_text_html_and_headers():
    stored = _send()
    assert stored.subject == "Confirm your account"
    assert stored.from_email == "accounts@example.com"
    assert stored.to == ["reader@example.com"]
    assert stored.text_body == "Your code is 123456"
    assert stored.html_body == "<p>Your code is <b>123456</b></p>"
    assert stored.headers == {"X-Template-Name": "verify"}


@pytest.mark.usefixtures("mailbox")
def test_cc_and_reply_to_are_kept_as_headers():
    EmailMultiAlternatives(
        "Hi", "text", "accounts@example.com", ["to@example.com"],
        cc=["cc1@example.com", "cc2@example.com"], reply_to=["help@example.com"],
    ).send()
    assert MailboxMessage.objects.get().headers == {
        "Cc": "cc1@example.com, cc2@example.com",
        "Reply-To": "help@example.com",
    }


@pytest.mark.usefixtures("mailbox")
def test_mailbox_page_lists_the_message(client):
    stored = _send()
    response = client.get("/__mail__/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Confirm your account" in page
    assert "reader@example.com" in page
    assert f'href="/__mail__/{stored.pk}/"' in page


@pytest.mark.usefixtures("mailbox")
def test_message_page_shows_subject_body_and_headers(client):
    stored = _send()
    response = client.get(f"/__mail__/{stored.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Confirm your account" in page
    assert "Your code is 123456" in page
    assert "X-Template-Name" in page and "verify" in page
    # The HTML part is shown inside a sandboxed frame, escaped into its srcdoc.
    assert "&lt;b&gt;123456&lt;/b&gt;" in page


@pytest.mark.usefixtures("mailbox")
def test_unknown_message_is_404(client):
    assert client.get("/__mail__/999999/").status_code == 404


def test_disabled_mailbox_is_404(client, settings):
    settings.EMAIL_BACKEND = "emails.backends.DevMailboxBackend"
    settings.DEV_MAILBOX_ENABLED = False
    stored = _send()
    assert client.get("/__mail__/").status_code == 404
    assert client.get(f"/__mail__/{stored.pk}/").status_code == 404
