"""Fixtures of the OAuth tests: clients made like the oauth_client command makes them."""
import base64
import hashlib
import os
import secrets

import pytest

from oauth import crypto
from oauth.models import Client
from tests.helpers import ApiClient, make_account

# Tests run with DEBUG off, where no development key is generated: this run's key is handed to
# the in-process settings (fixture below) and, through the environment as in production, to the
# live server (set at collection, before any live stack starts).
TEST_SIGNING_KEY = os.environ.setdefault("OAUTH_SIGNING_KEY", crypto.generate_signing_key_pem())

REDIRECT = "https://rp.example.com/oauth/callback"


def make_client(name="Test RP", *, redirect_uris=(REDIRECT,), scope="openid profile",
                public=False, trusted=False, can_grant=False, ppid=False):
    """(client, secret) — secret None for a public client."""
    client = Client(
        name=name, redirect_uris=" ".join(redirect_uris), allowed_scopes=scope,
        client_type=Client.CLIENT_PUBLIC if public else Client.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Client.GRANT_AUTHORIZATION_CODE, trusted=trusted,
        can_grant=can_grant, ppid_enabled=ppid,
    )
    secret = None
    if not public:
        secret = crypto.random_hex()
        client.set_secret(secret)
    client.save()
    return client, secret


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


@pytest.fixture(autouse=True)
def _signing_key(settings):
    settings.OAUTH_SIGNING_KEY = TEST_SIGNING_KEY


@pytest.fixture
def api():
    return ApiClient()


@pytest.fixture
def user(db):
    return make_account("oauth.user@example.com")


@pytest.fixture
def rp(db):
    return make_client()


@pytest.fixture
def public_rp(db):
    return make_client("Public RP", public=True)[0]


def authorize(api, user, client, **params):
    """POST /v1/oauth/authorization with the user's session; returns the response."""
    body = {"client_id": client.client_id, "state": "st4te", "scope": "openid profile", **params}
    return api.post("/oauth/authorization", body, token=user.session_token)


def code_for(api, user, client, **params):
    response = authorize(api, user, client, **params)
    assert response.status_code == 200, response.content
    return response.json()["code"]
