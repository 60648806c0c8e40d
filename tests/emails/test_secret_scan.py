"""A database read gives no live secret: after each flow that mails one, every column of every
table (what pg_dump would write) is searched for the raw token the client holds and the emailed
code, both while the mail waits in the outbox and once it is sent."""
import json
import re

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection

from emails import services
from emails.models import OutboundEmail
from tests import factories
from tests.accounts.flow_helpers import OTHER_IP, age_account, login
from tests.helpers import ApiClient, ok, stretch

pytestmark = pytest.mark.django_db

UNBLOCK_HEADER = "X-Unblock-Code"


def _text(value):
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        return raw.hex() + " " + raw.decode("latin-1")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def dump_database():
    """(table.column, value as text) for every column of every row of every table, as the
    database holds it (no field's decryption: what pg_dump would write)."""
    dump = []
    tables = {model._meta.db_table for model in apps.get_models(include_auto_created=True)
              if model._meta.managed and not model._meta.proxy}
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row):
                    dump.append((f"{table}.{column}", _text(value).lower()))
    return dump


def found(dump, *secrets):
    """Where any of ``secrets`` appears in clear in ``dump``."""
    return sorted({(place, secret) for place, text in dump for secret in secrets
                   if secret.lower() in text})


def deliver_queued():
    """The worker's turn: send every queued row (the flows' requests left them queued)."""
    for email_id in OutboundEmail.objects.filter(status="queued").values_list("pk", flat=True):
        services.deliver(email_id)


def last_header(template, header):
    messages = [message for message in mail.outbox
                if message.extra_headers.get("X-Template-Name") == template]
    assert messages, f"no {template} mail"
    return messages[-1].extra_headers[header]


@pytest.fixture
def api():
    """A client whose requests leave their mail queued (no on-commit delivery)."""
    return ApiClient()


@pytest.fixture
def user(db):
    return factories.account("scan@example.com")


def test_password_forgot_link_leaves_neither_token_nor_code_in_the_database(api, user):
    body = ok(api.post("/password/forgot/send_code", {"email": user.email}))
    token = body["passwordForgotToken"]
    while_queued = dump_database()
    assert OutboundEmail.objects.get(template="recovery").status == "queued"

    deliver_queued()
    code = last_header("recovery", "X-Recovery-Code")
    link = last_header("recovery", "X-Link")
    assert re.fullmatch(r"[0-9a-f]{64}", token) and re.fullmatch(r"[0-9a-f]{32}", code)
    assert f"token={token}" in link  # the mail did carry both

    assert found(while_queued, token, code) == []
    assert found(dump_database(), token, code) == []


def test_password_forgot_otp_leaves_no_code_or_token_in_the_database(api, user):
    ok(api.post("/password/forgot/send_otp", {"email": user.email}))
    while_queued = dump_database()
    deliver_queued()
    otp = last_header("passwordForgotOtp", "X-Password-Forgot-Otp")
    assert found(while_queued, otp) == []

    body = ok(api.post("/password/forgot/verify_otp", {"email": user.email, "code": otp}))
    # What the client now holds: a passwordForgotToken and its passCode.
    assert found(dump_database(), otp, body["token"], body["code"]) == []


def test_unblock_code_is_not_in_the_database(api, user):
    ok(api.post("/account/login/send_unblock_code", {"email": user.email}))
    while_queued = dump_database()
    deliver_queued()
    code = last_header("unblockCode", UNBLOCK_HEADER)
    assert found(while_queued, code) == []
    assert found(dump_database(), code) == []


def test_the_outbox_holds_no_secret_of_a_sign_up_mail(api):
    auth_pw, _ = stretch("new-scan@example.com")
    ok(api.post("/account/create", {"email": "new-scan@example.com", "authPW": auth_pw}))
    email = OutboundEmail.objects.get(template="verify")
    outbox_only = [(place, text) for place, text in dump_database()
                   if place.startswith("emails_outboundemail.")]
    deliver_queued()
    code = last_header("verify", "X-Verify-Code")
    assert email.sealed_keys == ["code"]
    assert found(outbox_only, code) == []


def test_sign_up_link_code_is_not_in_the_database(api):
    auth_pw, _ = stretch("new-scan@example.com")
    ok(api.post("/account/create", {"email": "new-scan@example.com", "authPW": auth_pw}))
    deliver_queued()
    code = last_header("verify", "X-Verify-Code")
    assert found(dump_database(), code) == []


def test_sign_in_link_code_is_not_in_the_database(user):
    elsewhere = ApiClient()
    elsewhere.client.defaults["REMOTE_ADDR"] = OTHER_IP
    age_account(user.uid, 24 * 3600)  # past the new-account exemption: the sign-in is confirmed
    ok(login(elsewhere, user.email, query="?keys=true"))
    deliver_queued()
    code = last_header("verifyLogin", "X-Signin-Verify-Code")
    assert found(dump_database(), code) == []


def test_the_scan_finds_a_secret_stored_in_clear(user):
    """The scanner itself: a code written into the outbox behind the model's back is found."""
    email = services.send_email("passwordForgotOtp", user.email, context={"code": "31415926"})
    assert found(dump_database(), "31415926") == []
    OutboundEmail.objects.filter(pk=email.pk).update(context={"code": "31415926"})
    assert found(dump_database(), "31415926") == [("emails_outboundemail.context", "31415926")]
