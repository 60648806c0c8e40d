"""Fixtures of the OAuth tests: a user, a confidential and a public client (tests/factories.py),
the signing key, and the steps to a code."""
import base64
import hashlib
import secrets

import pytest

from tests import factories
from tests.factories import REDIRECT
from tests.helpers import ApiClient
from tests.live import OAUTH_SIGNING_KEY

__all__ = ["REDIRECT"]


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


@pytest.fixture(autouse=True)
def _signing_key(settings):
    """Tests run with DEBUG off, where no development key is generated: the run's key (the one
    the live stacks sign with)."""
    settings.OAUTH_SIGNING_KEY = OAUTH_SIGNING_KEY


@pytest.fixture
def api():
    return ApiClient()


@pytest.fixture
def user(db):
    return factories.account("oauth.user@example.com")


@pytest.fixture
def rp(db):
    return factories.oauth_client()


@pytest.fixture
def public_rp(db):
    return factories.oauth_client("Public RP", public=True)[0]


def authorize(api, user, client, **params):
    """POST /v1/oauth/authorization with the user's session; returns the response."""
    body = {"client_id": client.client_id, "state": "st4te", "scope": "openid profile", **params}
    return api.post("/oauth/authorization", body, token=user.session_token)


def code_for(api, user, client, **params):
    response = authorize(api, user, client, **params)
    assert response.status_code == 200, response.content
    return response.json()["code"]
