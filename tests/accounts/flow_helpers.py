"""Helpers for the confirmation-flow tests: sign-up and sign-in calls, the mail they deliver."""
from django.core import mail

from accounts.models import Account, SessionToken, now_ms
from tests.helpers import DEFAULT_PASSWORD, ok, sent, stretch, templates, token_key

OTHER_IP = "203.0.113.7"


def last(template):
    messages = sent(template)
    assert messages, f"no {template!r} mail; sent: {templates()}"
    return messages[-1]


def clear_mail():
    mail.outbox.clear()


def session_row(session_token):
    return SessionToken.objects.get(pk=token_key(session_token))


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
