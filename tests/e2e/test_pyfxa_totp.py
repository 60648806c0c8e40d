"""PyFxA 0.9, unchanged, sets up and removes two-step authentication against the live server.

mfa_request_otp → mfa_verify_otp → totp_create → totp_setup_verify → totp_setup_complete →
totp_exists → totp_verify → totp_delete, over real HTTP (gunicorn + Celery on PostgreSQL). The
emailed step-up code is computed from the database the live server writes (as the other PyFxA
tests read their confirmation codes); the TOTP codes come from pyotp, as an authenticator app's.
"""

import time
import uuid

import pyotp
import pytest
from fxa.core import Client

from accounts.models import Account
from accounts.twofactor import mfa
from emails.models import OutboundEmail
from tests.helpers import token_key
from tests.twofactor.conftest import mid_step

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pässwörd two-step"


def test_pyfxa09_mfa_totp_lifecycle(live_stack):
    client = Client(server_url=live_stack.api_url)
    email = f"e2e.totp-{uuid.uuid4().hex}@example.com"
    session = client.create_account(email, PASSWORD)
    session.verify_email_code(Account.objects.get(uid=session.uid).email_code)

    session.mfa_request_otp("2fa")
    account = Account.objects.get(uid=session.uid)
    access_token = session.mfa_verify_otp(mfa.otp_code(account, token_key(session.token), "2fa"), "2fa")

    created = session.totp_create(access_token)
    assert created["qrCodeUrl"].startswith("data:image/png;base64,")
    authenticator = pyotp.TOTP(created["secret"])
    # Codes of distinct periods: the setup spends one, and a code is accepted once.
    mid_step()
    now = time.time()
    assert session.totp_setup_verify(access_token, authenticator.at(now - 30)) is True
    assert session.totp_setup_complete(access_token) is True
    assert session.totp_exists() is True
    assert session.totp_verify(authenticator.at(now)) is True
    session.check_session_status()
    assert session.totp_delete(access_token) == {}
    assert session.totp_exists() is False

    mailed = set(OutboundEmail.objects.filter(uid=session.uid).values_list("template", flat=True))
    assert {
        "verifyAccountChange",
        "postAddTwoStepAuthentication",
        "newDeviceLogin",
        "postRemoveTwoStepAuthentication",
    } <= mailed
