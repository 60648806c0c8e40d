"""Fixtures of the two-step authentication tests: a mailing API client, a verified account, and
helpers that set up TOTP the way a user would (codes from pyotp, an independent implementation)."""

import time

import pyotp
import pytest

from tests import factories
from tests.helpers import MailingApiClient, ok, token_credentials

STEP = 30


@pytest.fixture
def api():
    return MailingApiClient()


@pytest.fixture
def user(db):
    """A verified account whose sign-up session is verified (by email, AAL1)."""
    return factories.account("two-step@example.com")


def code(secret, steps=0):
    """The authenticator app's code ``steps`` periods from now."""
    return pyotp.TOTP(secret).at(time.time() + steps * STEP)


def mid_step():
    """Wait out the last two seconds of a period, so a code and its check share the period."""
    remaining = STEP - time.time() % STEP
    if remaining < 2:
        time.sleep(remaining + 0.05)


def session_id(token):
    return token_credentials(token, "sessionToken")[0]

def enable_totp(api, token):
    """create → setup/verify → setup/complete with ``token``; returns the secret.

    The setup code is the previous period's, so that the current and next ones stay unused.
    """
    mid_step()
    secret = ok(api.post("/totp/create", {}, token=token))["secret"]
    assert ok(api.post("/totp/setup/verify", {"code": code(secret, -1)}, token=token)) == {
        "success": True
    }
    assert ok(api.post("/totp/setup/complete", {}, token=token)) == {"success": True}
    return secret


