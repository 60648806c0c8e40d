"""OAuth grants follow the account: a password reset revokes them all, a password change those of
public and canGrant clients (as upstream), and deleting the account deletes them."""
import pytest

from accounts import hashing, onepw
from oauth.models import AccessToken, RefreshToken
from tests import factories
from tests.accounts.test_password_change import start_change
from tests.accounts.test_password_reset import reset, reset_token_for
from tests.helpers import MailingApiClient, ok, stretch

from .conftest import code_for

pytestmark = pytest.mark.django_db


def grant(api, user, client, secret):
    """An offline grant (access + refresh token) of confidential ``client`` for the user."""
    code = code_for(api, user, client, access_type="offline")
    return ok(api.post("/token", {"client_id": client.client_id, "client_secret": secret, "code": code}))


def active(api, tokens):
    """Whether the grant still works: its access token introspects active and its refresh token
    (which introspection only describes for public clients) still exists."""
    access = ok(api.post("/introspect", {"token": tokens["access_token"]}))["active"]
    refresh_id = hashing.digest(hashing.OAUTH_TOKEN, tokens["refresh_token"])
    refresh = RefreshToken.objects.filter(token_id=refresh_id).exists()
    assert access == refresh
    return access


@pytest.fixture
def api():
    return MailingApiClient()


def test_a_password_reset_revokes_every_grant(api, user, rp):
    client, secret = rp
    tokens = grant(api, user, client, secret)
    assert active(api, tokens)
    ok(reset(api, reset_token_for(api, user.email), user.email))
    assert not active(api, tokens)
    assert not RefreshToken.objects.exists() and not AccessToken.objects.exists()


def test_a_password_change_revokes_public_and_can_grant_clients_only(api, user, rp):
    confidential, secret = rp
    browser, browser_secret = factories.oauth_client("Browser", can_grant=True)
    kept = grant(api, user, confidential, secret)
    revoked = grant(api, user, browser, browser_secret)
    body, kb = start_change(api, user)
    new_auth_pw, new_unwrap = stretch(user.email, "a new password")
    ok(api.post("/password/change/finish",
                {"authPW": new_auth_pw, "wrapKb": onepw.xor(kb, new_unwrap).hex()},
                token=body["passwordChangeToken"], token_type="passwordChangeToken"))
    assert active(api, kept)
    assert not active(api, revoked)


def test_deleting_the_account_deletes_its_grants(api, user, rp):
    client, secret = rp
    grant(api, user, client, secret)
    auth_pw, _ = stretch(user.email, user.password)
    ok(api.post("/account/destroy", {"email": user.email, "authPW": auth_pw}, token=user.session_token))
    assert not RefreshToken.objects.exists() and not AccessToken.objects.exists()
