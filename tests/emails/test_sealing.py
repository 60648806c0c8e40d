"""No usable secret at rest in the outbox: codes and tokens are sealed with a key outside the
database, bound to the message and its expiry, opened only to render, wiped once the row is done."""
import importlib
import json
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection

from emails import sealing, services
from emails.models import OutboundEmail
from emails.services import send_email

pytestmark = pytest.mark.django_db

UID = "0123456789abcdef0123456789abcdef"
PASS_CODE = "fedcba9876543210fedcba9876543210"
FORGOT_TOKEN = "9c" * 32
EXPIRES = datetime(2030, 1, 1, tzinfo=dt_timezone.utc)
BINDING = {"template": "recovery", "to": ["a@example.com"], "uid": UID, "expires_at": EXPIRES}
BEFORE = EXPIRES - timedelta(seconds=1)


def _ring(*materials):
    return sealing.Keyring.from_materials(materials)


def _raw_row(email):
    """Every column of the row as PostgreSQL holds it (what psql or a backup shows)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(e)::text FROM emails_outboundemail e WHERE id = %s",
                       [email.pk])
        return cursor.fetchone()[0]


def _stored_context(email):
    with connection.cursor() as cursor:
        cursor.execute("SELECT context FROM emails_outboundemail WHERE id = %s", [email.pk])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else json.dumps(value)


def _recovery(account, **kwargs):
    return send_email(
        "recovery", account.email, account=account, locale="en",
        context={"uid": account.uid, "code": PASS_CODE, "token": FORGOT_TOKEN,
                 "email": account.email},
        **kwargs,
    )


# --- the seal itself -----------------------------------------------------------------------------

def test_a_seal_opens_for_its_message_only_and_hides_its_content():
    ring = _ring("key-one")
    value = sealing.seal(ring, {"code": PASS_CODE, "token": FORGOT_TOKEN}, **BINDING)
    assert PASS_CODE not in value and FORGOT_TOKEN not in value
    assert value.startswith("v1.")
    assert sealing.unseal(ring, value, now=BEFORE, **BINDING) == {
        "code": PASS_CODE, "token": FORGOT_TOKEN}
    for changed in ({"to": ["attacker@example.com"]}, {"template": "verify"}, {"uid": "f" * 32},
                    {"expires_at": EXPIRES + timedelta(days=1)}):
        with pytest.raises(sealing.SealError, match="tampered"):
            sealing.unseal(ring, value, now=BEFORE, **{**BINDING, **changed})


def test_a_seal_is_refused_once_expired_even_with_the_right_key():
    ring = _ring("key-one")
    value = sealing.seal(ring, {"code": PASS_CODE}, **BINDING)
    with pytest.raises(sealing.SealExpired):
        sealing.unseal(ring, value, now=EXPIRES, **BINDING)


@pytest.mark.parametrize("value", ["", "v1", "v1.x.y", "v2.abc.def", "v1..", "v1.AAAAAAAA.!!!"])
def test_a_malformed_seal_is_a_seal_error(value):
    with pytest.raises(sealing.SealError):
        sealing.unseal(_ring("key-one"), value, now=BEFORE, **BINDING)


def test_a_flipped_bit_is_refused():
    ring = _ring("key-one")
    value = sealing.seal(ring, {"code": PASS_CODE}, **BINDING)
    flipped = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    with pytest.raises(sealing.SealError):
        sealing.unseal(ring, flipped, now=BEFORE, **BINDING)


def test_rotation_new_seals_use_the_first_key_and_old_keys_still_open():
    old_seal = sealing.seal(_ring("old"), {"code": PASS_CODE}, **BINDING)
    rotated = _ring("new", "old")
    assert sealing.unseal(rotated, old_seal, now=BEFORE, **BINDING) == {"code": PASS_CODE}
    new_seal = sealing.seal(rotated, {"code": PASS_CODE}, **BINDING)
    assert sealing.unseal(_ring("new"), new_seal, now=BEFORE, **BINDING) == {"code": PASS_CODE}
    with pytest.raises(sealing.SealError, match="EMAIL_SEALING_KEY"):
        sealing.unseal(_ring("new"), old_seal, now=BEFORE, **BINDING)


def test_keys_are_hkdf_of_the_material_with_the_outbox_purpose():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    expected = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=b"fxa-selfhosted emails.outbox seal v1").derive(b"material")
    assert sealing.derive_key("material") == expected
    with pytest.raises(ValueError):
        sealing.derive_key("")


# --- the stored row ------------------------------------------------------------------------------

def test_the_row_holds_no_code_or_token_yet_the_mail_carries_them(
    account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email = _recovery(account)
    stored = _stored_context(email)
    assert PASS_CODE not in stored and FORGOT_TOKEN not in stored
    assert "code" not in json.loads(stored) and "token" not in json.loads(stored)
    raw = _raw_row(email)  # no other column has them either
    assert PASS_CODE not in raw and FORGOT_TOKEN not in raw
    email.refresh_from_db()
    assert email.sealed.startswith("v1.") and email.sealed_keys == ["code", "token"]

    for callback in callbacks:
        callback()
    (message,) = mail.outbox
    assert message.extra_headers["X-Recovery-Code"] == PASS_CODE
    assert f"token={FORGOT_TOKEN}&code={PASS_CODE}" in message.extra_headers["X-Link"]
    assert f"token={FORGOT_TOKEN}" in message.body
    email.refresh_from_db()
    assert email.status == "sent" and email.sealed == ""
    assert PASS_CODE not in _raw_row(email) and FORGOT_TOKEN not in _raw_row(email)


@pytest.mark.parametrize("template, context", [
    ("unblockCode", {"unblockCode": "ABCD2345"}),
    ("verifyLoginCode", {"code": "123456"}),
    ("passwordForgotOtp", {"code": "12345678"}),
    ("verify", {"code": "ab" * 16}),
])
def test_every_code_template_is_sealed(account, template, context):
    email = send_email(template, account.email, account=account, context=context)
    raw = _raw_row(email)
    for value in context.values():
        assert value not in raw


def test_a_row_written_directly_is_sealed_too(account):
    """The model seals on save, whichever code path writes the row."""
    email = OutboundEmail.objects.create(template="unblockCode", to=[account.email],
                                         uid=account.uid, context={"unblockCode": "WXYZ2345"},
                                         next_attempt_at=datetime.now(dt_timezone.utc))
    assert "WXYZ2345" not in _raw_row(email)
    assert email.open_seal() == {"unblockCode": "WXYZ2345"}


def test_a_row_sealed_before_a_key_rotation_still_delivers(
    account, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_SEALING_KEY = ["first-key-0123456789"]
    with django_capture_on_commit_callbacks(execute=False):
        email = _recovery(account)
    settings.EMAIL_SEALING_KEY = ["second-key-0123456789", "first-key-0123456789"]
    assert services.deliver(email.pk) == "sent"
    assert mail.outbox[0].extra_headers["X-Recovery-Code"] == PASS_CODE


def test_the_default_key_follows_secret_key_fallbacks(
    account, settings, django_capture_on_commit_callbacks
):
    assert settings.EMAIL_SEALING_KEY == []
    with django_capture_on_commit_callbacks(execute=False):
        email = _recovery(account)
    previous = settings.SECRET_KEY
    settings.SECRET_KEY = "a-rotated-secret-key"
    settings.SECRET_KEY_FALLBACKS = [previous]
    assert services.deliver(email.pk) == "sent"


def test_a_seal_under_a_key_rotated_out_fails_clearly_and_sends_nothing(
    account, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_SEALING_KEY = ["first-key-0123456789"]
    with django_capture_on_commit_callbacks(execute=False):
        email = _recovery(account)
    settings.EMAIL_SEALING_KEY = ["second-key-0123456789"]
    assert services.deliver(email.pk) == "failed"
    email.refresh_from_db()
    assert email.last_error.startswith("Seal refused: sealed with a key that is not in")
    assert email.sealed == "" and mail.outbox == []


def _sql(statement, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.parametrize("tampering", [
    # Someone with write access to the table redirects the reset mail to their own mailbox...
    ("UPDATE emails_outboundemail SET \"to\" = '[\"attacker@example.com\"]' WHERE id = %s"),
    # ...or keeps it alive longer than its token...
    ("UPDATE emails_outboundemail SET expires_at = expires_at + interval '30 days' WHERE id = %s"),
    # ...or corrupts the seal.
    ("UPDATE emails_outboundemail SET sealed = overlay(sealed placing 'AAAA' from 20) WHERE id = %s"),
])
def test_a_tampered_row_is_not_sent_and_is_marked_failed(
    account, tampering, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        email = _recovery(account)
    _sql(tampering, email.pk)
    assert services.deliver(email.pk) == "failed"
    email.refresh_from_db()
    assert email.last_error.startswith("Seal refused:"), email.last_error
    assert email.sealed == ""
    assert mail.outbox == []


def test_admin_shows_that_secrets_exist_not_their_value(admin_client, account):
    email = _recovery(account)
    page = admin_client.get(f"/admin/emails/outboundemail/{email.pk}/change/")
    assert page.status_code == 200
    assert b"&quot;code&quot;: &quot;\xe2\x80\xa6&quot;" in page.content
    assert PASS_CODE.encode() not in page.content and FORGOT_TOKEN.encode() not in page.content
    assert email.message_id.replace("<", "&lt;").replace(">", "&gt;").encode() in page.content


# --- the migration of existing rows ----------------------------------------------------------------

def test_the_migration_seals_queued_rows_and_wipes_the_others(account):
    migration = importlib.import_module("emails.migrations.0003_sealed_secrets_and_expiry")
    now = datetime.now(dt_timezone.utc)
    queued = OutboundEmail.objects.create(template="unblockCode", to=[account.email],
                                          uid=account.uid, context={}, next_attempt_at=now)
    failed = OutboundEmail.objects.create(template="passwordForgotOtp", to=[account.email],
                                          context={}, next_attempt_at=now, status="failed")
    # As rows were before it: secrets in clear in the context, no seal.
    OutboundEmail.objects.filter(pk=queued.pk).update(context={"uid": account.uid,
                                                               "unblockCode": "LEGACY23"})
    OutboundEmail.objects.filter(pk=failed.pk).update(context={"code": "27182818"})

    migration.seal_existing_rows(apps, None)

    queued.refresh_from_db()
    failed.refresh_from_db()
    assert "LEGACY23" not in _raw_row(queued) and "27182818" not in _raw_row(failed)
    assert queued.expires_at == (queued.created_at + timedelta(days=3)).replace(microsecond=0)
    assert queued.open_seal() == {"unblockCode": "LEGACY23"}
    assert (failed.sealed, failed.sealed_keys, failed.context) == ("", ["code"], {})
    assert services.deliver(queued.pk) == "sent"
    assert mail.outbox[0].extra_headers["X-Unblock-Code"] == "LEGACY23"
