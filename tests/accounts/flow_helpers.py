"""Helpers for the confirmation-flow tests: an ApiClient whose requests deliver their mail, and
readers of the mail delivered (``django.core.mail.outbox``)."""
from django.core import mail
from django.test import TestCase

from accounts.models import Account, SessionToken, now_ms
from tests.helpers import DEFAULT_PASSWORD, ApiClient, ok, stretch, token_credentials

OTHER_IP = "203.0.113.7"


class MailingApiClient(ApiClient):
    """Runs each request's on-commit hooks (mail is queued on commit; Celery runs eagerly)."""

    def request(self, *args, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(*args, **kwargs)


def client_from(ip=None):
    client = MailingApiClient()
    if ip:
        client.client.defaults["REMOTE_ADDR"] = ip
    return client


def sent(template=None, to=None):
    """Messages delivered so far, optionally of one template and/or to one address."""
    return [
        message for message in mail.outbox
        if (template is None or message.extra_headers.get("X-Template-Name") == template)
        and (to is None or to in message.to)
    ]


def templates():
    return [message.extra_headers.get("X-Template-Name") for message in mail.outbox]


def last(template):
    messages = sent(template)
    assert messages, f"no {template!r} mail; sent: {templates()}"
    return messages[-1]


def clear_mail():
    mail.outbox.clear()


def session_row(session_token):
    return SessionToken.objects.get(pk=token_credentials(session_token, "sessionToken")[0])


def create(api, email, password=DEFAULT_PASSWORD, query="", **fields):
    auth_pw, _ = stretch(email, password)
    return ok(api.post(f"/account/create{query}", {"email": email, "authPW": auth_pw, **fields}))


def login(api, email, password=DEFAULT_PASSWORD, query="", headers=None, **fields):
    auth_pw, _ = stretch(email, password)
    return api.post(
        f"/account/login{query}", {"email": email, "authPW": auth_pw, **fields}, headers=headers
    )


def age_account(uid, seconds):
    """Make the account look ``seconds`` older (past the new-account exemption)."""
    Account.objects.filter(uid=uid).update(created_at=now_ms() - seconds * 1000)
